"""The Bootstrap job's decisions without I/O (swarm/bootstrap_plan.py)."""

from __future__ import annotations

import pytest

from swarm.bootstrap_plan import (
    BootstrapParams,
    buildable,
    config_difference,
    has_node,
    outcome_text,
)
from swarm.buildx_argv import ArgumentError
from swarm.buildx_inspect import parse_inspect
from tests.shared_fixtures import fixture_text

DEFAULTS = {"builder": "multiarch", "image": "tonistiigi/binfmt", "platforms": "all"}
RUNNING = "buildx/inspect_running_v0.36.1.txt"
OLD = "generated/inspect_docker-container_running_1node_old-format_buildx-v0.10.txt"
TWO_NODES = "generated/inspect_docker-container_2nodes_laptop-amd64_pi-arm64-ssh_buildx-v0.36.txt"


def builder(name: str):
    return parse_inspect(fixture_text(name))


def test_empty_params_take_the_defaults():
    params = BootstrapParams.from_params({}, DEFAULTS)
    assert params == BootstrapParams("multiarch", "tonistiigi/binfmt", "all", use=True,
                                     recreate=False)


def test_form_values_are_validated_and_normalised():
    params = BootstrapParams.from_params(
        {"builder": "HomeLab", "platforms": "linux/arm64,arm", "use": False, "recreate": "on",
         "append_endpoint": "ssh://pi@192.168.1.20"}, DEFAULTS)
    assert (params.builder, params.platforms, params.use, params.recreate) == (
        "homelab", "arm64,arm", False, True)
    assert (params.append_node, params.append_endpoint) == ("homelab1", "ssh://pi@192.168.1.20")
    assert BootstrapParams.from_params(params.as_params(), DEFAULTS) == params


@pytest.mark.parametrize("params, message", [
    ({"builder": "-rf"}, "invalid builder name"),
    ({"image": "--privileged"}, "invalid image"),
    ({"platforms": "all,arm"}, "cannot be combined"),
    ({"append_endpoint": "http://pi"}, "invalid node endpoint"),
])
def test_bad_params_give_a_readable_error(params, message):
    with pytest.raises(ArgumentError, match=message):
        BootstrapParams.from_params(params, DEFAULTS)


def test_a_builder_with_the_wanted_registries_needs_nothing():
    assert config_difference(builder(RUNNING), ["127.0.0.1:5000"], file_changed=True) == ""


def test_a_builder_missing_a_registry_or_keeping_an_old_one_differs():
    assert config_difference(builder(RUNNING), ["127.0.0.1:5000", "10.0.0.5:5000"], False) \
        == "its buildkitd.toml lacks 10.0.0.5:5000"
    assert config_difference(builder(RUNNING), [], False) \
        == "its buildkitd.toml still marks 127.0.0.1:5000 insecure"


def test_without_a_stored_file_only_a_changed_file_means_a_difference():
    assert config_difference(builder(OLD), ["127.0.0.1:5000"], file_changed=False) == ""
    assert config_difference(builder(OLD), ["127.0.0.1:5000"], file_changed=True) \
        == "buildkitd.toml changed since the builder was created"


def test_another_driver_always_differs():
    default = builder("buildx/inspect_default_docker_driver_v0.36.1.txt")
    assert config_difference(default, [], False) == "its driver is docker, not docker-container"


def test_a_node_is_known_by_name_or_endpoint():
    homelab = builder(TWO_NODES)
    assert has_node(homelab, "homelab1", "ssh://x@y")
    assert has_node(homelab, "pi", "ssh://pi@192.168.1.20")
    assert not has_node(homelab, "pi", "ssh://pi@192.168.1.30")
    assert not has_node(None, "homelab1", "ssh://pi@192.168.1.20")


def test_buildable_counts_running_nodes_and_prefers_native():
    nodes = [
        {"status": "running", "native": ["linux/amd64"],
         "emulated": [{"platform": "linux/arm64", "emulator": "qemu-aarch64"}]},
        {"status": "running", "native": ["linux/arm64"], "emulated": []},
        {"status": "error", "native": [], "emulated": [{"platform": "linux/s390x"}]},
    ]
    assert buildable(nodes) == (["linux/amd64", "linux/arm64"], [])


def test_the_outcome_says_whether_anything_changed():
    assert outcome_text("multiarch", ["linux/amd64"], ["linux/arm/v7"], []) == (
        "nothing changed: builder multiarch was already set up; native amd64; emulated arm/v7")
    assert outcome_text("multiarch", [], [], ["created builder multiarch"]) == (
        "builder multiarch ready: native none; emulated none (created builder multiarch)")
