"""Swarm placement constraints (``node.labels.x==y``) against nodes (pure, no I/O).

Follows moby/swarmkit ``manager/constraint/constraint.go``: ``==`` and ``!=`` only, keys
case-insensitive, values compared case-insensitively and WITHOUT any normalisation. So
``node.platform.arch==arm64`` matches no Raspberry Pi: the node's architecture is the raw
``uname -m`` string ``aarch64`` (DOMAIN.md section 3). A missing label compares as "".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from swarm.node_info import NodeInfo
from swarm.platforms import Platform

_KEY = re.compile(r"^[a-z_][a-z0-9\-_.]+$", re.IGNORECASE)
_VALUE = re.compile(r"^[a-z0-9:\-_\s.*()?+\[\]\\^$|/]+$", re.IGNORECASE)
_OPERATORS = ("==", "!=")
NODE_LABELS = "node.labels."
ENGINE_LABELS = "engine.labels."
# Keys swarmkit knows but swarmdeck cannot evaluate from its node snapshot.
_UNEVALUATED = frozenset({"node.ip"})


@dataclass(frozen=True)
class Constraint:
    text: str
    key: str
    equal: bool  # "==" (True) or "!=" (False)
    value: str

    @property
    def operator(self) -> str:
        return "==" if self.equal else "!="


@dataclass(frozen=True)
class ConstraintCheck:
    """The outcome for one node: ``satisfied`` None when a constraint could not be evaluated."""

    satisfied: bool | None
    failed: tuple[str, ...] = ()  # the constraints the node fails, as written


def parse_constraint(text: str) -> Constraint:
    """Parse ``key==value`` / ``key!=value``; ValueError with swarmkit's reasons."""
    for operator in _OPERATORS:
        if operator not in text:
            continue
        key, value = (part.strip() for part in text.split(operator, 1))
        if not _KEY.match(key):
            raise ValueError(f"constraint {text!r}: key {key!r} is invalid")
        if not _VALUE.match(value):
            raise ValueError(f"constraint {text!r}: value {value!r} is invalid")
        return Constraint(text, key, operator == "==", value)
    raise ValueError(f"constraint {text!r} needs one of the operators == or !=")


def _node_value(key: str, node: NodeInfo) -> str | None:
    """The node attribute a key names; None for a key swarmkit does not know."""
    lowered = key.lower()
    simple = {
        "node.id": node.node_id,
        "node.hostname": node.hostname,
        "node.role": node.role,
        "node.platform.os": node.os,
        "node.platform.arch": node.architecture,
    }
    if lowered in simple:
        return simple[lowered]
    # Label names stay case-sensitive; only the prefix is not.
    if len(key) > len(NODE_LABELS) and lowered.startswith(NODE_LABELS):
        return node.labels.get(key[len(NODE_LABELS):], "")
    if len(key) > len(ENGINE_LABELS) and lowered.startswith(ENGINE_LABELS):
        return node.engine_labels.get(key[len(ENGINE_LABELS):], "")
    return None


def matches(constraint: Constraint, node: NodeInfo) -> bool | None:
    """Does ``node`` satisfy ``constraint``? None where swarmdeck cannot tell (node.ip)."""
    if constraint.key.lower() in _UNEVALUATED:
        return None
    value = _node_value(constraint.key, node)
    if value is None:
        return False  # swarmkit refuses every node for a key it does not know
    same = value.casefold() == constraint.value.casefold()
    return same if constraint.equal else not same


def check_constraints(constraints: Sequence[Constraint], node: NodeInfo) -> ConstraintCheck:
    """All constraints must hold. Unknown ones (node.ip) make the answer None, not False."""
    failed: list[str] = []
    unknown = False
    for constraint in constraints:
        result = matches(constraint, node)
        if result is None:
            unknown = True
        elif not result:
            failed.append(constraint.text)
    if failed:
        return ConstraintCheck(False, tuple(failed))
    return ConstraintCheck(None if unknown else True)


def parse_constraints(texts: Iterable[str]) -> tuple[list[Constraint], list[str]]:
    """The constraints that parse, and one message per constraint that does not."""
    parsed: list[Constraint] = []
    errors: list[str] = []
    for text in texts:
        try:
            parsed.append(parse_constraint(text))
        except ValueError as error:
            errors.append(str(error))
    return parsed, errors


def _uname_for(value: str, nodes: Sequence[NodeInfo]) -> list[str]:
    """Raw architectures of nodes whose normalised platform is what ``value`` means."""
    try:
        wanted = Platform.create("linux", value).architecture
    except ValueError:
        return []
    raws = []
    for node in nodes:
        try:
            normal = Platform.from_uname(node.architecture).architecture
        except ValueError:
            continue
        if normal == wanted and node.architecture not in raws:
            raws.append(node.architecture)
    return raws


def constraint_warnings(constraints: Sequence[Constraint], nodes: Sequence[NodeInfo]) -> list[str]:
    """Point out ``node.platform.arch`` constraints that use image names instead of uname's.

    ``node.platform.arch==arm64`` matches no node (they report ``aarch64``); ``!=arm64``
    matches every node, which is rarely what was meant either.
    """
    warnings = []
    for constraint in constraints:
        if constraint.key.lower() != "node.platform.arch":
            continue
        raw_names = {node.architecture.casefold() for node in nodes}
        if constraint.value.casefold() in raw_names:
            continue
        suggested = _uname_for(constraint.value, nodes)
        if not suggested:
            continue
        effect = "matches no node" if constraint.equal else "excludes no node"
        uses = " or ".join(f"node.platform.arch{constraint.operator}{s}" for s in suggested)
        warnings.append(
            f"{constraint.text} {effect}: Swarm compares the raw uname architecture "
            f"without normalising it; use {uses}"
        )
    return warnings
