"""The builders snapshot refresh (swarm/builder_snapshots.py) against the stand-in docker
for buildx and the real isolated engine for the build host's own platform; the emulation
watch against a binfmt_misc folder."""

from __future__ import annotations

import json
import time

import pytest

from swarm import buildx
from swarm.builder_snapshots import BUILDERS, refresh_builders, watch_local_emulators
from swarm.buildx_failures import BUILDX_MISSING
from swarm.models import BuilderRecord, EmulatorState, Snapshot, SwarmNode
from tests.engine import DEBIAN_DOCKER
from tests.replay_docker import REPLAY_DOCKER, ReplayDocker
from tests.shared_fixtures import fixture_text
from tests.test_emulation import QEMU_AARCH64

pytestmark = pytest.mark.django_db

LS_JSON = ["buildx", "ls", "--format", "json"]


@pytest.fixture
def binfmt_dir(settings, tmp_path):
    """A binfmt_misc folder of the test's own, mounted as far as swarmdeck can tell."""
    folder = tmp_path / "binfmt_misc"
    folder.mkdir()
    (folder / "register").write_text("")
    settings.BINFMT_MISC_DIR = folder
    return folder


@pytest.fixture
def replay(settings, monkeypatch, tmp_path, use_engine, binfmt_dir):
    def make(**options: object) -> ReplayDocker:
        stand_in = ReplayDocker(tmp_path / "replay", **options).write()  # type: ignore[arg-type]
        settings.DOCKER_CLI = str(REPLAY_DOCKER)
        monkeypatch.setenv("REPLAY_DOCKER_STATE", str(stand_in.folder))
        return stand_in

    return make


def test_it_stores_every_builder_from_ls_json_in_one_call(replay):
    stand_in = replay(builders=["default", "multiarch", "multiarch-remote"])
    assert refresh_builders() == "3 builder(s)"

    assert stand_in.calls() == [LS_JSON]
    assert list(BuilderRecord.objects.values_list("name", "driver", "is_current")) == [
        ("multiarch", "docker-container", True), ("default", "docker", False),
        ("multiarch-remote", "remote", False)]
    multiarch = BuilderRecord.objects.get(name="multiarch")
    assert multiarch.insecure_registries == ["127.0.0.1:5000"]
    node = multiarch.nodes[0]
    # The architecture comes from the real isolated engine, which runs on this machine.
    assert (node["arch"], node["arch_source"]) == ("linux/amd64", "the engine's architecture")
    assert "linux/arm64" in [e["platform"] for e in node["emulated"]]
    assert '"Name": "multiarch"' in multiarch.inspect_text
    assert Snapshot.of(BUILDERS).ok


def test_a_node_that_cannot_be_reached_is_stored_with_what_to_do(replay):
    replay(world="homelab", builders=["default", "homelab", "multiarch"])
    refresh_builders()

    pi = BuilderRecord.objects.get(name="homelab").nodes[1]
    assert (pi["name"], pi["status"]) == ("homelab1", "error")
    assert "No route to host" in pi["error"]
    assert "ssh pi@192.168.1.20 docker version" in pi["advice"]


def test_a_pi_registered_as_swarm_node_is_split_by_its_own_architecture(replay):
    SwarmNode.objects.create(node_id="p1", hostname="pi", role="worker", state="ready",
                             availability="active", address="192.168.1.20",
                             architecture="aarch64", platform="linux/arm64")
    replay(world="homelab", builders=["homelab"])
    refresh_builders()

    pi = BuilderRecord.objects.get(name="homelab").nodes[1]
    assert (pi["arch"], pi["arch_source"]) == ("linux/arm64", "swarm node pi")
    assert pi["native"] == ["linux/arm64"]


def test_without_ls_json_it_falls_back_to_the_table_and_inspect(replay):
    stand_in = replay(world="legacy-v0.10", builders=["multiarch"])
    assert refresh_builders() == "1 builder(s)"

    assert stand_in.calls() == [LS_JSON, ["buildx", "ls"], ["buildx", "inspect", "multiarch"]]
    record = BuilderRecord.objects.get()
    assert record.is_current and record.driver == "docker-container"
    assert record.nodes[0]["buildkit_version"] == "v0.11.2"
    assert record.nodes[0]["driver_options"] == {"network": "host"}
    assert record.inspect_text.startswith("Name:          multiarch\n")


def test_without_buildx_the_page_says_to_install_it_and_keeps_the_last_snapshot(
    use_engine, settings
):
    BuilderRecord.objects.create(name="multiarch", driver="docker-container")
    settings.DOCKER_CLI = DEBIAN_DOCKER  # the real Debian CLI: no buildx plugin here

    assert refresh_builders().startswith("failed: " + BUILDX_MISSING)

    snapshot = Snapshot.of(BUILDERS)
    assert snapshot.error.startswith(BUILDX_MISSING + ". ")
    assert "docker-buildx-plugin" in snapshot.error
    assert BuilderRecord.objects.filter(name="multiarch").exists()


def test_without_a_docker_cli_the_refresh_says_which_was_missing(settings):
    settings.DOCKER_CLI = "/nonexistent/docker"
    refresh_builders()
    assert Snapshot.of(BUILDERS).error.startswith("docker CLI not found (/nonexistent/docker)")


def test_builders_gone_from_buildx_are_gone_from_the_page(replay):
    BuilderRecord.objects.create(name="old", driver="docker-container")
    replay(builders=["default"])
    refresh_builders()
    assert list(BuilderRecord.objects.values_list("name", flat=True)) == ["default"]


def test_the_watch_records_emulators_and_notices_when_they_vanish(replay, binfmt_dir):
    replay(builders=["default"])
    (binfmt_dir / "qemu-aarch64").write_text(QEMU_AARCH64)
    refresh_builders()
    state = EmulatorState.objects.get()
    assert (state.name, state.platforms, state.registered) == (
        "qemu-aarch64", ["linux/arm64"], True)
    assert state.missing_since is None

    (binfmt_dir / "qemu-aarch64").unlink()  # what a reboot does
    refresh_builders()
    state.refresh_from_db()
    assert not state.registered and state.missing_since is not None

    (binfmt_dir / "qemu-aarch64").write_text(QEMU_AARCH64)  # Bootstrap ran again
    refresh_builders()
    state.refresh_from_db()
    assert state.registered and state.missing_since is None


def test_the_watch_ignores_a_remote_engine_and_an_unmounted_binfmt_misc(settings, binfmt_dir):
    EmulatorState.objects.create(name="qemu-aarch64", registered=True)
    settings.DOCKER_HOST = "ssh://me@manager"
    assert watch_local_emulators() is None
    settings.DOCKER_HOST = ""
    (binfmt_dir / "register").unlink()
    assert watch_local_emulators() is None
    assert EmulatorState.objects.get().registered


def test_json_without_current_asks_the_table_which_builder_is_current(monkeypatch):
    """buildx 0.13-0.23 print no Current in JSON (no fixture of theirs: the 0.36.1 lines
    without it stand in); the table's "*" says which builder is current."""
    objects = [json.loads(line) for line in fixture_text(
        "buildx/ls_format_json_v0.36.1.jsonl").splitlines()]
    for obj in objects:
        del obj["Current"]
    outputs = {tuple(LS_JSON): "\n".join(map(json.dumps, objects)),
               ("buildx", "ls"): fixture_text("buildx/ls_v0.36.1.txt")}
    calls: list[list[str]] = []

    def run(args: list[str], timeout: float | None = None) -> buildx.CliResult:
        calls.append(list(args))
        return buildx.CliResult(["docker", *args], 0, outputs[tuple(args)], "")

    monkeypatch.setattr(buildx, "run_docker_cli", run)
    listing = buildx.fetch_builders_from_buildx()

    assert calls == [LS_JSON, ["buildx", "ls"]]
    assert [(b.name, b.current) for b in listing.builders] == [
        ("multiarch", True), ("multiarch-remote", False), ("default", False)]


def test_a_buildx_that_hangs_is_stopped_with_its_children_and_reported(settings, tmp_path):
    hanging = tmp_path / "docker"
    hanging.write_text("#!/bin/sh\nsleep 30 &\nsleep 30\n")  # a child holds the pipes too
    hanging.chmod(0o755)
    settings.DOCKER_CLI = str(hanging)
    settings.BUILDX_TIMEOUT = 0.5

    started = time.monotonic()
    refresh_builders()

    assert time.monotonic() - started < 10
    assert Snapshot.of(BUILDERS).error.startswith(
        "`docker buildx ls --format json` gave no answer within 0.5 s")
