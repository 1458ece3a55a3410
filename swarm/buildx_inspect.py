"""Parse ``docker buildx inspect`` text into plain values (pure, no I/O).

``buildx inspect`` has no JSON form in any version (docker/buildx#381). It prints a tabwriter
table whose value column moves from section to section, so every line is split at its label
(the first ``:`` followed by whitespace or the end of the line), never at a column position.
Labels changed over the versions (``commands/inspect.go``): 0.10 ``Flags:``/``Buildkit:``,
0.13 ``BuildKit daemon flags:``/``BuildKit version:``, 0.18 ``Reserved Space``/``Max Used
Space``/``Min Free Space`` replacing ``Keep Bytes`` plus ``File#NAME:`` blocks, 0.21
``Devices:``. Unknown labels are kept as raw text so a new buildx never breaks the parse.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

# The label separator: tabwriter pads after the colon, so "http://x" is not a label.
_LABEL = re.compile(r"^(?P<label>[^:]*):(?:\s+(?P<value>.*))?$")

# Go's time.Time.String(): "2026-11-28 12:49:45.123 +0000 UTC".
_GO_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2}) (?P<time>\d{2}:\d{2}:\d{2})(?P<frac>\.\d+)? "
    r"(?P<sign>[+-])(?P<hh>\d{2})(?P<mm>\d{2})"
)

# `Driver Options:` is `k="v"` pairs (Go %q), space separated.
_DRIVER_OPTION = re.compile(r'(?P<key>[^\s=]+)=(?P<value>"(?:[^"\\]|\\.)*"|\S*)')

# One-line node labels, old and new spellings.
_NODE_VALUE_LABELS = frozenset(
    {
        "endpoint",
        "driver options",
        "status",
        "error",
        "buildkit daemon flags",
        "flags",
        "buildkit version",
        "buildkit",
        "platforms",
    }
)

_SIZE = re.compile(r"^(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(?P<unit>[A-Za-z]*)$")
_SIZE_PREFIXES = "kmgtpezy"

_DURATION_PART = re.compile(r"(?P<number>\d+(?:\.\d*)?|\.\d+)(?P<unit>ns|us|µs|μs|ms|s|m|h)")
_DURATION_UNITS: dict[str, float] = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


@dataclass(frozen=True)
class BuilderPlatform:
    platform: str
    user_set: bool = False  # printed with a "*": pinned by `buildx create --platform`


@dataclass
class GCRule:
    """One ``GC Policy rule#N`` block. ``*_text`` is as printed, the plain name is parsed."""

    all: bool | None = None
    filters: list[str] = field(default_factory=list)
    keep_duration_text: str | None = None
    keep_duration: float | None = None  # seconds
    keep_bytes_text: str | None = None  # up to 0.17
    keep_bytes: int | None = None
    reserved_space_text: str | None = None  # 0.18+
    reserved_space: int | None = None
    max_used_space_text: str | None = None
    max_used_space: int | None = None
    min_free_space_text: str | None = None
    min_free_space: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Device:
    """One CDI device of a ``Devices:`` block (0.21+)."""

    name: str
    auto_allow: bool | None = None
    on_demand: bool | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class BuilderNode:
    name: str
    endpoint: str | None = None
    driver_options: dict[str, str] = field(default_factory=dict)
    # "running", "inactive", "stopped"...; "error" when the node printed Error: (as `ls` does)
    status: str | None = None
    error: str | None = None
    buildkit_version: str | None = None
    daemon_flags: list[str] = field(default_factory=list)
    platforms: list[BuilderPlatform] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    gc_policy: list[GCRule] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    devices: list[Device] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def platform_names(self) -> list[str]:
        return [p.platform for p in self.platforms]

    @property
    def user_set_platforms(self) -> list[str]:
        return [p.platform for p in self.platforms if p.user_set]


@dataclass
class Builder:
    name: str | None
    driver: str | None = None
    last_activity: datetime | None = None  # UTC
    error: str | None = None  # the builder itself could not be loaded
    nodes: list[BuilderNode] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    unparsed: list[str] = field(default_factory=list)  # lines that carry no label


@dataclass
class _Entry:
    """A top-level ``Label: value`` line and the indented lines under it."""

    label: str
    value: str
    children: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.label.lower()

    def raw(self) -> str:
        parts = [self.value] if self.value else []
        parts += [child.strip() for child in self.children]
        return "\n".join(parts)


# ---------------------------------------------------------------- value helpers


def parse_size(text: str) -> int | None:
    """Bytes from go-units text: "488.3MiB", "9.313GiB", "0B", "1.5GB", "512000000".

    buildx prints binary units with 4 significant digits, so the result is approximate.
    """
    match = _SIZE.match(text.strip())
    if not match:
        return None
    unit = match["unit"].lower()
    unit = unit[:-1] if unit.endswith("b") else unit
    base = 1000
    if unit.endswith("i"):
        base, unit = 1024, unit[:-1]
    if len(unit) > 1 or (unit and unit not in _SIZE_PREFIXES):
        return None
    power = _SIZE_PREFIXES.index(unit) + 1 if unit else 0
    size = float(match["number"]) * base**power
    return round(size) if math.isfinite(size) else None


def parse_duration(text: str) -> float | None:
    """Seconds from a Go duration string: "48h0m0s" -> 172800.0, "1.5s", "300ms", "0s"."""
    text = text.strip()
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-")
    if text == "0":
        return 0.0
    parts = list(_DURATION_PART.finditer(text))
    if not parts or "".join(p.group(0) for p in parts) != text:
        return None
    seconds = sign * sum(float(p["number"]) * _DURATION_UNITS[p["unit"]] for p in parts)
    return seconds if math.isfinite(seconds) else None


def parse_go_time(text: str) -> datetime | None:
    """A UTC datetime from Go's ``time.Time.String()`` ("2026-11-28 12:49:45 +0000 UTC")."""
    match = _GO_TIME.search(text)
    if not match:
        return None
    frac = (match["frac"] or ".0")[1:7].ljust(6, "0")  # Go prints up to ns, Python keeps us
    iso = f"{match['date']}T{match['time']}.{frac}{match['sign']}{match['hh']}:{match['mm']}"
    try:
        return datetime.fromisoformat(iso).astimezone(UTC)
    except (ValueError, OverflowError):  # e.g. month 13, or year 1 moved before year 1
        return None


def parse_bool(text: str) -> bool | None:
    lowered = text.strip().lower()
    return {"true": True, "false": False}.get(lowered)


def parse_platforms(text: str) -> list[BuilderPlatform]:
    """``linux/amd64*, linux/arm64`` -> platforms, ``*`` marking the user-set ones."""
    platforms: list[BuilderPlatform] = []
    for item in text.split(","):
        item = item.strip()
        if item:
            user_set = item.endswith("*")
            platforms.append(BuilderPlatform(item.rstrip("*").strip(), user_set))
    return platforms


def parse_driver_options(text: str) -> dict[str, str]:
    """``image="moby/buildkit" network="host"`` -> dict (values were printed with Go's %q)."""
    return {m["key"]: _unquote(m["value"]) for m in _DRIVER_OPTION.finditer(text)}


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            decoded = json.loads(value)
        except ValueError:  # a Go-only escape such as \x00: keep the text between the quotes
            return value[1:-1]
        return decoded if isinstance(decoded, str) else value[1:-1]
    return value


def split_label(line: str) -> tuple[str, str] | None:
    """``("Label", "value")`` for a ``Label:   value`` line, None for a line with no label."""
    match = _LABEL.match(line.strip())
    label = match["label"].strip() if match else ""
    if not match or not label:
        return None
    return label, (match["value"] or "").strip()


# ---------------------------------------------------------------- line grouping


def _lines(text: str) -> list[str]:
    # Split on "\n" only: str.splitlines() would also break at a stray "\r".
    return [line.rstrip("\r") for line in text.split("\n")]


def _is_indented(line: str) -> bool:
    return line[:1] in (" ", "\t")


def _group(text: str, unparsed: list[str]) -> list[_Entry]:
    """Top-level labelled lines with their indented children; other lines go to ``unparsed``.

    A label-less top-level line does not close the open block, so junk in the middle of a
    ``Labels:`` or ``File#`` block cannot cut it short.
    """
    entries: list[_Entry] = []
    for line in _lines(text):
        if not line.strip():
            continue
        if _is_indented(line):
            if entries:
                entries[-1].children.append(line)
            else:
                unparsed.append(line.strip())
            continue
        labelled = split_label(line)
        if labelled is None:
            unparsed.append(line.strip())
        else:
            entries.append(_Entry(*labelled))
    return entries


# ---------------------------------------------------------------- blocks


def _children_as_pairs(entry: _Entry, unparsed: list[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for child in entry.children:
        labelled = split_label(child)
        if labelled is None:
            unparsed.append(child.strip())
        else:
            pairs.append(labelled)
    return pairs


def _parse_labels(entry: _Entry, unparsed: list[str]) -> dict[str, str]:
    return dict(_children_as_pairs(entry, unparsed))


def _set_size(rule: GCRule, name: str, text: str) -> None:
    setattr(rule, f"{name}_text", text)
    setattr(rule, name, parse_size(text))


def _parse_gc_rule(entry: _Entry, unparsed: list[str]) -> GCRule:
    rule = GCRule()
    for label, value in _children_as_pairs(entry, unparsed):
        match label.lower():
            case "all":
                rule.all = parse_bool(value)
            case "filters":
                # One filter per space; a comma inside a filter is containerd's "and".
                rule.filters = value.split()
            case "keep duration":
                rule.keep_duration_text = value
                rule.keep_duration = parse_duration(value)
            case "keep bytes":
                _set_size(rule, "keep_bytes", value)
            case "reserved space":
                _set_size(rule, "reserved_space", value)
            case "max used space":
                _set_size(rule, "max_used_space", value)
            case "min free space":
                _set_size(rule, "min_free_space", value)
            case _:
                rule.extra[label] = value
    return rule


def _parse_file(entry: _Entry, unparsed: list[str]) -> str:
    """The file text: buildx prints every line of it (the last one empty) as ``\\t> line``."""
    lines: list[str] = []
    for child in entry.children:
        stripped = child.lstrip()
        if stripped.startswith(">"):
            content = stripped[1:]
            lines.append(content[1:] if content.startswith(" ") else content)
        else:
            unparsed.append(child.strip())
    return "\n".join(lines)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _parse_devices(entry: _Entry, unparsed: list[str]) -> list[Device]:
    devices: list[Device] = []
    annotations_indent: int | None = None  # set while inside an "Annotations:" sub-block
    for child in entry.children:
        labelled = split_label(child)
        if labelled is None:
            unparsed.append(child.strip())
            continue
        label, value = labelled
        if annotations_indent is not None and _indent(child) > annotations_indent:
            devices[-1].annotations[label] = value
            continue
        annotations_indent = None
        key = label.lower()
        if key == "name":
            devices.append(Device(name=value))
            continue
        if not devices:  # a field before any Name: still describes some device
            devices.append(Device(name=""))
        device = devices[-1]
        if key == "automatically allowed":
            device.auto_allow = parse_bool(value)
        elif key == "on-demand":
            device.on_demand = parse_bool(value)
        elif key == "annotations":
            annotations_indent = _indent(child)
        else:
            device.extra[label] = value
    return devices


def _add_extra(extra: dict[str, str], entry: _Entry) -> None:
    raw = entry.raw()
    extra[entry.label] = f"{extra[entry.label]}\n{raw}" if entry.label in extra else raw


# ---------------------------------------------------------------- node and builder


def _value(entry: _Entry, unparsed: list[str]) -> str:
    """A one-line label's value; indented lines under it cannot belong to it."""
    unparsed.extend(child.strip() for child in entry.children)
    return entry.value


def _apply_node_entry(node: BuilderNode, entry: _Entry, unparsed: list[str]) -> None:
    key = entry.key
    if key == "labels":
        node.labels = _parse_labels(entry, unparsed)
    elif key == "devices":
        node.devices = _parse_devices(entry, unparsed)
    elif key.startswith("gc policy rule"):
        node.gc_policy.append(_parse_gc_rule(entry, unparsed))
    elif key.startswith("file#"):
        node.files[entry.label[len("file#") :]] = _parse_file(entry, unparsed)
    elif key not in _NODE_VALUE_LABELS:
        _add_extra(node.extra, entry)
    else:
        _apply_node_value(node, key, _value(entry, unparsed))


def _apply_node_value(node: BuilderNode, key: str, value: str) -> None:
    if key == "endpoint":
        node.endpoint = value
    elif key == "driver options":
        node.driver_options = parse_driver_options(value)
    elif key == "status":
        node.status = value
    elif key == "error":
        node.error = value
        node.status = node.status or "error"
    elif key in ("buildkit daemon flags", "flags"):
        # buildx joins the flags with spaces, so splitting at spaces gives them back.
        node.daemon_flags = value.split()
    elif key in ("buildkit version", "buildkit"):
        node.buildkit_version = value or None
    elif key == "platforms":
        node.platforms = parse_platforms(value)


def _apply_header_entry(builder: Builder, entry: _Entry) -> None:
    key = entry.key
    if key not in ("name", "driver", "last activity", "error"):
        _add_extra(builder.extra, entry)
        return
    value = _value(entry, builder.unparsed)
    if key == "name":
        builder.name = value
    elif key == "driver":
        builder.driver = value
    elif key == "error":
        builder.error = value
    else:
        builder.last_activity = parse_go_time(value)
        if builder.last_activity is None:
            builder.extra[entry.label] = value


def _opens_node_list(builder: Builder, entry: _Entry) -> bool:
    """``Nodes:`` opens the node list; a second ``Name:`` does too if ``Nodes:`` went missing."""
    return entry.key == "nodes" or (entry.key == "name" and builder.name is not None)


def parse_inspect(text: str) -> Builder:
    """Parse ``docker buildx inspect [--bootstrap]`` output of any buildx version.

    Raises ValueError only when the text has neither a builder name nor a driver nor a node.
    """
    builder = Builder(name=None)
    in_nodes = False
    for entry in _group(text, builder.unparsed):
        if not in_nodes and _opens_node_list(builder, entry):
            in_nodes = True
            if entry.key == "nodes":
                _value(entry, builder.unparsed)
                continue
        if not in_nodes:
            _apply_header_entry(builder, entry)
        elif entry.key == "name":
            builder.nodes.append(BuilderNode(name=_value(entry, builder.unparsed)))
        elif builder.nodes:
            _apply_node_entry(builder.nodes[-1], entry, builder.unparsed)
        else:
            _add_extra(builder.extra, entry)
    if builder.name is None and builder.driver is None and not builder.nodes:
        raise ValueError("not `docker buildx inspect` output: no Name:, Driver: or Nodes:")
    return builder
