"""The buildkitd.toml Bootstrap writes, and reading back what builders store
(swarm/buildkitd_config.py)."""

from __future__ import annotations

import pytest

from swarm.buildkitd_config import insecure_registries, render_buildkitd_toml
from swarm.buildx_inspect import parse_inspect
from tests.shared_fixtures import fixture_text


def test_it_writes_the_same_layout_as_the_fixture():
    assert render_buildkitd_toml(["192.168.1.10:5000"]) == fixture_text(
        "generated/buildkitd.toml")


def test_it_writes_one_sorted_section_per_host_once():
    text = render_buildkitd_toml(["registry.lan:5000", "127.0.0.1:5000", "registry.lan:5000"])
    assert text == ('[registry."127.0.0.1:5000"]\n  http = true\n  insecure = true\n\n'
                    '[registry."registry.lan:5000"]\n  http = true\n  insecure = true\n')


def test_no_registries_give_an_empty_config():
    assert render_buildkitd_toml([]) == ""
    assert insecure_registries("") == []


@pytest.mark.parametrize("host", ['evil"]\n[x', "host:5000/path", "", "-x:1"])
def test_it_refuses_a_host_that_would_break_the_toml(host):
    with pytest.raises(ValueError, match="is not a registry host"):
        render_buildkitd_toml([host])


@pytest.mark.parametrize("name", [
    "generated/buildkitd.toml",
    "generated/buildkitd.toml.as-stored_go-toml-v1_buildx-up-to-v0.31.txt",
    "generated/buildkitd.toml.as-stored_go-toml-v2_buildx-v0.32-plus.txt",
])
def test_it_reads_the_insecure_registry_in_every_stored_layout(name):
    assert insecure_registries(fixture_text(name)) == ["192.168.1.10:5000"]


def test_it_reads_the_config_a_running_builder_shows_in_inspect():
    node = parse_inspect(fixture_text("buildx/inspect_running_v0.36.1.txt")).nodes[0]
    assert insecure_registries(node.files["buildkitd.toml"]) == ["127.0.0.1:5000"]


def test_what_it_writes_reads_back():
    hosts = ["10.0.0.5:5000", "[fd00::1]:5000", "registry.lan"]
    assert insecure_registries(render_buildkitd_toml(hosts)) == sorted(hosts)


def test_a_registry_with_neither_flag_is_not_insecure():
    text = ('[registry."docker.io"]\n  mirrors = ["mirror.lan"]\n'
            '[registry."a:5000"]\n  insecure = true\n')
    assert insecure_registries(text) == ["a:5000"]


def test_text_that_is_not_toml_gives_a_readable_error():
    with pytest.raises(ValueError, match="buildkitd.toml is not valid TOML"):
        insecure_registries("[registry\nhttp = ")
