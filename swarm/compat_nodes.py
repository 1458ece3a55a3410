"""Swarm nodes as the compatibility pages see them, and a cache of run verdicts (pure).

Many nodes share a platform and many images share a platform list, so verdicts are
computed once per (node platform, image platforms) pair: 50 nodes x 500 tags is a few
dozen calls to ``compat.run_verdict``, not 25 000.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from swarm.compat import Level, Node, RunVerdict, SwarmVerdict, run_verdict, swarm_verdict
from swarm.node_info import NodeInfo
from swarm.platforms import Platform

_UNAVAILABLE = {"drain": "drained", "pause": "paused"}


@dataclass(frozen=True)
class NodeColumn:
    """One node: its snapshot facts and, when its architecture is known, its compat Node."""

    info: NodeInfo
    node: Node | None  # None: swarmdeck does not know the node's architecture
    # Columns with the same platform, raw architecture and emulators share a klass: every
    # verdict about them is the same, so pages compute it once per klass.
    klass: int = 0

    # Cached: a services page asks each column for these thousands of times.
    @cached_property
    def name(self) -> str:
        return self.info.hostname or self.info.node_id

    @cached_property
    def label(self) -> str:
        return self.node.label if self.node else f"{self.name} ({self.info.architecture or '?'})"

    @cached_property
    def swarm_node(self) -> Node:
        """The node as Swarm's filter sees it: raw OS and architecture, known to us or not."""
        if self.node is not None:
            return self.node
        raw = Platform(self.info.os or "linux", self.info.architecture or "unknown")
        return Node(self.name, raw, self.info.architecture)

    @cached_property
    def schedulable(self) -> bool:
        """swarmkit's ReadyFilter, the first one: ready and active, or no new tasks at all."""
        return self.info.state == "ready" and self.info.availability == "active"

    @cached_property
    def unavailable_reason(self) -> str:
        if self.info.state != "ready":
            return f"the node is {self.info.state or 'not ready'}"
        if self.info.availability != "active":
            state = _UNAVAILABLE.get(self.info.availability, self.info.availability)
            return f"the node is {state}"
        return ""


def node_column(info: NodeInfo, emulated: Iterable[Platform] | None = None) -> NodeColumn:
    try:
        node = Node.from_swarm(info.hostname or info.node_id, info.os, info.architecture,
                               emulated)
    except ValueError:
        node = None
    return NodeColumn(info, node)


def node_columns(
    infos: Iterable[NodeInfo], emulated: Mapping[str, Iterable[Platform]] | None = None
) -> list[NodeColumn]:
    """Columns in the given order; ``emulated`` maps node ids to their known emulators."""
    emulated = emulated or {}
    columns = []
    classes: dict[tuple[object, ...], int] = {}
    for info in infos:
        column = node_column(info, emulated.get(info.node_id))
        node = column.swarm_node
        key = (column.node is None, node.platform, node.raw_arch, node.emulated)
        columns.append(replace(column, klass=classes.setdefault(key, len(classes))))
    return columns


def availability_groups(columns: Sequence[NodeColumn]) -> list[tuple[NodeColumn, ...]]:
    """Columns with the same klass and availability, in order of first appearance: without
    constraints, every service gets the same answers for all the nodes of one group."""
    groups: dict[tuple[int, str], list[NodeColumn]] = {}
    for column in columns:
        groups.setdefault((column.klass, column.unavailable_reason), []).append(column)
    return [tuple(members) for members in groups.values()]


class VerdictCache:
    """``run_verdict`` and ``swarm_verdict`` memoised on what they depend on: the node's
    platform, never its name (their reasons do not mention it)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[object, ...], RunVerdict] = {}
        self._swarm: dict[tuple[object, ...], SwarmVerdict] = {}

    def run(
        self, column: NodeColumn, platforms: Sequence[Platform] | None, is_index: bool
    ) -> RunVerdict:
        node = column.node
        if node is None:
            arch = column.info.architecture or "(none reported)"
            return RunVerdict(Level.UNKNOWN, None,
                              f"swarmdeck does not know the node architecture {arch}")
        key = (node.platform, node.raw_arch, node.emulated,
               None if platforms is None else tuple(platforms), is_index)
        verdict = self._cache.get(key)
        if verdict is None:
            verdict = run_verdict(node, platforms, image_is_index=is_index)
            self._cache[key] = verdict
        return verdict

    def swarm(
        self, column: NodeColumn, service_platforms: Sequence[tuple[str, str]]
    ) -> SwarmVerdict:
        node = column.swarm_node
        key = (node.platform.os, node.swarm_arch, node.platform, tuple(service_platforms))
        verdict = self._swarm.get(key)
        if verdict is None:
            verdict = swarm_verdict(node, service_platforms)
            self._swarm[key] = verdict
        return verdict
