"""Per service x node: what Swarm allows, what the node can run, and the warning where they
differ (DOMAIN.md sections 2-3), from plain data: no database, no engine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from swarm.compat import Level
from swarm.compat_nodes import VerdictCache, node_columns
from swarm.image_lookup import Inventory, InventoryTag, MatchStatus
from swarm.node_info import NodeInfo
from swarm.platforms import Platform
from swarm.service_compat import (
    NodeState,
    PlatformEntry,
    ServiceReport,
    assess_service,
    explain_err,
)
from swarm.service_info import ServiceInfo, TaskInfo, service_from_api, task_from_api

HOST = "192.168.31.98:5000"
DIGEST = "sha256:" + "a" * 64
BLANKED_ARM = {"OS": "linux"}  # what the CLI writes for any arm entry (moby/swarmkit#2294)
ATTESTATION = {"OS": "unknown", "Architecture": "unknown"}


def node(hostname: str, machine: str, *, state: str = "ready", availability: str = "active",
         labels: dict[str, str] | None = None, role: str = "worker") -> NodeInfo:
    return NodeInfo(
        node_id=f"id-{hostname}", hostname=hostname, role=role, is_leader=False, state=state,
        availability=availability, address="", engine_version="", os="linux",
        architecture=machine, platform="", cpus=1, memory_bytes=1, labels=labels or {},
    )


def entry(os_name: str, arch: str) -> dict[str, str]:
    return {"OS": os_name, "Architecture": arch}


def assess(
    nodes: list[NodeInfo],
    placement: list[dict[str, str]],
    image_platforms: list[str] | None,
    *,
    kind: str = "oci_index",
    image: str | None = None,
    constraints: list[str] | None = None,
    tasks: list[TaskInfo] | None = None,
    siblings: list[InventoryTag] = (),  # type: ignore[assignment]
    tag: str = "1.0",
) -> ServiceReport:
    """One service on ``nodes`` whose image (a tag in the inventory) has these platforms."""
    is_index = kind in ("oci_index", "docker_list")
    tags = list(siblings)
    if image_platforms is not None:
        tags.append(InventoryTag(1, HOST, "apps/web", tag, DIGEST,
                                 tuple(Platform.parse(p) for p in image_platforms), is_index,
                                 kind))
    inventory = Inventory(hosts={HOST: 1}, tags=tags)
    text = image or f"{HOST}/apps/web:{tag}@{DIGEST}"
    match = inventory.match(text)
    service = ServiceInfo("svc1", "web", text, "replicated", 1, placement, constraints or [])
    columns = node_columns(nodes)
    return assess_service(service, 0, tasks or [], columns, match,
                          inventory.repository_tags(1, "apps/web"), VerdictCache())


def outcome_for(report: ServiceReport, hostname: str):  # noqa: ANN201 - test helper
    return next(o for o in report.outcomes if any(c.name == hostname for c in o.columns))


LAPTOP = node("laptop", "x86_64", role="manager")
PI = node("pi", "aarch64")
PI32 = node("pi32", "armv7l")


@pytest.mark.parametrize(
    ("rule", "node_info", "placement", "image", "kind", "allowed", "level", "state", "warning"),
    [
        ("amd64 runs 386, but Swarm compares 386 with amd64 and refuses",
         LAPTOP, [entry("linux", "386")], ["linux/386"], "docker_manifest",
         False, Level.COMPAT32, NodeState.MISSED,
         "Swarm will not place this on laptop (amd64)"),
        ("arm64 runs arm/v7 in 32-bit compat; the blanked arm entry lets Swarm place it",
         PI, [BLANKED_ARM], ["linux/arm/v7"], "oci_index",
         True, Level.COMPAT32, NodeState.OK, None),
        ("an armv7l node cannot run an arm64-only image, and Swarm keeps it off",
         PI32, [entry("linux", "arm64")], ["linux/arm64"], "oci_index",
         False, Level.CANNOT, NodeState.REFUSED, None),
        ("a blanked arm entry matches an amd64 node: the task fails at pull",
         LAPTOP, [entry("linux", "arm64"), BLANKED_ARM, ATTESTATION, ATTESTATION],
         ["linux/arm64", "linux/arm/v7"], "oci_index",
         True, Level.CANNOT, NodeState.WARN,
         "Swarm may place this on laptop (amd64) but the image has no linux/amd64: "
         "the task will fail at pull"),
        ("unknown/unknown entries match no node",
         LAPTOP, [entry("linux", "arm64"), ATTESTATION], ["linux/arm64"], "oci_index",
         False, Level.CANNOT, NodeState.REFUSED, None),
        ("no platforms means any node: a foreign single manifest dies at exec",
         LAPTOP, [], ["linux/arm64"], "oci_manifest",
         True, Level.CANNOT, NodeState.WARN,
         "the task will fail with exec format error unless an emulator is registered"),
        ("arm64/v8 is normalised to arm64 and aarch64 matches arm64 in Swarm",
         PI, [entry("linux", "arm64")], ["linux/arm64/v8"], "oci_index",
         True, Level.NATIVE, NodeState.OK, None),
        ("x86_64 matches amd64 in Swarm's filter",
         LAPTOP, [entry("linux", "amd64"), entry("linux", "arm64")],
         ["linux/amd64", "linux/arm64"], "docker_list",
         True, Level.NATIVE, NodeState.OK, None),
        ("an explicit arm entry (API-made service) never matches armv7l",
         PI32, [entry("linux", "arm")], ["linux/arm/v7"], "docker_manifest",
         False, Level.NATIVE, NodeState.MISSED, "Swarm compares the raw architecture 'armv7l'"),
        ("an index with only attestations runs nowhere",
         LAPTOP, [ATTESTATION], [], "oci_index",
         False, Level.CANNOT, NodeState.REFUSED, None),
    ],
)
def test_each_domain_rule_per_node(rule, node_info, placement, image, kind, allowed, level,
                                   state, warning):
    report = assess([node_info], placement, image, kind=kind)

    outcome = report.outcomes[0]
    assert outcome.swarm.allowed is allowed, rule
    assert outcome.run.level is level, rule
    assert outcome.state is state, rule
    if warning is None:
        assert report.warnings == [], rule
    else:
        assert len(report.warnings) == 1 and warning in report.warnings[0], rule


def test_placement_platforms_are_shown_raw_with_what_each_entry_does():
    report = assess([LAPTOP], [entry("linux", "arm64"), BLANKED_ARM, ATTESTATION], ["linux/arm64"])

    assert report.platforms == [PlatformEntry("linux", "arm64"), PlatformEntry("linux", ""),
                                PlatformEntry("unknown", "unknown")]
    assert [e.text for e in report.platforms] == ["linux/arm64", "linux/*", "unknown/unknown"]
    assert report.platforms[0].note == ""
    assert "matches every node" in report.platforms[1].note
    assert "matches no node" in report.platforms[2].note


def test_nodes_with_the_same_outcome_are_grouped_and_the_warning_names_them_all():
    nodes = [node("laptop", "x86_64"), node("desk", "x86_64"), PI]
    report = assess(nodes, [entry("linux", "arm64"), BLANKED_ARM], ["linux/arm64", "linux/arm/v7"])

    assert [[c.name for c in o.columns] for o in report.outcomes] == [["laptop", "desk"], ["pi"]]
    assert report.warnings == [
        "Swarm may place this on laptop (amd64), desk (amd64) but the image has no linux/amd64: "
        "the task will fail at pull"
    ]


def test_an_image_from_an_unknown_registry_says_so_and_warns_about_nothing():
    report = assess([LAPTOP, PI], [], None, image="nginx:1.29.0")

    assert report.match.status is MatchStatus.UNKNOWN_REGISTRY
    assert "docker.io" in report.match.note and "Docker Hub is not scanned" in report.match.note
    assert {o.state for o in report.outcomes} == {NodeState.UNKNOWN}
    assert report.warnings == [] and report.needed == []
    assert report.has_problems


def test_unavailable_and_constraint_excluded_nodes_get_no_warning():
    nodes = [node("down", "x86_64", state="down"),
             node("drained", "x86_64", availability="drain"),
             node("other", "x86_64", labels={"zone": "b"}),
             node("pi", "aarch64", labels={"zone": "a"})]
    report = assess(nodes, [], ["linux/arm64"], kind="oci_manifest",
                    constraints=["node.labels.zone==a"])

    states = {o.columns[0].name: o.state for o in report.outcomes}
    assert states == {"down": NodeState.UNAVAILABLE, "drained": NodeState.UNAVAILABLE,
                      "other": NodeState.EXCLUDED, "pi": NodeState.OK}
    assert report.warnings == []
    assert "the node is drained" in outcome_for(report, "drained").title.lower()
    assert "Excluded by node.labels.zone==a" in outcome_for(report, "other").title


def pending(err: str) -> TaskInfo:
    return TaskInfo("t1", "svc1", "", 1, "running", "pending", "pending task scheduling", err,
                    datetime(2026, 1, 1, tzinfo=UTC))


def test_pending_unsupported_platform_names_the_nodes_swarm_counted():
    err = "no suitable node (unsupported platform on 1 node)"
    report = assess([LAPTOP, node("old", "x86_64", state="down")], [entry("linux", "arm64")],
                    ["linux/arm64"], tasks=[pending(err)])

    # The down node fails Swarm's readiness filter first, so it is not in the count.
    assert report.tasks[0].explanation == (
        "no suitable node (unsupported platform on 1 node: laptop (amd64))"
    )


def test_a_stale_count_is_pointed_out():
    err = "no suitable node (unsupported platform on 2 nodes)"
    report = assess([LAPTOP], [entry("linux", "arm64")], ["linux/arm64"], tasks=[pending(err)])

    assert report.tasks[0].explanation == (
        "no suitable node (unsupported platform on 2 nodes: laptop (amd64) "
        "(Swarm counted 2, the node snapshot has 1))"
    )


def test_pending_on_constraints_names_the_nodes_and_the_failing_constraint():
    err = "no suitable node (scheduling constraints not satisfied on 1 node)"
    report = assess([LAPTOP], [entry("linux", "amd64")], ["linux/amd64"],
                    constraints=["node.platform.arch==amd64"], tasks=[pending(err)])

    assert report.tasks[0].explanation == (
        "no suitable node (scheduling constraints not satisfied on 1 node: "
        "laptop (amd64): node.platform.arch==amd64)"
    )
    assert any("use node.platform.arch==x86_64" in note for note in report.constraint_notes)


@pytest.mark.parametrize("err", ["", "No such image: x", "task: non-zero exit (1)"])
def test_other_errors_are_left_as_they_are(err):
    assert explain_err(err, []) == ""


def test_current_tasks_and_the_latest_failures_are_told_apart():
    def task(task_id: str, desired: str, state: str, err: str, minute: int) -> TaskInfo:
        return TaskInfo(task_id, "svc1", "id-laptop", 1, desired, state, "", err,
                        datetime(2026, 1, 1, 0, minute, tzinfo=UTC))

    tasks = [task("now", "running", "running", "", 9)] + [
        task(f"old{m}", "shutdown", "failed", f"exit {m}", m) for m in range(5)
    ] + [task("done", "shutdown", "shutdown", "", 8)]
    report = assess([LAPTOP], [], ["linux/amd64"], tasks=tasks)

    assert [line.task.task_id for line in report.tasks] == ["now"]
    assert [line.task.task_id for line in report.history] == ["old4", "old3", "old2"]
    assert report.tasks[0].node == "laptop (amd64)"


def test_fix_hints_come_from_the_nodes_that_cannot_run_the_image():
    sibling = InventoryTag(1, HOST, "apps/web", "1.0-arm64", "sha256:" + "b" * 64,
                           (Platform.parse("linux/arm64"),), False, "docker_manifest")
    report = assess([LAPTOP, PI], [entry("linux", "amd64")], ["linux/amd64"],
                    kind="docker_manifest", tag="1.0-amd64", siblings=[sibling])

    assert report.needed == [Platform.parse("linux/arm64")]
    assert report.hints.merge is not None
    assert report.hints.merge.source_names == ("1.0-amd64", "1.0-arm64")
    assert report.hints.merge.target == "1.0"


def test_services_and_tasks_are_read_from_engine_json():
    service = service_from_api({
        "ID": "x1", "UpdatedAt": "2026-03-01T10:00:00.123456789Z",
        "Spec": {"Name": "web", "Mode": {"Replicated": {"Replicas": 2}},
                 "TaskTemplate": {
                     "ContainerSpec": {"Image": f"{HOST}/apps/web:1.0@{DIGEST}"},
                     "Placement": {"Constraints": ["node.role==worker"],
                                   "Platforms": [entry("linux", "arm64"), BLANKED_ARM,
                                                 ATTESTATION]}}},
    })
    assert (service.name, service.mode, service.replicas_desired) == ("web", "replicated", 2)
    assert service.placement_platforms == [entry("linux", "arm64"), BLANKED_ARM, ATTESTATION]
    assert service.constraints == ["node.role==worker"]
    assert service.updated_at == datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert service_from_api({"Spec": {"Mode": {"Global": {}}}}).replicas_desired is None
    assert service_from_api({"Spec": {"Mode": {"Global": {}}}}).mode == "global"

    task = task_from_api({
        "ID": "t1", "ServiceID": "x1", "Slot": 1, "DesiredState": "running",
        "Status": {"State": "pending", "Message": "pending task scheduling",
                   "Err": "no suitable node (unsupported platform on 1 node)",
                   "Timestamp": "2026-03-01T10:00:01.5Z"},
    })
    assert (task.state, task.node_id, task.slot) == ("pending", "", 1)
    assert task.err == "no suitable node (unsupported platform on 1 node)"


def test_a_node_of_unknown_architecture_is_unknown_not_a_crash():
    report = assess([node("riscy", "mips64el"), LAPTOP], [], ["linux/amd64"])

    riscy = outcome_for(report, "riscy")
    assert riscy.state is NodeState.UNKNOWN
    assert "does not know the node architecture mips64el" in riscy.run.reason
    assert riscy.swarm.allowed  # no platform list: Swarm allows it all the same


def test_a_task_that_failed_on_a_node_that_cannot_run_the_image_is_explained():
    def failed(state: str, err: str) -> TaskInfo:
        return TaskInfo("t1", "svc1", "id-laptop", 1, "running", state, "", err, None)

    single = assess([LAPTOP], [], ["linux/arm64"], kind="oci_manifest",
                    tasks=[failed("failed", "task: non-zero exit (1)")])
    assert single.tasks[0].explanation == (
        "this node (x86_64 -> linux/amd64) cannot run the image: the process dies with exec "
        "format error (docker service logs shows it)"
    )
    index = assess([LAPTOP], [BLANKED_ARM], ["linux/arm/v7"], kind="oci_index",
                   tasks=[failed("rejected", "No such image: x")])
    assert index.tasks[0].explanation.startswith("the image has no platform for this node")
    fine = assess([LAPTOP], [], ["linux/amd64"],
                  tasks=[failed("failed", "task: non-zero exit (1)")])
    assert fine.tasks[0].explanation == ""  # the image runs there: the failure is the app's


def test_a_repeated_platform_entry_is_marked_so_its_note_shows_once():
    report = assess([LAPTOP], [ATTESTATION, ATTESTATION, BLANKED_ARM], ["linux/arm/v7"])
    assert [e.repeated for e in report.platforms] == [False, True, False]
