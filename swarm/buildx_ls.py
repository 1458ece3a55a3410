"""Parse ``docker buildx ls`` (JSON and table) and ``docker buildx version`` (pure, no I/O).

``ls --format json`` (0.13+) is preferred: one builder object per line, though 0.13-0.20
repeat the builder's line once per node, and ``Current`` only exists from 0.24. The table is
a fallback for older clients: the tree layout (``\\_`` node rows, ``name*``, platforms
folded as ``linux/amd64 (+4)``) or the legacy layout (two-space node rows, ``name *``).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from swarm.buildx_inspect import BuilderPlatform, GCRule, parse_platforms

_TREE_INDENT = "\\_"
# One entry of the table's PLATFORMS cell: "linux/amd64*", "linux/arm (+2)", "(6 more)".
_TABLE_PLATFORM = re.compile(r"^(?P<platform>[^\s*(]+)(?P<star>\*)?(?:\s*\(\+(?P<count>\d+)\))?$")
_TABLE_MORE = re.compile(r"^\((?P<more>\d+) more\)$")
# Table errors go to stderr after a blank line.
_NODE_ERROR = re.compile(
    r"^Failed to get status for (?P<builder>.+?) \((?P<node>[^()]+)\): (?P<error>.*)$"
)
_BUILDER_ERROR = re.compile(r"^Cannot load builder (?P<builder>.+?): (?P<error>.*)$")
_VERSION = re.compile(
    r"(?P<module>\S*buildx\S*)\s+(?P<version>v?\d+\.\d+\S*)(?:\s+(?P<commit>\S+))?"
)
_RELEASE = re.compile(r"^v?(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?")

_BUILDER_KEYS = frozenset({"Name", "Driver", "LastActivity", "Dynamic", "Nodes", "Err", "Current"})
_NODE_KEYS = frozenset(
    {
        "Name",
        "Endpoint",
        "Flags",
        "DriverOpts",
        "Files",
        "Status",
        "ProxyConfig",
        "Version",
        "Err",
        "IDs",
        "Platforms",
        "GCPolicy",
        "Labels",
    }
)
# buildkit's PruneInfo JSON: keepBytes up to BuildKit 0.16, the three space fields after.
_GC_SIZE_KEYS = {
    "keepbytes": "keep_bytes",
    "reservedspace": "reserved_space",
    "maxusedspace": "max_used_space",
    "minfreespace": "min_free_space",
}


@dataclass(frozen=True)
class PlatformGroup:
    """A folded table entry: ``linux/amd64 (+4)`` stands for 4 ``linux/amd64[/vN]`` platforms."""

    platform: str
    count: int
    user_set: bool = False  # one of the folded platforms carries the "*"


@dataclass
class BuilderNodeSummary:
    name: str
    endpoint: str | None = None
    status: str | None = None  # "running", "inactive", "stopped", "error"...
    error: str | None = None
    buildkit_version: str | None = None
    # Every platform printed on its own. JSON carries no "*" marker, so user_set is False there.
    platforms: list[BuilderPlatform] = field(default_factory=list)
    platform_groups: list[PlatformGroup] = field(default_factory=list)  # tree table only
    hidden_platforms: int = 0  # the tree table's "(N more)"
    driver_options: dict[str, str] = field(default_factory=dict)
    daemon_flags: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    gc_policy: list[GCRule] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    proxy_config: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)  # unknown JSON keys, as JSON text

    @property
    def platform_names(self) -> list[str]:
        return [p.platform for p in self.platforms]

    @property
    def platform_count(self) -> int:
        return (
            len(self.platforms) + sum(g.count for g in self.platform_groups) + self.hidden_platforms
        )

    @property
    def platforms_complete(self) -> bool:
        """False when the table folded or hid platforms: ask ``inspect`` for the full list."""
        return not self.platform_groups and not self.hidden_platforms


@dataclass
class BuilderSummary:
    name: str
    driver: str | None = None
    current: bool | None = None  # None: this output does not say (JSON before 0.24)
    dynamic: bool | None = None
    last_activity: datetime | None = None  # UTC; None for Go's zero time
    error: str | None = None
    nodes: list[BuilderNodeSummary] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BuildxVersion:
    module: str  # "github.com/docker/buildx"
    version: str  # as printed: "v0.36.1", "0.11.2+azure-1", "v0.10.4-desktop.1"
    commit: str | None = None

    @property
    def release(self) -> tuple[int, int, int] | None:
        match = _RELEASE.match(self.version)
        if not match:
            return None
        return int(match["major"]), int(match["minor"]), int(match["patch"] or 0)

    def at_least(self, major: int, minor: int, patch: int = 0) -> bool:
        release = self.release
        return release is not None and release >= (major, minor, patch)


# ---------------------------------------------------------------- version


def parse_version(text: str) -> BuildxVersion:
    """``github.com/docker/buildx v0.36.1 1d8dde8...`` -> BuildxVersion."""
    for line in text.splitlines():
        match = _VERSION.search(line)
        if match:
            return BuildxVersion(match["module"], match["version"], match["commit"])
    raise ValueError("not `docker buildx version` output: no 'buildx vX.Y' line")


# ---------------------------------------------------------------- JSON


def _json_objects(text: str) -> list[dict[str, Any]]:
    """Every JSON object that starts a line (after any junk before its first ``{``)."""
    decoder = json.JSONDecoder()
    objects: list[dict[str, Any]] = []
    for line in text.split("\n"):
        start = line.find("{")
        if start < 0:
            continue
        try:
            value, _ = decoder.raw_decode(line, start)
        except ValueError:
            continue
        if isinstance(value, dict):
            objects.append(value)
    return objects


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _str_dict(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def _str_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _extra(obj: dict[str, Any], known: frozenset[str]) -> dict[str, str]:
    return {k: json.dumps(v) for k, v in obj.items() if k not in known}


def _json_time(value: Any) -> datetime | None:
    """An RFC 3339 time; Go's zero time (``0001-01-01T00:00:00Z``) means never."""
    if not isinstance(value, str) or value.startswith("0001-01-01"):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())  # 3.11 takes "Z" and nanoseconds
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def _decode_files(value: Any) -> dict[str, str]:
    """``Files`` is Go ``[]byte`` per name, so base64; undecodable values are kept as they are."""
    files: dict[str, str] = {}
    for name, encoded in (value or {}).items() if isinstance(value, dict) else ():
        try:
            files[str(name)] = base64.b64decode(str(encoded), validate=True).decode(
                "utf-8", errors="replace"
            )
        except (binascii.Error, ValueError):
            files[str(name)] = str(encoded)
    return files


def _positive_number(value: Any) -> float | None:
    """A PruneInfo number; 0 means unset, as ``inspect`` (which omits it) shows."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if 0 < value < math.inf else None


def _gc_rule(obj: Any) -> GCRule:
    rule = GCRule()
    if not isinstance(obj, dict):
        rule.extra["rule"] = json.dumps(obj)
        return rule
    for key, value in obj.items():
        lowered = key.lower()
        if lowered == "all":
            rule.all = _bool(value)
        elif lowered in ("filter", "filters"):
            rule.filters = _str_list(value)
        elif lowered == "keepduration":
            nanoseconds = _positive_number(value)
            rule.keep_duration = nanoseconds / 1e9 if nanoseconds is not None else None
        elif lowered in _GC_SIZE_KEYS:
            size = _positive_number(value)
            setattr(rule, _GC_SIZE_KEYS[lowered], int(size) if size is not None else None)
        else:
            rule.extra[key] = json.dumps(value)
    return rule


def _json_node(obj: dict[str, Any]) -> BuilderNodeSummary:
    gc_policy = obj.get("GCPolicy")
    return BuilderNodeSummary(
        name=str(obj.get("Name") or ""),
        endpoint=_str(obj.get("Endpoint")),
        status=_str(obj.get("Status")),
        error=_str(obj.get("Err")),
        buildkit_version=_str(obj.get("Version")),
        platforms=[BuilderPlatform(p) for p in _str_list(obj.get("Platforms"))],
        driver_options=_str_dict(obj.get("DriverOpts")),
        daemon_flags=_str_list(obj.get("Flags")),
        files=_decode_files(obj.get("Files")),
        labels=_str_dict(obj.get("Labels")),
        gc_policy=[_gc_rule(r) for r in gc_policy] if isinstance(gc_policy, list) else [],
        ids=_str_list(obj.get("IDs")),
        proxy_config=_str_dict(obj.get("ProxyConfig")),
        extra=_extra(obj, _NODE_KEYS),
    )


def _json_builder(obj: dict[str, Any]) -> BuilderSummary:
    return BuilderSummary(
        name=str(obj["Name"]),
        driver=_str(obj.get("Driver")),
        current=_bool(obj.get("Current")),
        dynamic=_bool(obj.get("Dynamic")),
        last_activity=_json_time(obj.get("LastActivity")),
        error=_str(obj.get("Err")),
        nodes=[_json_node(n) for n in _dicts(obj.get("Nodes"))],
        extra=_extra(obj, _BUILDER_KEYS),
    )


def _merge(into: BuilderSummary, other: BuilderSummary) -> None:
    """Fold a repeated builder line (0.13-0.20 print one per node) into the first one."""
    known = {n.name for n in into.nodes}
    into.nodes += [n for n in other.nodes if n.name not in known]
    if other.current:
        into.current = True
    into.error = into.error or other.error


def parse_ls_json(text: str) -> list[BuilderSummary]:
    """Parse ``docker buildx ls --format json``: builders in order, each once.

    Blank and non-JSON lines are skipped. Raises ValueError when there is text but not one
    builder object in it.
    """
    builders: dict[str, BuilderSummary] = {}
    for obj in _json_objects(text):
        if not isinstance(obj.get("Name"), str):
            continue
        builder = _json_builder(obj)
        if builder.name in builders:
            _merge(builders[builder.name], builder)
        else:
            builders[builder.name] = builder
    if not builders and text.strip():
        raise ValueError("not `docker buildx ls --format json` output: no builder object")
    return list(builders.values())


# ---------------------------------------------------------------- table


def _columns(header: str) -> list[tuple[str, int]]:
    """Header names and where they start; tabwriter aligns every row to them."""
    words = [(m.group(), m.start()) for m in re.finditer(r"\S+", header)]
    columns: list[tuple[str, int]] = []
    for word, start in words:
        # The one header with a space in it (`--format` with .LastActivity).
        if word == "ACTIVITY" and columns and columns[-1][0] == "LAST":
            columns[-1] = ("LAST ACTIVITY", columns[-1][1])
        else:
            columns.append((word, start))
    return columns


def _cells(row: str, columns: list[tuple[str, int]]) -> dict[str, str]:
    cells: dict[str, str] = {}
    for index, (name, start) in enumerate(columns):
        end = columns[index + 1][1] if index + 1 < len(columns) else None
        cells[name] = row[start:end]
    return cells


def _strip_tree(cell: str) -> str:
    cell = cell.strip()
    return cell[len(_TREE_INDENT) :].strip() if cell.startswith(_TREE_INDENT) else cell


def _table_platforms(node: BuilderNodeSummary, text: str) -> None:
    for item in (i.strip() for i in text.split(",")):
        if not item:
            continue
        more = _TABLE_MORE.match(item)
        entry = _TABLE_PLATFORM.match(item)
        if more:
            node.hidden_platforms += int(more["more"])
        elif entry and entry["count"]:
            node.platform_groups.append(
                PlatformGroup(entry["platform"], int(entry["count"]), bool(entry["star"]))
            )
        else:
            node.platforms += parse_platforms(item)


def _table_node(cells: dict[str, str]) -> BuilderNodeSummary:
    node = BuilderNodeSummary(
        name=_strip_tree(cells.get("NAME/NODE", "")),
        endpoint=_strip_tree(cells.get("DRIVER/ENDPOINT", "")) or None,
        status=cells.get("STATUS", "").strip() or None,
        buildkit_version=cells.get("BUILDKIT", "").strip() or None,
    )
    _table_platforms(node, cells.get("PLATFORMS", ""))
    return node


def _table_builder(cells: dict[str, str]) -> BuilderSummary:
    name = cells.get("NAME/NODE", "").strip()
    current = name.endswith("*")  # "name*" in the tree layout, "name *" in the legacy one
    status = cells.get("STATUS", "").strip()
    return BuilderSummary(
        name=name.rstrip("*").strip(),
        driver=cells.get("DRIVER/ENDPOINT", "").strip() or None,
        current=current,
        error=status if status == "error" else None,
    )


def _is_node_row(row: str) -> bool:
    return row.startswith(" ")  # " \_ node" (tree) or "  node" (legacy)


def _apply_stderr(builders: list[BuilderSummary], stderr: str) -> None:
    """Attach the messages ``ls`` prints to stderr for the rows that only say ``error``."""
    by_name = {b.name: b for b in builders}
    for line in (raw.strip() for raw in stderr.split("\n")):
        node_error = _NODE_ERROR.match(line)
        builder_error = _BUILDER_ERROR.match(line)
        if node_error:
            builder = by_name.get(node_error["builder"].rstrip("*").strip())
            for node in builder.nodes if builder else []:
                if node.name == node_error["node"]:
                    node.error = node_error["error"]
        elif builder_error:
            builder = by_name.get(builder_error["builder"].rstrip("*").strip())
            if builder:
                builder.error = builder_error["error"]


def parse_ls_table(stdout: str, stderr: str = "") -> list[BuilderSummary]:
    """Parse the ``docker buildx ls`` table (the newer tree layout, or the legacy one).

    ``stderr``, when given, supplies the error messages behind ``error`` rows. Raises
    ValueError when there is no ``NAME/NODE`` header.
    """
    lines = [line.rstrip("\r") for line in stdout.split("\n")]
    header_at = next((i for i, line in enumerate(lines) if line.startswith("NAME/NODE")), None)
    if header_at is None:
        raise ValueError("not `docker buildx ls` table output: no NAME/NODE header")
    columns = _columns(lines[header_at])
    builders: list[BuilderSummary] = []
    for row in lines[header_at + 1 :]:
        if not row.strip():
            continue
        cells = _cells(row, columns)
        if not _is_node_row(row):
            builders.append(_table_builder(cells))
        elif builders:
            builders[-1].nodes.append(_table_node(cells))
    _apply_stderr(builders, stderr)
    return builders
