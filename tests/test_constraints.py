"""Swarm placement constraints the way swarmkit evaluates them: raw, case-insensitive,
no normalisation (so node.platform.arch==arm64 matches no Raspberry Pi)."""

from __future__ import annotations

import pytest

from swarm.constraints import (
    check_constraints,
    constraint_warnings,
    matches,
    parse_constraint,
    parse_constraints,
)
from swarm.node_info import NodeInfo


def node(hostname: str = "pi", machine: str = "aarch64", role: str = "worker",
         labels: dict[str, str] | None = None,
         engine_labels: dict[str, str] | None = None) -> NodeInfo:
    return NodeInfo(
        node_id="n1", hostname=hostname, role=role, is_leader=False, state="ready",
        availability="active", address="", engine_version="", os="linux",
        architecture=machine, platform="", cpus=1, memory_bytes=1,
        labels=labels or {}, engine_labels=engine_labels or {},
    )


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        ("node.platform.arch==arm64", node(machine="aarch64"), False),
        ("node.platform.arch==aarch64", node(machine="aarch64"), True),
        ("node.platform.arch == AARCH64", node(machine="aarch64"), True),
        ("node.platform.arch!=arm64", node(machine="aarch64"), True),
        ("node.platform.arch==amd64", node(machine="x86_64"), False),
        ("node.platform.os==linux", node(), True),
        ("node.role==worker", node(role="worker"), True),
        ("node.role==manager", node(role="worker"), False),
        ("node.hostname!=pi", node(hostname="pi"), False),
        ("NODE.HOSTNAME==pi", node(hostname="pi"), True),
        ("node.id==n1", node(), True),
        ("node.labels.zone==a", node(labels={"zone": "a"}), True),
        ("node.labels.zone==a", node(labels={}), False),
        ("node.labels.zone!=a", node(labels={}), True),
        ("node.labels.Zone==a", node(labels={"zone": "a"}), False),  # label names keep case
        ("engine.labels.gpu==yes", node(engine_labels={"gpu": "yes"}), True),
        ("node.nonsense==x", node(), False),  # swarmkit refuses every node for unknown keys
        ("node.nonsense!=x", node(), False),
        ("node.ip==10.0.0.1", node(), None),  # not in the node snapshot: unknown
    ],
)
def test_it_matches_like_swarmkit(text, target, expected):
    assert matches(parse_constraint(text), target) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("node.role", "needs one of the operators == or !="),
        ("1node==a", "key '1node' is invalid"),
        ("node.role==", "value '' is invalid"),
        ("node.role==a<b", "value 'a<b' is invalid"),
    ],
)
def test_bad_constraints_get_a_message(text, message):
    parsed, errors = parse_constraints([text, "node.role==worker"])
    assert [c.text for c in parsed] == ["node.role==worker"]
    assert len(errors) == 1 and message in errors[0]


def test_every_constraint_must_hold_and_the_failed_ones_are_named():
    constraints, _ = parse_constraints(["node.role==worker", "node.labels.zone==a"])
    check = check_constraints(constraints, node(labels={"zone": "b"}))
    assert check.satisfied is False
    assert check.failed == ("node.labels.zone==a",)
    assert check_constraints(constraints, node(labels={"zone": "a"})).satisfied is True
    ip_only, _ = parse_constraints(["node.ip==10.0.0.1"])
    assert check_constraints(ip_only, node()).satisfied is None


def test_it_warns_about_arch_constraints_written_with_image_names():
    nodes = [node("pi", "aarch64"), node("pi32", "armv7l"), node("laptop", "x86_64")]
    constraints, _ = parse_constraints(["node.platform.arch==arm64", "node.platform.arch!=arm",
                                        "node.platform.arch==aarch64", "node.role==worker"])

    assert constraint_warnings(constraints, nodes) == [
        "node.platform.arch==arm64 matches no node: Swarm compares the raw uname architecture "
        "without normalising it; use node.platform.arch==aarch64",
        "node.platform.arch!=arm excludes no node: Swarm compares the raw uname architecture "
        "without normalising it; use node.platform.arch!=armv7l",
    ]
