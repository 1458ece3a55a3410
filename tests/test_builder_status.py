"""What each builder node builds natively and emulated (swarm/builder_status.py), on
every buildx fixture."""

from __future__ import annotations

import pytest

from swarm.builder_status import (
    BuildxListing,
    HostFacts,
    SwarmHost,
    builder_states,
    node_machine,
    node_record,
    split_platforms,
)
from swarm.buildx_inspect import parse_inspect
from swarm.buildx_ls import parse_ls_json, parse_ls_table
from swarm.platforms import Platform
from tests.shared_fixtures import FIXTURES, fixture_text

AMD64 = Platform.parse("linux/amd64")
ARM64 = Platform.parse("linux/arm64")
ARM_EMULATORS = ("qemu-aarch64", "qemu-arm")
PI = SwarmHost("pi", "192.168.1.20", "linux/arm64")
SEED = "buildx/inspect_seed_buildx-v0.13-to-v0.17_buildkit-v0.22_arm64-host.txt"
RUNNING = "buildx/inspect_running_v0.36.1.txt"
TWO_NODES = "generated/inspect_docker-container_2nodes_laptop-amd64_pi-arm64-ssh_buildx-v0.36.txt"
PI_DOWN = "generated/inspect_docker-container_2nodes_pi-node-error_buildx-v0.36.txt"
INSPECT_FIXTURES = sorted(
    str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("*/inspect_*.txt")
    if "imagetools" not in p.name
)


def nodes(name: str, facts: HostFacts) -> list[dict]:
    return [node_record(None, node, facts) for node in parse_inspect(fixture_text(name)).nodes]


def test_the_seed_builder_on_an_arm64_engine_builds_everything_natively():
    node = nodes(SEED, HostFacts(engine_platform=ARM64))[0]
    assert node["arch"] == "linux/arm64" and node["arch_source"] == "the engine's architecture"
    assert node["native"] == ["linux/arm64", "linux/arm/v7", "linux/arm/v6"]
    assert node["compat32"] == ["linux/arm/v7", "linux/arm/v6"]
    assert node["emulated"] == []


def test_an_amd64_engine_emulates_arm_through_its_registered_emulators():
    node = nodes(RUNNING, HostFacts(engine_platform=AMD64, emulators=ARM_EMULATORS))[0]
    assert node["native"] == ["linux/amd64", "linux/amd64/v2", "linux/amd64/v3",
                              "linux/amd64/v4", "linux/386"]
    assert node["compat32"] == ["linux/386"]
    assert node["emulated"] == [
        {"platform": "linux/arm64", "emulator": "qemu-aarch64"},
        {"platform": "linux/arm/v7", "emulator": "qemu-arm"},
        {"platform": "linux/arm/v6", "emulator": "qemu-arm"},
    ]


def test_the_same_list_on_an_arm64_engine_is_split_the_other_way():
    node = nodes(RUNNING, HostFacts(engine_platform=ARM64))[0]
    assert node["native"] == ["linux/arm64", "linux/arm/v7", "linux/arm/v6"]
    assert [e["platform"] for e in node["emulated"]] == [
        "linux/amd64", "linux/amd64/v2", "linux/amd64/v3", "linux/amd64/v4", "linux/386"]
    assert all(e["emulator"] == "" for e in node["emulated"])  # none registered there


def test_the_pi_node_is_tied_to_its_swarm_node_and_builds_arm_natively():
    laptop, pi = nodes(TWO_NODES, HostFacts(engine_platform=AMD64, swarm_hosts=(PI,)))
    assert (laptop["arch"], pi["arch"]) == ("linux/amd64", "linux/arm64")
    assert pi["arch_source"] == "swarm node pi"
    assert pi["native"] == ["linux/arm64", "linux/arm/v7", "linux/arm/v6"]
    assert pi["user_set"] == ["linux/arm64"] and laptop["user_set"] == ["linux/amd64"]
    assert laptop["insecure_registries"] == ["192.168.1.10:5000"]


def test_a_node_swarmdeck_cannot_place_is_assumed_from_its_first_platform():
    pi = nodes(TWO_NODES, HostFacts())[1]
    assert pi["arch"] == "linux/arm64"
    assert pi["arch_source"] == "assumed from BuildKit's first platform"


def test_an_unreachable_node_says_so_and_what_to_do():
    pi = nodes(PI_DOWN, HostFacts(engine_platform=AMD64))[1]
    assert pi["status"] == "error"
    assert pi["error"].endswith("No route to host")
    assert "ssh pi@192.168.1.20 docker version" in pi["advice"]
    assert pi["platforms"] == [] and pi["native"] == []


def test_a_remote_driver_on_loopback_runs_on_this_machine():
    node = nodes("buildx/inspect_remote_driver_v0.36.1.txt",
                 HostFacts(engine_platform=ARM64, local_platform=AMD64))[0]
    assert (node["arch"], node["arch_source"]) == ("linux/amd64", "this machine's architecture")


def test_an_inactive_node_has_nothing_to_split():
    node = nodes("generated/inspect_docker-container_inactive_old-format_buildx-v0.10.txt",
                 HostFacts(engine_platform=AMD64))[0]
    assert (node["status"], node["native"], node["emulated"]) == ("inactive", [], [])
    assert node["advice"] == ""


def test_without_any_architecture_platforms_stay_unsplit():
    split = split_platforms(["linux/amd64", "not a platform"], None, None)
    assert split["unknown"] == ["linux/amd64", "not a platform"]
    assert split["native"] == split["emulated"] == []


def test_an_unparseable_platform_is_kept_as_unknown():
    split = split_platforms(["linux/amd64", "linux//x"], AMD64, ())
    assert (split["native"], split["unknown"]) == (["linux/amd64"], ["linux//x"])


def test_the_engine_socket_is_the_engine_only_when_the_engine_is_local():
    remote = HostFacts(engine_host="ssh://me@manager", engine_platform=ARM64)
    assert node_machine("unix:///var/run/docker.sock", ["linux/amd64"], remote).platform == AMD64
    assert node_machine("ssh://me@manager", ["linux/amd64"], remote).platform == ARM64
    assert node_machine("default", [], remote).is_build_host


def test_ls_json_gives_current_driver_registries_and_gc_rules():
    listing = BuildxListing(builders=parse_ls_json(fixture_text(
        "buildx/ls_format_json_v0.36.1.jsonl")))
    states = {s.name: s for s in builder_states(listing, HostFacts(engine_platform=AMD64))}
    assert list(states) == ["multiarch", "multiarch-remote", "default"]
    multiarch = states["multiarch"]
    assert multiarch.is_current and multiarch.driver == "docker-container"
    assert multiarch.insecure_registries == ["127.0.0.1:5000"]
    node = multiarch.nodes[0]
    assert node["buildkit_version"] == "v0.32.2" and node["status"] == "running"
    assert node["gc_policy"][0]["keep_duration"] == 172800
    assert node["gc_policy"][0]["max_used_space"] == 512000000
    assert node["driver_options"] == {"image": "local/buildkit:acc", "network": "host"}
    assert not states["default"].is_current and states["default"].insecure_registries == []


def test_ls_json_with_an_unreachable_node_keeps_the_builder_and_the_error():
    listing = BuildxListing(builders=parse_ls_json(fixture_text(
        "generated/ls_json_buildx-v0.36.stdout.jsonl")))
    homelab = builder_states(listing, HostFacts(engine_platform=AMD64))[0]
    laptop, pi = homelab.nodes
    assert laptop["status"] == "running" and pi["status"] == "error"
    assert "No route to host" in pi["error"] and "ssh pi@192.168.1.20" in pi["advice"]


def test_the_legacy_table_and_inspect_together_give_the_full_node():
    table = parse_ls_table(
        fixture_text("generated/ls_table_legacy_buildx-v0.10.stdout.txt"),
        fixture_text("generated/ls_table_legacy_buildx-v0.10.stderr.txt"))
    inspected = parse_inspect(fixture_text(
        "generated/inspect_docker-container_running_1node_old-format_buildx-v0.10.txt"))
    listing = BuildxListing(builders=table, inspected={"multiarch": inspected},
                            inspect_errors={"homelab": "docker buildx inspect failed: x"})
    states = {s.name: s for s in builder_states(listing, HostFacts(engine_platform=AMD64))}
    assert states["multiarch"].is_current
    assert states["multiarch"].nodes[0]["driver_options"] == {"network": "host"}
    assert "linux/riscv64" in [e["platform"] for e in states["multiarch"].nodes[0]["emulated"]]
    assert states["homelab"].error == "docker buildx inspect failed: x"
    assert states["homelab"].nodes[0]["user_set"] == ["linux/amd64"]  # the table's "*"


def test_the_folded_tree_table_falls_back_to_inspect_platforms():
    table = parse_ls_table(fixture_text("buildx/ls_v0.36.1.txt"))
    inspected = parse_inspect(fixture_text(RUNNING))
    listing = BuildxListing(builders=table, inspected={"multiarch": inspected})
    state = builder_states(listing, HostFacts(engine_platform=AMD64))[0]
    assert state.nodes[0]["platforms"] == inspected.nodes[0].platform_names


@pytest.mark.parametrize("name", INSPECT_FIXTURES)
def test_every_inspect_fixture_becomes_a_builder_state(name):
    builder = parse_inspect(fixture_text(name))
    listing = BuildxListing(inspected={builder.name or "x": builder}, raw={"x": "raw"})
    for facts in (HostFacts(), HostFacts(engine_platform=AMD64, emulators=ARM_EMULATORS),
                  HostFacts(engine_platform=ARM64, swarm_hosts=(PI,))):
        (state,) = builder_states(listing, facts)
        assert state.nodes and all(n["name"] for n in state.nodes)
        for node in state.nodes:
            split = node["native"] + [e["platform"] for e in node["emulated"]] + node["unknown"]
            assert sorted(split) == sorted(node["platforms"])
