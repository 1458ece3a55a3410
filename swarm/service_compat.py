"""Per service and node: will Swarm place it there, and can the node run it? (pure, no I/O)

The two answers come from different rule sets (DOMAIN.md sections 2-3, ``swarm/compat.py``).
Where they disagree the task dies at pull or with ``exec format error``, or sits pending:
this module says which, names the nodes behind Swarm's "unsupported platform on 1 node",
and looks for a fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from swarm.compat import Level, RunVerdict, SwarmVerdict, placement_warning
from swarm.compat_nodes import NodeColumn, VerdictCache
from swarm.constraints import (
    Constraint,
    ConstraintCheck,
    check_constraints,
    constraint_warnings,
    parse_constraints,
)
from swarm.fix_hints import FixHints, TagFacts, fix_hints
from swarm.image_lookup import ImageMatch, InventoryTag
from swarm.platforms import Platform
from swarm.service_info import ServiceInfo, TaskInfo

# Desired states of tasks that are over: kept by the manager as history only.
_HISTORY = frozenset({"shutdown", "remove", "orphaned"})
_UNSUPPORTED = re.compile(r"unsupported platform on (\d+) nodes?")
_CONSTRAINTS = re.compile(r"scheduling constraints not satisfied on (\d+) nodes?")
HISTORY_SHOWN = 3
_NO_CONSTRAINTS = ConstraintCheck(True)


@dataclass(frozen=True)
class PlatformEntry:
    """One ``Placement.Platforms`` entry as stored, and what it does in Swarm's filter."""

    os: str
    architecture: str
    repeated: bool = False  # the same entry came earlier (its note is shown once)

    @property
    def text(self) -> str:
        return f"{self.os or '*'}/{self.architecture or '*'}"

    @property
    def note(self) -> str:
        if self.os == "unknown" and self.architecture == "unknown":
            return "an attestation entry the client copied: matches no node"
        if not self.architecture:
            return "architecture blanked (an arm entry, moby/swarmkit#2294): matches every node"
        return ""


class NodeState(StrEnum):
    OK = "ok"  # Swarm may place it and the node runs it
    WARN = "warn"  # Swarm may place it but the node cannot run it
    MISSED = "missed"  # the node could run it but Swarm will not place it there
    REFUSED = "refused"  # Swarm keeps it off a node that cannot run it: consistent
    UNKNOWN = "unknown"  # the image's (or node's) platforms are unknown
    EXCLUDED = "excluded"  # constraints keep it off
    UNAVAILABLE = "unavailable"  # node down, drained or paused


@dataclass(frozen=True)
class NodeOutcome:
    """Both answers for a group of nodes that share them: same platform (klass), same
    availability, same constraint result. 50 nodes of three kinds make three outcomes,
    shown as three lines rather than 50 chips."""

    swarm: SwarmVerdict
    run: RunVerdict
    constraint: ConstraintCheck
    unavailable_reason: str  # "" when the node takes new tasks
    columns: tuple[NodeColumn, ...]

    @property
    def considered(self) -> bool:
        """Does Swarm's platform filter see these nodes (ready, active, constraints ok)?
        swarmkit runs its filters in order and stops at the first that fails."""
        return not self.unavailable_reason and self.constraint.satisfied is not False

    @property
    def state(self) -> NodeState:
        if self.unavailable_reason:
            return NodeState.UNAVAILABLE
        if self.constraint.satisfied is False:
            return NodeState.EXCLUDED
        if self.run.level is Level.UNKNOWN:
            return NodeState.UNKNOWN
        if self.swarm.allowed:
            return NodeState.OK if self.run.runnable else NodeState.WARN
        return NodeState.MISSED if self.run.runnable else NodeState.REFUSED

    @property
    def title(self) -> str:
        """The tooltip: both answers and why."""
        swarm = "allows" if self.swarm.allowed else "refuses"
        parts = [f"Swarm {swarm}: {self.swarm.reason}.",
                 f"Node: {self.run.level}: {self.run.reason}."]
        if self.unavailable_reason:
            parts.insert(0, f"{self.unavailable_reason.capitalize()}: no new tasks.")
        elif self.constraint.satisfied is False:
            parts.insert(0, f"Excluded by {', '.join(self.constraint.failed)}.")
        return " ".join(parts)

    @property
    def labels(self) -> list[str]:
        return [column.label for column in self.columns]


@dataclass(frozen=True)
class TaskLine:
    task: TaskInfo
    node: str  # the node's label, "" when the task is not assigned
    explanation: str = ""  # Status.Err with the nodes behind its counts named


@dataclass
class ServiceReport:
    service: ServiceInfo
    replicas_running: int
    match: ImageMatch
    platforms: list[PlatformEntry]
    outcomes: list[NodeOutcome]
    warnings: list[str]
    tasks: list[TaskLine]
    history: list[TaskLine]
    constraint_notes: list[str] = field(default_factory=list)
    needed: list[Platform] = field(default_factory=list)  # node platforms the image lacks
    hints: FixHints = field(default_factory=FixHints)

    @property
    def task_rows(self) -> list[tuple[TaskLine, bool]]:
        """Current tasks, then the latest failures (flagged True): one table."""
        return [(line, False) for line in self.tasks] + [(line, True) for line in self.history]

    @property
    def has_problems(self) -> bool:
        pending = any(line.task.state == "pending" for line in self.tasks)
        return bool(self.warnings or self.constraint_notes or pending or not self.match.found)

    @property
    def replicas_text(self) -> str:
        desired = self.service.replicas_desired
        if desired is None:
            return f"{self.replicas_running} ({self.service.mode or 'global'})"
        return f"{self.replicas_running}/{desired}"


def platform_entries(raw: Iterable[dict[str, str]]) -> list[PlatformEntry]:
    entries: list[PlatformEntry] = []
    seen: set[tuple[str, str]] = set()
    for entry in raw:
        pair = (entry.get("OS", ""), entry.get("Architecture", ""))
        entries.append(PlatformEntry(*pair, repeated=pair in seen))
        seen.add(pair)
    return entries


def service_platform_pairs(entries: Iterable[PlatformEntry]) -> list[tuple[str, str]]:
    return [(e.os, e.architecture) for e in entries]


def explain_err(err: str, outcomes: Sequence[NodeOutcome]) -> str:
    """``no suitable node (unsupported platform on 1 node)`` with that node named.

    Swarm gives counts only (moby/swarmkit#2843). It counts nodes that passed the filters
    before the platform filter: ready and active, constraints satisfied.
    """
    explained = err
    found = _UNSUPPORTED.search(err)
    if found:
        names = [label for o in outcomes if o.considered and not o.swarm.allowed
                 for label in o.labels]
        explained = explained.replace(found.group(0), _named(found, names))
    found = _CONSTRAINTS.search(err)
    if found:
        names = [f"{label}: {', '.join(o.constraint.failed)}" for o in outcomes
                 if not o.unavailable_reason and o.constraint.satisfied is False
                 for label in o.labels]
        explained = explained.replace(found.group(0), _named(found, names))
    return explained if explained != err else ""


def _named(found: re.Match[str], names: Sequence[str]) -> str:
    if not names:
        return f"{found.group(0)}: none in swarmdeck's node snapshot (refresh it)"
    text = f"{found.group(0)}: {'; '.join(names)}"
    if len(names) != int(found.group(1)):
        text += f" (Swarm counted {found.group(1)}, the node snapshot has {len(names)})"
    return text


def _outcomes(
    columns: Sequence[NodeColumn],
    pairs: Sequence[tuple[str, str]],
    constraints: Sequence[Constraint],
    match: ImageMatch,
    verdicts: VerdictCache,
    groups: Sequence[tuple[NodeColumn, ...]] | None,
) -> list[NodeOutcome]:
    """Group nodes by what decides both answers, in node order of first appearance."""
    if constraints or groups is None:
        keyed: dict[tuple[object, ...], list[NodeColumn]] = {}
        checks: dict[tuple[object, ...], ConstraintCheck] = {}
        for column in columns:
            check = check_constraints(constraints, column.info)
            key = (column.klass, column.unavailable_reason, check)
            keyed.setdefault(key, []).append(column)
            checks[key] = check
        grouped = [(tuple(members), checks[key]) for key, members in keyed.items()]
    else:
        grouped = [(members, _NO_CONSTRAINTS) for members in groups]
    return [
        NodeOutcome(
            swarm=verdicts.swarm(members[0], pairs),
            run=verdicts.run(members[0], match.platforms, match.is_index),
            constraint=check, unavailable_reason=members[0].unavailable_reason,
            columns=members,
        )
        for members, check in grouped
    ]


def _cause_on_node(task: TaskInfo, outcome: NodeOutcome | None, is_index: bool) -> str:
    """Why a task failed on a node that cannot run the image: Swarm only says "No such
    image" (nothing in the index for this node) or "task: non-zero exit (1)" (runc reports
    exec format error in the container's output, not in Status.Err)."""
    if outcome is None or outcome.run.level is not Level.CANNOT:
        return ""
    if task.state not in ("failed", "rejected"):
        return ""
    node = outcome.columns[0].swarm_node.describe()
    if is_index:
        return (f"the image has no platform for this node ({node}): the pull finds nothing "
                "to run")
    return (f"this node ({node}) cannot run the image: the process dies with exec format "
            "error (docker service logs shows it)")


def _task_lines(tasks: Iterable[TaskInfo], outcomes: Sequence[NodeOutcome],
                match: ImageMatch) -> tuple[list[TaskLine], list[TaskLine]]:
    by_node = {c.info.node_id: (c.label, o) for o in outcomes for c in o.columns}
    current, history = [], []
    ordered = sorted(tasks, key=lambda t: (t.slot or 0, t.node_id,
                                           -(t.timestamp.timestamp() if t.timestamp else 0)))
    for task in ordered:
        label, outcome = by_node.get(task.node_id, (task.node_id[:12], None))
        explanation = (explain_err(task.err, outcomes) if task.err else "") or \
            _cause_on_node(task, outcome, match.is_index)
        line = TaskLine(task, label, explanation)
        (history if task.desired_state in _HISTORY else current).append(line)
    failures = [line for line in history if line.task.err]
    failures.sort(key=lambda line: line.task.timestamp.timestamp() if line.task.timestamp else 0,
                  reverse=True)
    return current, failures[:HISTORY_SHOWN]


def _warning(outcome: NodeOutcome) -> str | None:
    """compat.placement_warning, naming every node of the outcome (it names one)."""
    first = outcome.columns[0]
    warning = placement_warning(first.swarm_node, outcome.swarm, outcome.run)
    if warning is None or len(outcome.columns) == 1:
        return warning
    return warning.replace(first.swarm_node.label, ", ".join(outcome.labels), 1)


def assess_service(
    service: ServiceInfo,
    replicas_running: int,
    tasks: Iterable[TaskInfo],
    columns: Sequence[NodeColumn],
    match: ImageMatch,
    siblings: Sequence[InventoryTag],
    verdicts: VerdictCache,
    groups: Sequence[tuple[NodeColumn, ...]] | None = None,
) -> ServiceReport:
    """Both answers per node, the warnings where they differ, tasks explained, fix hints.

    ``siblings`` are the other scanned tags of the image's repository (for fix hints);
    ``groups``, ``compat_nodes.availability_groups(columns)`` computed once for many
    services, saves regrouping the nodes of services without constraints.
    """
    entries = platform_entries(service.placement_platforms)
    pairs = service_platform_pairs(entries)
    constraints, constraint_errors = parse_constraints(service.constraints)
    outcomes = _outcomes(columns, pairs, constraints, match, verdicts, groups)
    warnings = [w for w in (_warning(o) for o in outcomes if o.considered) if w]
    current, history = _task_lines(tasks, outcomes, match)
    needed = list(dict.fromkeys(
        column.node.platform for o in outcomes if o.considered and o.run.level is Level.CANNOT
        for column in o.columns if column.node
    ))
    hints = FixHints()
    if needed and match.tag is not None and match.platforms is not None:
        own = TagFacts(match.tag.name, tuple(match.platforms), match.is_index)
        hints = fix_hints(own, needed, [t.facts for t in siblings])
    notes = constraint_errors + constraint_warnings(constraints, [c.info for c in columns])
    return ServiceReport(
        service=service, replicas_running=replicas_running, match=match, platforms=entries,
        outcomes=outcomes, warnings=warnings, tasks=current, history=history,
        constraint_notes=notes, needed=needed, hints=hints,
    )

