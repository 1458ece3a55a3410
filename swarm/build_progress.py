"""Follow `docker buildx build` progress output: `--progress=rawjson`, `--progress=plain`.

Both readers turn the stream into readable log lines and per-platform lanes (`Lane`), so the
dashboard shows one lane per target platform plus a "shared" lane for work that belongs to
no platform (loading the Dockerfile, exporting, pushing). `parse_metadata_file` reads what
`--metadata-file` writes. Pure functions and classes: no I/O, never raise on odd input.

rawjson is moby/buildkit `client.SolveStatus` as JSON (`vertexes`, `statuses`, `logs`,
`warnings`; `logs[].data` and `warnings[].short` are base64), one object per line from
buildx 0.15, indented over several lines in 0.12-0.14, followed by plain lines (the
Dockerfile excerpt and `ERROR: ...`).

Readable lines look like this (`display` is the vertex name, with the platform filled in
when buildkit left it out, e.g. `[2/2] RUN x` -> `[linux/arm64 2/2] RUN x`):

    {display}: started | DONE 1.2s | CACHED | CANCELED | ERROR: {msg} | WARNING: {msg}
    {display} | {log output or status line}

Lines that are not progress (the Dockerfile excerpt, `ERROR: ...`) are kept as they are.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

SHARED_LANE = "shared"
_NEVER = datetime.max.replace(tzinfo=UTC)

LaneState = Literal["pending", "running", "done", "cached", "error", "canceled"]
TERMINAL_STATES: frozenset[str] = frozenset({"done", "cached", "error", "canceled"})

# `[linux/arm64 builder 2/3] RUN ...`: platform, stage and step are all optional.
_LABEL = re.compile(r"^\[(?P<label>[^\]]*)\]\s*(?P<rest>.*)$", re.S)
_PLATFORM_TOKEN = re.compile(r"^[a-z0-9]+/[a-z0-9_]+(?:/[a-z0-9.]+)?$")
_STEP_TOKEN = re.compile(r"^(?P<index>\d+)/(?P<total>\d+)$")
_NON_BLANK = re.compile(r"[^ \t\r\f\v]")


# --------------------------------------------------------------------------- JSON stream


class RawJsonDecoder:
    """Split a `--progress=rawjson` stream, fed in arbitrary chunks, into JSON objects.

    `feed` returns the objects completed by the chunk. Lines that are not JSON objects
    (the trailing Dockerfile excerpt, `ERROR: ...`, garbage) are collected as plain lines:
    drain them with `take_plain_lines`, or get whatever is left from `finish`. Blank lines
    are dropped. Never raises on bad input.
    """

    def __init__(self) -> None:
        self._buffer = ""
        self._plain: list[str] = []
        self._decoder = json.JSONDecoder()
        # The buffer starts with an object that needs more text before it can be decoded.
        self._waiting_for_object = False

    def feed(self, chunk: str) -> list[dict[str, Any]]:
        if not chunk:
            return []
        self._buffer += chunk
        # Only a '}' can complete a pending object, only a newline can prove it broken.
        if self._waiting_for_object and "}" not in chunk and "\n" not in chunk:
            return []
        return self._drain()

    def take_plain_lines(self) -> list[str]:
        """Plain (non-JSON) lines completed so far, each returned once."""
        lines, self._plain = self._plain, []
        return lines

    def finish(self) -> list[str]:
        """End of stream: all plain lines not taken yet, including an unfinished tail."""
        tail, self._buffer = self._buffer, ""
        self._waiting_for_object = False
        for line in tail.split("\n"):
            self._add_plain(line)
        return self.take_plain_lines()

    def _add_plain(self, line: str) -> None:
        if line.strip():
            self._plain.append(_clean_line(line))

    def _drain(self) -> list[dict[str, Any]]:
        objects: list[dict[str, Any]] = []
        buf, pos = self._buffer, 0
        self._waiting_for_object = False
        while pos < len(buf):
            first = _NON_BLANK.search(buf, pos)
            if first is None:  # only blanks so far: wait for the rest of the line
                break
            start = first.start()
            if buf[start] == "\n":  # blank line
                pos = start + 1
                continue
            line_end = buf.find("\n", start)
            if buf[start] == "{":
                decoded = self._decode_at(buf, start)
                if isinstance(decoded, tuple):
                    objects.append(decoded[0])
                    pos = decoded[1]
                    continue
                if decoded == "incomplete":
                    self._waiting_for_object = True
                    break
                # Broken object: its first line is plain text, rescan from the next one.
            if line_end == -1:  # a plain line still being written
                break
            self._add_plain(buf[pos:line_end])
            pos = line_end + 1
        self._buffer = buf[pos:]
        return objects

    def _decode_at(
        self, buf: str, start: int
    ) -> tuple[dict[str, Any], int] | Literal["incomplete", "broken"]:
        try:
            value, end = self._decoder.raw_decode(buf, start)
        except json.JSONDecodeError as err:
            # Tokens never span lines, so an error with no newline after it may just be
            # text that has not arrived yet; one followed by a newline never heals.
            return "incomplete" if buf.find("\n", err.pos) == -1 else "broken"
        except RecursionError:
            return "broken"
        return (value, end) if isinstance(value, dict) else "broken"


def _clean_line(line: str) -> str:
    return line.rstrip("\r\n")


# --------------------------------------------------------------------------- vertex model


@dataclass(frozen=True)
class VertexLabel:
    """What the `[...]` prefix of a vertex name says."""

    platform: str | None = None
    stage: str | None = None
    index: int | None = None
    total: int | None = None
    has_brackets: bool = False


def parse_vertex_label(name: str) -> VertexLabel:
    """`[linux/arm64 builder 2/3] RUN x` -> platform, stage `builder`, step 2 of 3."""
    match = _LABEL.match(name)
    if match is None:
        return VertexLabel()
    tokens = match.group("label").split()
    platform = tokens.pop(0) if tokens and _is_platform(tokens[0]) else None
    step = _STEP_TOKEN.match(tokens[-1]) if tokens else None
    if step is not None:
        tokens.pop()
    return VertexLabel(
        platform=platform,
        stage=" ".join(tokens) or None,
        index=int(step.group("index")) if step else None,
        total=int(step.group("total")) if step else None,
        has_brackets=True,
    )


def _is_platform(token: str) -> bool:
    return bool(_PLATFORM_TOKEN.match(token)) and not _STEP_TOKEN.match(token)


@dataclass
class _Vertex:
    """Progress of one vertex (a digest in rawjson, a `#N` in plain output)."""

    key: str
    name: str
    seq: int  # order first seen
    inputs: tuple[str, ...] = ()
    started: datetime | None = None
    first_started: datetime | None = None
    completed: datetime | None = None
    cached: bool = False
    error: str | None = None
    canceled: bool = False
    running: bool = False  # plain output has no timestamps: track the state itself
    finished: bool = False
    duration: float | None = None
    start_seq: int | None = None  # order of first start
    finish_seq: int | None = None  # order of last finish
    detail: str | None = None  # latest status line
    reported_start: bool = False
    reported_end: bool = False
    label: VertexLabel = field(default_factory=VertexLabel)

    @property
    def step(self) -> tuple[str, int] | None:
        if self.label.index is None:
            return None
        return (self.label.stage or "", self.label.index)

    @property
    def state(self) -> LaneState:
        if self.error is not None:
            return "canceled" if self.canceled else "error"
        if self.canceled:
            return "canceled"
        if self.finished:
            return "cached" if self.cached else "done"
        return "running" if self.running else "pending"


def _is_cancel_message(message: str) -> bool:
    return "context canceled" in message or message.strip().lower() == "canceled"


def _display_name(vertex: _Vertex, lane: str) -> str:
    """The vertex name, with the lane's platform filled into a `[k/n]` label lacking it."""
    if lane == SHARED_LANE or vertex.label.platform or not vertex.label.has_brackets:
        return vertex.name
    return f"[{lane} {vertex.name[1:]}"


# --------------------------------------------------------------------------- lanes


@dataclass(frozen=True)
class Lane:
    """One target platform's progress (or the "shared" lane)."""

    platform: str
    state: LaneState
    current_step: str | None  # running step, else the failed one, else the last finished
    detail: str | None  # latest status line of that step (e.g. "pushing layers")
    steps_done: int  # Dockerfile steps finished (or vertices, for lanes without steps)
    steps_total: int | None  # Dockerfile steps known so far, None when not knowable
    started: datetime | None
    finished: datetime | None  # only once the lane has reached a final state
    duration: float | None  # seconds; plain output: sum of its steps' DONE times


def _assign_lanes(vertices: Sequence[_Vertex]) -> dict[str, str]:
    """Lane (platform or SHARED_LANE) of each vertex key.

    The platform comes from the name. Numbered steps printed without one (the fixtures
    show `[2/2] RUN ...` in a two-platform build) inherit it from their inputs (rawjson),
    else join the oldest lane whose previous step they follow (a guess, for plain).
    """
    lanes = {v.key: v.label.platform for v in vertices if v.label.platform}
    orphans = [v for v in vertices if v.key not in lanes and v.step is not None]
    _inherit_from_inputs(orphans, lanes)
    _follow_previous_steps([v for v in orphans if v.key not in lanes], vertices, lanes)
    return {v.key: lanes.get(v.key, SHARED_LANE) for v in vertices}


def _inherit_from_inputs(orphans: Sequence[_Vertex], lanes: dict[str, str]) -> None:
    changed = True
    while changed:
        changed = False
        for vertex in orphans:
            if vertex.key in lanes:
                continue
            platform = next((lanes[i] for i in vertex.inputs if i in lanes), None)
            if platform is not None:
                lanes[vertex.key] = platform
                changed = True


def _follow_previous_steps(
    orphans: Sequence[_Vertex], vertices: Sequence[_Vertex], lanes: dict[str, str]
) -> None:
    # (lane, stage, index) -> order of the vertex holding that step
    taken: dict[tuple[str, str, int], tuple[datetime, int, int]] = {}
    for vertex in vertices:
        if vertex.key in lanes and vertex.step is not None:
            taken.setdefault((lanes[vertex.key], *vertex.step), _order(vertex))
    for vertex in sorted(orphans, key=_order):
        stage, index = vertex.step or ("", 0)
        candidates = [
            (order, lane)
            for (lane, s, i), order in taken.items()
            if s == stage and i == index - 1 and (lane, stage, index) not in taken
        ]
        if candidates:
            lane = min(candidates)[1]
            lanes[vertex.key] = lane
            taken[(lane, stage, index)] = _order(vertex)


def _order(vertex: _Vertex) -> tuple[datetime, int, int]:
    """Start order: by timestamp (rawjson), else as printed (plain); never started last."""
    start_seq = vertex.start_seq if vertex.start_seq is not None else 1 << 62
    return (vertex.first_started or _NEVER, start_seq, vertex.seq)


def _finish_order(vertex: _Vertex) -> tuple[datetime, int]:
    return (vertex.completed or _NEVER, vertex.finish_seq or 0)


def _build_lanes(
    vertices: Sequence[_Vertex], lanes_by_key: Mapping[str, str], now: datetime | None
) -> list[Lane]:
    """Lanes sorted by platform, the shared lane last; `now` = latest time seen."""
    groups: dict[str, list[_Vertex]] = {}
    for vertex in vertices:
        groups.setdefault(lanes_by_key.get(vertex.key, SHARED_LANE), []).append(vertex)
    names = sorted(groups, key=lambda name: (name == SHARED_LANE, name))
    return [_lane(name, groups[name], now) for name in names]


def _lane(platform: str, vertices: list[_Vertex], now: datetime | None) -> Lane:
    steps_done, steps_total = _step_counts(vertices)
    state = _lane_state(vertices, steps_done, steps_total)
    current = _current_vertex(vertices)
    # A vertex reported only as completed (odd, but seen in the wild) started then too.
    starts = [v.first_started or v.completed for v in vertices]
    ends = [v.completed for v in vertices if v.completed is not None]
    started = min((s for s in starts if s is not None), default=None)
    finished = max(ends) if ends and state in TERMINAL_STATES else None
    if started is not None and finished is not None:
        started = min(started, finished)  # clock skew or garbage: keep started <= finished
    return Lane(
        platform=platform,
        state=state,
        current_step=current.name if current else None,
        detail=current.detail if current else None,
        steps_done=steps_done,
        steps_total=steps_total,
        started=started,
        finished=finished,
        duration=_lane_duration(vertices, started, finished or now),
    )


def _step_counts(vertices: Sequence[_Vertex]) -> tuple[int, int | None]:
    totals: dict[str, int] = {}
    for vertex in vertices:
        if vertex.step is not None and vertex.label.total is not None:
            stage = vertex.step[0]
            totals[stage] = max(totals.get(stage, 0), vertex.label.total)
    finished = [v for v in vertices if v.state in ("done", "cached")]
    if not totals:
        return len(finished), None
    steps = {
        v.step for v in finished if v.step is not None and v.step[1] <= totals.get(v.step[0], 0)
    }
    return len(steps), sum(totals.values())


def _lane_state(vertices: Sequence[_Vertex], done: int, total: int | None) -> LaneState:
    states = {v.state for v in vertices}
    if "error" in states:
        return "error"
    if "canceled" in states:
        return "canceled"
    if "running" in states:
        return "running"
    if states == {"pending"}:
        return "pending"
    if "pending" in states or (total is not None and done < total):
        return "running"  # between two steps
    return "cached" if states == {"cached"} else "done"


def _current_vertex(vertices: Sequence[_Vertex]) -> _Vertex | None:
    running = [v for v in vertices if v.state == "running"]
    if running:
        return max(running, key=_order)
    failed = [v for v in vertices if v.state == "error"]
    if failed:
        return max(failed, key=_finish_order)
    finished = [v for v in vertices if v.finish_seq is not None]
    if finished:
        return max(finished, key=_finish_order)
    return min(vertices, key=_order) if vertices else None


def _lane_duration(
    vertices: Sequence[_Vertex], started: datetime | None, until: datetime | None
) -> float | None:
    if started is not None and until is not None:
        return max(0.0, (until - started).total_seconds())
    durations = [v.duration for v in vertices if v.duration is not None]
    return round(sum(durations), 3) if durations else None


class _ProgressBase:
    """Vertex table, lane assignment and readable lines shared by both formats."""

    def __init__(self) -> None:
        self._vertices: dict[str, _Vertex] = {}
        self._lines: list[str] = []
        self._seq = 0
        self._lane_cache: dict[str, str] | None = None
        self._latest: datetime | None = None

    @property
    def lines(self) -> list[str]:
        """All readable lines so far."""
        return list(self._lines)

    def lanes(self) -> list[Lane]:
        return _build_lanes(list(self._vertices.values()), self._lane_map(), self._latest)

    def add_plain_line(self, line: str) -> list[str]:
        """Keep a non-progress line (Dockerfile excerpt, `ERROR: ...`) in the log."""
        line = _clean_line(line)
        return self._emit(line) if line.strip() else []

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _lane_map(self) -> dict[str, str]:
        if self._lane_cache is None:
            self._lane_cache = _assign_lanes(list(self._vertices.values()))
        return self._lane_cache

    def _display(self, vertex: _Vertex) -> str:
        return _display_name(vertex, self._lane_map().get(vertex.key, SHARED_LANE))

    def _display_key(self, key: str) -> str:
        vertex = self._vertices.get(key)
        return self._display(vertex) if vertex else key[:19]

    def _emit(self, *lines: str) -> list[str]:
        self._lines.extend(lines)
        return list(lines)

    def _report_start(self, vertex: _Vertex) -> list[str]:
        if vertex.reported_start:
            return []
        vertex.reported_start = True
        return self._emit(f"{self._display(vertex)}: started")

    def _report_end(self, vertex: _Vertex) -> list[str]:
        if vertex.reported_end or vertex.state in ("pending", "running"):
            return []
        vertex.reported_end = True
        return self._emit(f"{self._display(vertex)}: {_end_text(vertex)}")


def _end_text(vertex: _Vertex) -> str:
    if vertex.state == "error":
        return f"ERROR: {vertex.error}"
    if vertex.state == "canceled":
        return "CANCELED"
    if vertex.cached:
        return "CACHED"
    return f"DONE {vertex.duration:.1f}s" if vertex.duration is not None else "DONE"


# --------------------------------------------------------------------------- rawjson


class BuildProgress(_ProgressBase):
    """State of a build from decoded `--progress=rawjson` status objects.

    `update(status)` returns the readable lines it produced; `lines` has them all,
    `lanes()` the per-platform view. Unknown or malformed fields are ignored.
    """

    def __init__(self) -> None:
        super().__init__()
        self._partial_logs: dict[tuple[str, int], str] = {}
        self._statuses_done: set[tuple[str, str]] = set()
        self._warnings_seen: set[tuple[str, str]] = set()

    def update(self, status: Mapping[str, Any]) -> list[str]:
        if not isinstance(status, Mapping):
            return []
        touched = [self._apply_vertex(raw) for raw in _latest_per_digest(status.get("vertexes"))]
        out: list[str] = []
        for vertex in touched:
            if vertex.first_started is not None or vertex.finished:
                out += self._report_start(vertex)
        for raw in _dicts(status.get("statuses")):
            out += self._apply_status(raw)
        for raw in _dicts(status.get("logs")):
            out += self._apply_log(raw)
        for raw in _dicts(status.get("warnings")):
            out += self._apply_warning(raw)
        for vertex in touched:
            if vertex.finished:
                out += self._flush_logs(vertex.key) + self._report_end(vertex)
        return out

    def finish(self) -> list[str]:
        """End of stream: emit log output still missing its final newline."""
        out: list[str] = []
        for key in list({key for key, _ in self._partial_logs}):
            out += self._flush_logs(key)
        return out

    def _apply_vertex(self, raw: Mapping[str, Any]) -> _Vertex:
        key = _text(raw.get("digest"))
        vertex = self._vertices.get(key)
        if vertex is None:
            name = _text(raw.get("name")) or key
            vertex = _Vertex(key, name, self._next_seq(), label=parse_vertex_label(name))
            self._vertices[key] = vertex
            self._lane_cache = None
        self._update_identity(vertex, raw)
        self._update_timing(vertex, raw)
        return vertex

    def _update_identity(self, vertex: _Vertex, raw: Mapping[str, Any]) -> None:
        name = _text(raw.get("name"))
        inputs = tuple(i for i in _list(raw.get("inputs")) if isinstance(i, str))
        if name and name != vertex.name:
            vertex.name, vertex.label = name, parse_vertex_label(name)
            self._lane_cache = None
        if inputs and inputs != vertex.inputs:
            vertex.inputs = inputs
            self._lane_cache = None

    def _update_timing(self, vertex: _Vertex, raw: Mapping[str, Any]) -> None:
        started, completed = _time(raw.get("started")), _time(raw.get("completed"))
        self._see(started, completed)
        if started is not None and started != vertex.started:
            if vertex.finished and completed is None:
                vertex.reported_end = False  # restarted: report its next end too
            vertex.started = started
            if vertex.first_started is None or started < vertex.first_started:
                vertex.first_started = started
            if vertex.start_seq is None:
                vertex.start_seq = self._next_seq()
        vertex.completed = completed
        vertex.cached = bool(raw.get("cached"))
        error = _text(raw.get("error")) or None
        vertex.error, vertex.canceled = error, bool(error and _is_cancel_message(error))
        vertex.finished = completed is not None or error is not None
        vertex.running = vertex.started is not None and not vertex.finished
        if vertex.finished:
            vertex.finish_seq = self._next_seq()
            begin = vertex.first_started or vertex.started
            if begin is not None and completed is not None:
                vertex.duration = max(0.0, (completed - begin).total_seconds())

    def _apply_status(self, raw: Mapping[str, Any]) -> list[str]:
        key, ident = _text(raw.get("vertex")), _text(raw.get("id"))
        self._see(_time(raw.get("timestamp")), _time(raw.get("completed")))
        vertex = self._vertices.get(key)
        if vertex is not None and ident:
            vertex.detail = ident
        if not ident or raw.get("completed") is None or (key, ident) in self._statuses_done:
            return []
        self._statuses_done.add((key, ident))
        return self._emit(f"{self._display_key(key)} | {ident} done")

    def _apply_log(self, raw: Mapping[str, Any]) -> list[str]:
        key, stream = _text(raw.get("vertex")), raw.get("stream")
        stream = stream if isinstance(stream, int) else 1
        self._see(_time(raw.get("timestamp")))
        text = self._partial_logs.pop((key, stream), "") + _b64_text(raw.get("data"))
        *complete, rest = text.split("\n")
        if rest:
            self._partial_logs[(key, stream)] = rest
        prefix = self._display_key(key)
        return self._emit(*(f"{prefix} | {_last_overwrite(line)}" for line in complete))

    def _flush_logs(self, key: str) -> list[str]:
        out: list[str] = []
        for log_key in [k for k in self._partial_logs if k[0] == key]:
            line = _last_overwrite(self._partial_logs.pop(log_key))
            out += self._emit(f"{self._display_key(key)} | {line}")
        return out

    def _apply_warning(self, raw: Mapping[str, Any]) -> list[str]:
        key, short = _text(raw.get("vertex")), _b64_text(raw.get("short")).strip()
        if not short or (key, short) in self._warnings_seen:
            return []
        self._warnings_seen.add((key, short))
        return self._emit(f"{self._display_key(key)}: WARNING: {short}")

    def _see(self, *times: datetime | None) -> None:
        for moment in times:
            if moment is not None and (self._latest is None or moment > self._latest):
                self._latest = moment


def read_rawjson(text: str) -> BuildProgress:
    """Decode a whole rawjson stderr capture; plain lines are kept in `lines` in order."""
    decoder, progress = RawJsonDecoder(), BuildProgress()
    for obj in decoder.feed(text):
        progress.update(obj)
    progress.finish()
    for line in decoder.finish():
        progress.add_plain_line(line)
    return progress


def _latest_per_digest(value: Any) -> list[Mapping[str, Any]]:
    """The last entry for each digest in one message (buildkit may send a vertex twice)."""
    latest: dict[str, Mapping[str, Any]] = {}
    for raw in _dicts(value):
        digest = raw.get("digest")
        if isinstance(digest, str) and digest:
            latest.pop(digest, None)
            latest[digest] = raw
    return list(latest.values())


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in _list(value) if isinstance(item, Mapping)]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None  # never mix naive and aware


def _b64_text(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    try:
        return base64.b64decode(value, validate=False).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""


def _last_overwrite(line: str) -> str:
    """What a terminal shows for a line rewritten with carriage returns."""
    line = line.rstrip("\r")
    return line.rsplit("\r", 1)[-1]


# --------------------------------------------------------------------------- plain


_PLAIN_VERTEX = re.compile(r"^#(?P<num>\d+) (?P<text>.*)$")
_PLAIN_DONE = re.compile(r"^DONE (?P<seconds>\d+(?:\.\d+)?)s$")
_PLAIN_LOG = re.compile(r"^(?P<offset>\d+\.\d+)(?: (?P<text>.*))?$")
_PLAIN_WARNING = re.compile(r"^WARN(?:ING)?: (?P<text>.*)$")


class PlainProgress(_ProgressBase):
    """State of a build from `--progress=plain` output (`#N ...` lines).

    Feed whole lines (`feed_line`) or arbitrary chunks (`feed`, then `finish`). Plain
    output has no timestamps: lanes have no started/finished, and their duration is the
    sum of their steps' `DONE` times.
    """

    def __init__(self) -> None:
        super().__init__()
        self._pending = ""

    def feed(self, chunk: str) -> list[str]:
        *complete, self._pending = (self._pending + chunk).split("\n")
        out: list[str] = []
        for line in complete:
            out += self.feed_line(line)
        return out

    def finish(self) -> list[str]:
        rest, self._pending = self._pending, ""
        return self.feed_line(rest) if rest else []

    def feed_line(self, line: str) -> list[str]:
        line = _clean_line(line)
        match = _PLAIN_VERTEX.match(line)
        if match is None or match.group("num") == "0":  # `#0 building with ...`
            return self.add_plain_line(line)
        key, text = f"#{match.group('num')}", match.group("text")
        vertex = self._vertices.get(key)
        if vertex is None:
            return self._start(key, text)
        if text in (vertex.name, "..."):  # header repeated after an interruption
            return []
        return self._vertex_event(vertex, text)

    def _start(self, key: str, name: str) -> list[str]:
        seq = self._next_seq()
        vertex = _Vertex(key, name, seq, start_seq=seq, running=True)
        vertex.label = parse_vertex_label(name)
        self._vertices[key] = vertex
        self._lane_cache = None
        return self._report_start(vertex)

    def _vertex_event(self, vertex: _Vertex, text: str) -> list[str]:
        done = _PLAIN_DONE.match(text)
        if done is not None:
            vertex.duration = float(done.group("seconds"))
            return self._finish(vertex)
        if text == "CACHED":
            vertex.cached = True
            return self._finish(vertex)
        if text == "CANCELED":
            vertex.canceled = True
            return self._finish(vertex)
        if text.startswith("ERROR:"):
            vertex.error = text.removeprefix("ERROR:").strip()
            vertex.canceled = _is_cancel_message(vertex.error)
            return self._finish(vertex)
        warning = _PLAIN_WARNING.match(text)
        if warning is not None:
            return self._emit(f"{self._display(vertex)}: WARNING: {warning.group('text')}")
        log = _PLAIN_LOG.match(text)
        if log is not None:
            return self._emit(f"{self._display(vertex)} | {log.group('text') or ''}")
        vertex.detail = text
        return self._emit(f"{self._display(vertex)} | {text}")

    def _finish(self, vertex: _Vertex) -> list[str]:
        vertex.running, vertex.finished = False, True
        vertex.finish_seq = self._next_seq()
        return self._report_end(vertex)


# --------------------------------------------------------------------------- metadata


@dataclass(frozen=True)
class BuildMetadata:
    """What `docker buildx build --metadata-file F` wrote."""

    digest: str | None  # `containerimage.digest`: the pushed image (index) digest
    image_names: tuple[str, ...]  # `image.name`, comma-separated in the file
    media_type: str | None  # from `containerimage.descriptor`
    size: int | None
    config_digest: str | None  # `containerimage.config.digest` (single-platform builds)
    build_ref: str | None  # `buildx.build.ref`: builder/node/build id
    raw: dict[str, Any]  # the whole file, provenance and unknown keys included


def parse_metadata_file(text: str) -> BuildMetadata:
    """Parse a metadata file; ValueError when it is not a JSON object."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"build metadata file is not valid JSON: {err}") from err
    if not isinstance(data, dict):
        raise ValueError("build metadata file is not a JSON object")
    descriptor = data.get("containerimage.descriptor")
    descriptor = descriptor if isinstance(descriptor, dict) else {}
    size = descriptor.get("size")
    return BuildMetadata(
        digest=_text(data.get("containerimage.digest")) or _text(descriptor.get("digest")) or None,
        image_names=_split_names(data.get("image.name")),
        media_type=_text(descriptor.get("mediaType")) or None,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        config_digest=_text(data.get("containerimage.config.digest")) or None,
        build_ref=_text(data.get("buildx.build.ref")) or None,
        raw=data,
    )


def _split_names(value: Any) -> tuple[str, ...]:
    return tuple(name.strip() for name in _text(value).split(",") if name.strip())


__all__ = [
    "SHARED_LANE",
    "TERMINAL_STATES",
    "BuildMetadata",
    "BuildProgress",
    "Lane",
    "LaneState",
    "PlainProgress",
    "RawJsonDecoder",
    "VertexLabel",
    "parse_metadata_file",
    "parse_vertex_label",
    "read_rawjson",
]
