"""The argv of every buildx and binfmt command (swarm/buildx_argv.py): exact lists, and
user values that could be read as options or break the command refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swarm import buildx_argv as argv
from swarm.buildx_argv import ArgumentError


def test_the_buildx_commands_are_exact_argv_lists():
    assert argv.buildx_version() == ["buildx", "version"]
    assert argv.buildx_ls_json() == ["buildx", "ls", "--format", "json"]
    assert argv.buildx_ls_table() == ["buildx", "ls"]
    assert argv.buildx_inspect("multiarch") == ["buildx", "inspect", "multiarch"]
    assert argv.buildx_inspect("multiarch", bootstrap=True) == [
        "buildx", "inspect", "--bootstrap", "multiarch"]
    assert argv.buildx_rm("multiarch") == ["buildx", "rm", "multiarch"]


def test_create_names_the_driver_and_config_and_uses_the_builder_only_when_asked():
    base = ["buildx", "create", "--name", "multiarch", "--driver", "docker-container",
            "--config", "/data/buildkitd/multiarch.toml"]
    assert argv.buildx_create("multiarch", "/data/buildkitd/multiarch.toml", use=True) == [
        *base, "--use"]
    assert argv.buildx_create("multiarch", "/data/buildkitd/multiarch.toml", use=False) == base


def test_append_adds_a_named_node_at_its_endpoint():
    assert argv.buildx_append("homelab", "homelab1", "ssh://pi@192.168.1.20") == [
        "buildx", "create", "--append", "--name", "homelab", "--node", "homelab1",
        "ssh://pi@192.168.1.20"]


def test_binfmt_runs_privileged_and_installs_only_with_install():
    assert argv.binfmt_status("tonistiigi/binfmt") == [
        "run", "--rm", "--privileged", "tonistiigi/binfmt"]
    assert argv.binfmt_install("tonistiigi/binfmt", "all") == [
        "run", "--rm", "--privileged", "tonistiigi/binfmt", "--install", "all"]
    assert argv.binfmt_install("registry.lan:5000/binfmt:qemu-v9", "arm64") == [
        "run", "--rm", "--privileged", "registry.lan:5000/binfmt:qemu-v9", "--install", "arm64"]


@pytest.mark.parametrize("text, value", [
    ("", "all"), ("all", "all"), (" ALL ", "all"), ("arm64", "arm64"),
    ("arm64,arm", "arm64,arm"), ("linux/arm64, linux/arm/v7", "arm64,arm"),
    ("arm64,linux/arm64,arm64", "arm64"), ("riscv64,s390x", "riscv64,s390x"),
])
def test_it_reads_the_platform_list_as_binfmt_names(text, value):
    assert argv.binfmt_platforms(text) == value


@pytest.mark.parametrize("text, message", [
    ("all,arm64", "'all' cannot be combined"),
    ("sparc64", "unknown emulator platform 'sparc64'"),
    ("linux/sparc64", "binfmt has no emulator for 'linux/sparc64'"),
    ("windows/amd64", "binfmt has no emulator"),
    ("linux//v7", "invalid platform"),
])
def test_it_refuses_platforms_binfmt_cannot_install(text, message):
    with pytest.raises(ArgumentError, match=message):
        argv.binfmt_platforms(text)


def test_builder_names_follow_buildx_and_are_lowercased():
    assert argv.builder_name(" MultiArch ") == "multiarch"
    assert argv.builder_name("home_lab.2-x") == "home_lab.2-x"


@pytest.mark.parametrize("name", ["", "-rf", "--use", "2fast", "multi arch", "a/b", "x;rm"])
def test_it_refuses_builder_names_buildx_would_refuse_or_read_as_options(name):
    with pytest.raises(ArgumentError, match="must start with a letter"):
        argv.buildx_inspect(name)


@pytest.mark.parametrize("image", ["", "--privileged", "-v", "a b", "img;reboot"])
def test_it_refuses_images_that_are_not_references(image):
    with pytest.raises(ArgumentError, match="invalid image"):
        argv.binfmt_status(image)


@pytest.mark.parametrize("endpoint", ["ssh://pi@192.168.1.20", "tcp://10.0.0.2:1234",
                                      "unix:///var/run/docker.sock", "pi-context"])
def test_it_accepts_endpoints_and_context_names(endpoint):
    assert argv.node_endpoint(endpoint) == endpoint


@pytest.mark.parametrize("endpoint", ["", "--driver", "ssh://", "http://pi", "ssh://pi host"])
def test_it_refuses_endpoints_buildx_cannot_use(endpoint):
    with pytest.raises(ArgumentError, match="invalid node endpoint"):
        argv.node_endpoint(endpoint)


@given(st.text(max_size=40))
def test_any_user_text_gives_a_safe_argv_or_a_readable_error(text):
    for build in (lambda: argv.buildx_create(text, "/c.toml", use=True),
                  lambda: argv.binfmt_install(text, text),
                  lambda: argv.buildx_append("b", text, text)):
        try:
            command = build()
        except ArgumentError as error:
            assert str(error)
            continue
        # No user value can start with "-" (an option) or hide whitespace.
        user_parts = [part for part in command if part not in (
            "buildx", "create", "run", "--rm", "--privileged", "--install", "--name",
            "--driver", "--config", "--use", "--append", "--node", "docker-container",
            "/c.toml")]
        assert all(not part.startswith("-") and part.strip() == part for part in user_parts)
