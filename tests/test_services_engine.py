"""The services page against the real isolated swarm (one amd64 node): services created
with `docker service create`, images in a real registry, and what swarmdeck predicts
checked against what Swarm really does with them (pending, rejected at pull, exec format
error, running)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from swarm.compat import Level
from swarm.engine import fetch_services_from_engine
from swarm.image_lookup import MatchStatus
from swarm.models import Registry, Snapshot, SwarmService
from swarm.service_compat import NodeState, ServiceReport
from swarm.snapshots import SERVICES, refresh_nodes, refresh_services
from tests.engine import IsolatedEngine
from tests.engine_images import build_and_push
from tests.foreign_binary import emulator_registered, write_exit_zero
from tests.registry_images import Pusher, push_oci_index
from tests.registry_server import RegistryServer
from tests.run_jobs import scan
from tests.swarm_services import (
    ServiceSet,
    Tasks,
    errors,
    has_error,
    ran_or_failed,
    states,
    wait_for,
)

pytestmark = pytest.mark.django_db


class Swarm(ServiceSet):
    """The services this module created and what the engine did with them."""

    def __init__(self, engine: IsolatedEngine, registry: RegistryServer) -> None:
        super().__init__(engine, registry.host)
        self.registry = registry
        self.tasks: dict[str, Tasks] = {}
        self.emulated: dict[str, bool] = {}


@pytest.fixture(scope="module")
def swarm(swarm_engine: IsolatedEngine,
          registry_factory: Callable[..., RegistryServer]) -> Iterator[Swarm]:
    server = registry_factory()
    host = server.host
    folder = Path(tempfile.mkdtemp(prefix="sd-foreign-"))
    build_and_push(swarm_engine, f"{host}/compat/amd:1.0", "linux/amd64")
    build_and_push(swarm_engine, f"{host}/compat/app:1.0-amd64", "linux/amd64")
    build_and_push(swarm_engine, f"{host}/compat/app:1.0-arm64", "linux/arm64",
                   busybox=str(write_exit_zero("arm64", folder / "arm64")))
    build_and_push(swarm_engine, f"{host}/compat/rv:1.0", "linux/riscv64",
                   busybox=str(write_exit_zero("riscv64", folder / "riscv64")))
    swarm_engine.docker("manifest", "create", "--insecure", f"{host}/compat/multi:1.0",
                        "--amend", f"{host}/compat/app:1.0-amd64",
                        "--amend", f"{host}/compat/app:1.0-arm64")
    swarm_engine.docker("manifest", "push", "--insecure", f"{host}/compat/multi:1.0")
    push_oci_index(Pusher(server.url), "compat/pi", "1.0", ("linux/arm64", "linux/arm/v7"))

    created = Swarm(swarm_engine, server)
    before = {arch: emulator_registered(arch) for arch in ("arm64", "riscv64")}
    try:
        created.create("amd-only", "compat/amd:1.0")
        created.create("arm-only", "compat/app:1.0-arm64")
        created.create("multi", "compat/multi:1.0")
        created.create("pi-only", "compat/pi:1.0")
        created.create("pi-only-unresolved", "compat/pi:1.0", "--no-resolve-image")
        created.create("arm-unresolved", "compat/app:1.0-arm64", "--no-resolve-image")
        created.create("riscv-unresolved", "compat/rv:1.0", "--no-resolve-image")
        created.create("arch-constraint", "compat/amd:1.0",
                       "--constraint", "node.platform.arch==amd64")
        pending = {"arm-only", "arch-constraint"}  # they never run: wait for their Err
        created.tasks = {
            name: wait_for(swarm_engine, name, has_error if name in pending else ran_or_failed)
            for name in created.names
        }
        # binfmt_misc is kernel-wide: note whether emulation was there all along.
        created.emulated = {arch: registered and emulator_registered(arch)
                            for arch, registered in before.items()}
        yield created
    finally:
        created.remove_all()


@pytest.fixture
def reports(swarm: Swarm, use_engine: IsolatedEngine) -> dict[str, ServiceReport]:
    """Scan the registry and refresh both snapshots, as the worker would, then assess."""
    from swarm.compat_views import service_reports

    registry = Registry.objects.create(name="compat", base_url=swarm.registry.url)
    assert scan(registry).status == "succeeded"
    assert refresh_nodes() == "1 node(s)"
    assert refresh_services().startswith(f"{len(swarm.names)} service(s)")
    return {report.service.name: report for report, _ in service_reports()}


def _only_outcome(report: ServiceReport):  # noqa: ANN202 - test helper
    assert len(report.outcomes) == 1  # one node in the test swarm
    return report.outcomes[0]


def test_the_snapshot_keeps_placement_platforms_raw_with_blanked_arm_and_attestations(
    swarm, reports
):
    stored = SwarmService.objects.get(name="pi-only")
    assert stored.placement_platforms == [
        {"OS": "linux", "Architecture": "arm64"}, {"OS": "linux"},
        {"OS": "unknown", "Architecture": "unknown"}, {"OS": "unknown", "Architecture": "unknown"},
    ]
    assert stored.image.startswith(f"{swarm.registry.host}/compat/pi:1.0@sha256:")
    assert SwarmService.objects.get(name="pi-only-unresolved").placement_platforms == []
    assert SwarmService.objects.get(name="arch-constraint").constraints == [
        "node.platform.arch==amd64"
    ]
    assert Snapshot.of(SERVICES).ok


def test_an_arm64_only_service_stays_pending_and_the_node_is_named(swarm, reports, use_engine):
    real = swarm.tasks["arm-only"]
    assert states(real) == {"pending"}
    assert errors(real) == ["no suitable node (unsupported platform on 1 node)"]

    report = reports["arm-only"]
    outcome = _only_outcome(report)
    assert (outcome.swarm.allowed, outcome.run.level) == (False, Level.CANNOT)
    assert outcome.state is NodeState.REFUSED
    assert report.warnings == []  # Swarm and the node agree: it cannot go there
    hostname = outcome.columns[0].name
    assert [line.explanation for line in report.tasks] == [
        f"no suitable node (unsupported platform on 1 node: {hostname} (amd64))"
    ]
    # The fix is in the registry already: the amd64 twin of the per-arch tag.
    assert report.hints.merge is not None
    assert report.hints.merge.source_names == ("1.0-arm64", "1.0-amd64")
    assert report.hints.merge.target == "1.0"


@pytest.mark.parametrize("service", ["pi-only", "pi-only-unresolved"])
def test_an_arm_only_index_is_placed_on_amd64_and_fails_at_pull(swarm, reports, service):
    real = swarm.tasks[service]
    assert "pending" not in states(real)
    assert states(real) <= {"rejected", "failed"}
    assert any("No such image" in err for err in errors(real))

    report = reports[service]
    explained = [line.explanation for line in report.tasks + report.history]
    assert any("the image has no platform for this node (x86_64 -> linux/amd64)" in text
               for text in explained), explained
    outcome = _only_outcome(report)
    assert outcome.swarm.allowed and outcome.run.level is Level.CANNOT
    assert outcome.state is NodeState.WARN
    hostname = outcome.columns[0].name
    assert report.warnings == [
        f"Swarm may place this on {hostname} (amd64) but the image has no linux/amd64: "
        "the task will fail at pull"
    ]
    reason = outcome.swarm.reason
    if service == "pi-only":
        assert "linux/* (architecture blanked)" in reason
    else:
        assert "no platform list" in reason
    assert sorted(str(p) for p in report.hints.rebuild) == ["linux/amd64", "linux/arm/v7",
                                                            "linux/arm64"]


@pytest.mark.parametrize(("service", "arch"), [("riscv-unresolved", "riscv64"),
                                               ("arm-unresolved", "arm64")])
def test_a_foreign_single_manifest_without_platforms_dies_with_exec_format_error(
    swarm, reports, service, arch
):
    real = swarm.tasks[service]
    report = reports[service]
    outcome = _only_outcome(report)
    assert outcome.swarm.allowed and outcome.run.level is Level.CANNOT
    assert report.warnings[0].endswith(
        "the task will fail with exec format error unless an emulator is registered"
    )
    if swarm.emulated[arch]:
        # A QEMU handler with flag F was registered on this kernel (by another test or the
        # host): the prediction's "unless" case, the task ran emulated.
        assert "complete" in states(real)
        return
    # runc reports the failed exec in the container's output; Swarm sees only the exit.
    assert states(real) == {"failed"}
    assert errors(real) == ["task: non-zero exit (1)"]
    logs = swarm.engine.docker("service", "logs", "--raw", service)
    assert "exec /bin/busybox: exec format error" in logs.stdout + logs.stderr
    # The page says what the exit means, since Swarm does not.
    explained = [line.explanation for line in report.tasks + report.history]
    assert any("cannot run the image: the process dies with exec format error" in text
               for text in explained), explained


def test_the_exec_format_case_is_really_exercised_on_this_host(swarm):
    # Only aarch64 and arm handlers are ever registered by the tests, so riscv64 fails.
    assert not swarm.emulated["riscv64"], "a qemu-riscv64 handler is registered on this host"


@pytest.mark.parametrize("service", ["amd-only", "multi"])
def test_services_whose_image_has_amd64_run_and_get_no_warning(swarm, reports, service):
    assert states(swarm.tasks[service]) & {"running", "complete"}

    report = reports[service]
    outcome = _only_outcome(report)
    assert outcome.state is NodeState.OK and outcome.run.level is Level.NATIVE
    assert report.warnings == [] and report.constraint_notes == []
    assert report.match.status is MatchStatus.FOUND
    assert not report.hints.any


def test_an_arch_constraint_written_with_an_image_name_keeps_the_task_pending(swarm, reports):
    real = swarm.tasks["arch-constraint"]
    assert states(real) == {"pending"}
    assert errors(real) == ["no suitable node (scheduling constraints not satisfied on 1 node)"]

    report = reports["arch-constraint"]
    outcome = _only_outcome(report)
    assert outcome.state is NodeState.EXCLUDED
    assert report.constraint_notes == [
        "node.platform.arch==amd64 matches no node: Swarm compares the raw uname architecture "
        "without normalising it; use node.platform.arch==x86_64"
    ]
    hostname = outcome.columns[0].name
    assert report.tasks[0].explanation.endswith(
        f"not satisfied on 1 node: {hostname} (amd64): node.platform.arch==amd64)"
    )


def test_the_engine_adapter_reads_services_and_their_tasks(swarm, use_engine):
    services, tasks = fetch_services_from_engine()
    by_name = {s.name: s for s in services}
    assert set(swarm.names) <= set(by_name)
    assert by_name["multi"].replicas_desired == 1 and by_name["multi"].mode == "replicated"
    pending = [t for t in tasks if t.service_id == by_name["arm-only"].service_id]
    assert pending and pending[0].err == "no suitable node (unsupported platform on 1 node)"


def test_a_refresh_keeps_the_last_snapshot_when_the_engine_is_down(
    swarm, reports, settings, tmp_path
):
    settings.DOCKER_HOST = f"unix://{tmp_path}/gone.sock"

    outcome = refresh_services()

    assert outcome.startswith("failed:") and "not reachable" in Snapshot.of(SERVICES).error
    assert SwarmService.objects.filter(name="arm-only").exists()
