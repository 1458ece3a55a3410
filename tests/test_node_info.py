"""Turning ``docker node inspect`` JSON into NodeInfo (pure)."""

from __future__ import annotations

import pytest

from swarm.node_info import is_32bit_machine, node_from_api

PI_WORKER = {
    "ID": "pi4bnode",
    "Spec": {"Role": "worker", "Availability": "active", "Labels": {"arch": "arm"}},
    "Description": {
        "Hostname": "raspberrypi",
        "Platform": {"Architecture": "armv7l", "OS": "linux"},
        "Resources": {"NanoCPUs": 4_000_000_000, "MemoryBytes": 3_978_000_000},
        "Engine": {"EngineVersion": "28.3.0", "Labels": {}},
    },
    "Status": {"State": "down", "Message": "heartbeat failure", "Addr": "192.168.31.50"},
}


def test_it_flags_an_armv7l_node_as_a_32bit_os_needing_arm_v7():
    info = node_from_api(PI_WORKER)
    assert info.platform == "linux/arm/v7"
    assert info.architecture == "armv7l"
    assert is_32bit_machine(info.architecture)
    assert (info.cpus, info.state, info.message) == (4.0, "down", "heartbeat failure")
    assert not info.is_leader


@pytest.mark.parametrize(
    ("machine", "platform"),
    [("x86_64", "linux/amd64"), ("aarch64", "linux/arm64"), ("armv6l", "linux/arm/v6"),
     ("i686", "linux/386"), ("riscv-unknown-thing", "")],
)
def test_it_normalises_the_uname_architecture(machine, platform):
    attrs = {"ID": "n", "Description": {"Platform": {"Architecture": machine, "OS": "linux"}}}
    assert node_from_api(attrs).platform == platform


def test_it_tolerates_a_node_with_no_description_yet():
    info = node_from_api({"ID": "joining"})
    assert (info.hostname, info.platform, info.state, info.cpus) == ("", "", "unknown", 0.0)
