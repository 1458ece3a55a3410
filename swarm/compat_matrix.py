"""The compatibility matrix: registry images x swarm nodes, from plain data (pure, no I/O).

Each cell is ``compat.run_verdict`` for that node and image. A cell also says whether Swarm
would still place a service of that image there, as ``docker service create`` would record
its platforms: the trap of DOMAIN.md section 3, where a blanked ``arm`` entry (or an OCI
single manifest's missing list) lets Swarm send the task to a node that cannot run it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from swarm.compat import Level
from swarm.compat_nodes import NodeColumn, VerdictCache
from swarm.fix_hints import FixHints, fix_hints
from swarm.image_lookup import InventoryTag
from swarm.platforms import Platform, swarm_filter_allows

_SYMBOLS = {Level.NATIVE: "✓", Level.COMPAT32: "✓32", Level.EMULATED: "≈",
            Level.CANNOT: "✗", Level.UNKNOWN: "?"}
_CSS = {Level.NATIVE: "v-native", Level.COMPAT32: "v-compat", Level.EMULATED: "v-emulated",
        Level.CANNOT: "v-cannot", Level.UNKNOWN: "v-unknown"}
TRAP_NOTE = ("Swarm would still place a service of this image here (docker service create "
             "records its platforms with arm blanked, or none for an OCI single manifest), "
             "so its task would fail on this node.")


class RowStatus(StrEnum):
    EVERYWHERE = "runs everywhere"
    MISSING = "misses a node"
    UNKNOWN = "platforms unknown"


@dataclass(frozen=True)
class MatrixCell:
    level: Level
    reason: str
    swarm_places: bool | None  # None when the image's platforms are unknown
    why: int = 0  # the title's number in MatrixBuilder.reasons (pages send each text once)

    @property
    def trap(self) -> bool:
        return bool(self.swarm_places) and self.level is Level.CANNOT

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self.level] + ("⚠" if self.trap else "")

    @property
    def css(self) -> str:
        return _CSS[self.level] + (" v-trap" if self.trap else "")

    @property
    def title(self) -> str:
        text = f"{self.level}: {self.reason}"
        return f"{text}. {TRAP_NOTE}" if self.trap else text


@dataclass(frozen=True)
class MatrixRow:
    tag: InventoryTag
    cells: list[MatrixCell]
    status: RowStatus
    missing: tuple[str, ...]  # labels of the nodes that cannot run it
    used_by: tuple[str, ...] = ()  # service names
    hints: FixHints = field(default_factory=FixHints)
    missing_platforms: tuple[Platform, ...] = ()  # the platforms of those nodes


@dataclass(frozen=True)
class MatrixSummary:
    images: int
    everywhere: int
    missing: int
    unknown: int
    missing_by_platform: list[tuple[str, int]]  # (node platform, images lacking it), most first


def predicted_service_platforms(tag: InventoryTag) -> list[tuple[str, str]] | None:
    """``Placement.Platforms`` as ``docker service create`` would record them for this tag.

    The CLI copies the manager's ``/distribution`` answer: every index entry (arm blanked,
    moby/swarmkit#2294), a Docker single manifest's config platform, and nothing for an OCI
    single manifest. None when the tag's platforms are unknown.
    """
    platforms = tag.known_platforms
    if platforms is None:
        return None
    if tag.kind == "oci_manifest":
        return []
    return [(p.os, "" if p.architecture == "arm" else p.architecture) for p in platforms]


def _status(levels: Iterable[Level], platforms_known: bool) -> RowStatus:
    if not platforms_known:
        return RowStatus.UNKNOWN
    if any(level is Level.CANNOT for level in levels):
        return RowStatus.MISSING
    return RowStatus.EVERYWHERE


class MatrixBuilder:
    """Rows for one page. Cells are memoised per (node klass, image platforms): 50 nodes of
    three kinds x 100 rows of a dozen platform mixes is a few dozen verdicts. Each distinct
    tooltip gets a number in ``reasons``, so a page can send each text once."""

    def __init__(self, columns: Sequence[NodeColumn], verdicts: VerdictCache) -> None:
        self.columns = list(columns)
        self.verdicts = verdicts
        self.reasons: list[str] = []
        self._numbers: dict[str, int] = {}
        self._cells: dict[tuple[int, int], MatrixCell] = {}
        self._images: dict[tuple[object, ...], int] = {}

    def _cell(self, column: NodeColumn, tag: InventoryTag,
              predicted: list[tuple[str, str]] | None) -> MatrixCell:
        run = self.verdicts.run(column, tag.known_platforms, tag.is_index)
        places = None
        if predicted is not None:
            node = column.swarm_node
            places = swarm_filter_allows(node.platform.os, node.swarm_arch, predicted)
        cell = MatrixCell(run.level, run.reason, places)
        why = self._numbers.setdefault(cell.title, len(self._numbers))
        if why == len(self.reasons):
            self.reasons.append(cell.title)
        return replace(cell, why=why)

    def row(
        self,
        tag: InventoryTag,
        used_by: Sequence[str] = (),
        siblings: Sequence[InventoryTag] = (),
    ) -> MatrixRow:
        """A cell per column, the row's status and, where nodes miss out, fix hints."""
        predicted = predicted_service_platforms(tag)
        # Number the image's platform mix once, so each cell's key is two small ints.
        image = self._images.setdefault((tag.known_platforms, tag.is_index, tag.kind),
                                        len(self._images))
        cells = []
        for column in self.columns:
            key = (column.klass, image)
            cell = self._cells.get(key)
            if cell is None:
                cell = self._cells[key] = self._cell(column, tag, predicted)
            cells.append(cell)
        known = [(c, cell) for c, cell in zip(self.columns, cells, strict=True) if c.node]
        status = _status((cell.level for _, cell in known), tag.known_platforms is not None)
        lacking = [c for c, cell in known if cell.level is Level.CANNOT]
        needed = list(dict.fromkeys(c.node.platform for c in lacking if c.node))
        hints = FixHints()
        if needed and tag.known_platforms is not None:
            hints = fix_hints(tag.facts, needed, [s.facts for s in siblings])
        labels = tuple(c.label for c in lacking)
        return MatrixRow(tag, cells, status, labels, tuple(used_by), hints, tuple(needed))


def tag_key(tag: InventoryTag) -> tuple[int, str, str]:
    return (tag.registry_id, tag.repository, tag.name)


def classify(
    tags: Iterable[InventoryTag], columns: Sequence[NodeColumn], verdicts: VerdictCache
) -> tuple[MatrixSummary, dict[tuple[int, str, str], RowStatus]]:
    """Every tag's status and the summary line: how many images run on every node, how
    many miss one, which node platforms miss most. Memoised per platform list: tags share
    a few dozen of them, so 500 tags cost a few dozen verdicts."""
    platform_columns: dict[Platform, NodeColumn] = {}
    for column in columns:
        if column.node is not None:
            platform_columns.setdefault(column.node.platform, column)
    counts = {status: 0 for status in RowStatus}
    lacking: dict[Platform, int] = {}
    statuses: dict[tuple[int, str, str], RowStatus] = {}
    memo: dict[tuple[object, ...], tuple[RowStatus, list[Platform]]] = {}
    for tag in tags:
        key = (tag.known_platforms, tag.is_index)
        if key not in memo:
            misses = [p for p, c in platform_columns.items()
                      if verdicts.run(c, tag.known_platforms, tag.is_index).level is Level.CANNOT]
            memo[key] = (_status([Level.CANNOT] if misses else [],
                                 tag.known_platforms is not None), misses)
        status, misses = memo[key]
        statuses[tag_key(tag)] = status
        counts[status] += 1
        for platform in misses if status is RowStatus.MISSING else ():
            lacking[platform] = lacking.get(platform, 0) + 1
    by_platform = sorted(((str(p), n) for p, n in lacking.items()), key=lambda x: (-x[1], x[0]))
    summary = MatrixSummary(sum(counts.values()), counts[RowStatus.EVERYWHERE],
                            counts[RowStatus.MISSING], counts[RowStatus.UNKNOWN], by_platform)
    return summary, statuses


def default_tags(
    tags: Sequence[InventoryTag], used: Sequence[InventoryTag], newest: int
) -> list[InventoryTag]:
    """The tags services use, then the ``newest`` most recent others (undated ones last)."""
    chosen = {tag_key(t) for t in used}
    others = [t for t in tags if tag_key(t) not in chosen]
    others.sort(key=lambda t: (t.created is not None, t.created), reverse=True)
    return [*used, *others[:newest]]


def filter_tags(
    tags: Iterable[InventoryTag],
    query: str = "",
    status: RowStatus | None = None,
    statuses: Mapping[tuple[int, str, str], RowStatus] | None = None,
) -> list[InventoryTag]:
    """Tags whose ``repository:tag`` contains ``query`` (any case), optionally of one status."""
    needle = query.strip().lower()
    chosen = []
    for tag in tags:
        if needle and needle not in tag.short_reference.lower():
            continue
        if status is not None and (statuses or {}).get(tag_key(tag)) is not status:
            continue
        chosen.append(tag)
    return chosen
