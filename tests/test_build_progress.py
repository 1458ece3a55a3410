"""Build progress: rawjson decoding, lanes and readable lines, plain output, metadata file."""

from __future__ import annotations

import base64
import json
import random
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swarm.build_progress import (
    SHARED_LANE,
    TERMINAL_STATES,
    BuildProgress,
    Lane,
    PlainProgress,
    RawJsonDecoder,
    VertexLabel,
    parse_metadata_file,
    parse_vertex_label,
    read_rawjson,
)
from tests.shared_fixtures import fixture_text

RAWJSON_OK = "buildx/build_rawjson_push_2platform_v0.36.1.txt"
RAWJSON_EXEC = "buildx/build_rawjson_fail_exec_format_error_v0.36.1.txt"
PLAIN_OK = "buildx/build_plain_push_2platform_v0.36.1.txt"
PLAIN_EXEC = "buildx/build_plain_fail_exec_format_error_v0.36.1.txt"
PLAIN_UNREACHABLE = "buildx/build_plain_fail_base_image_unreachable_v0.36.1.txt"
PLAIN_HTTP = "generated/build_plain_fail_http-registry-no-buildkitd-toml_buildx-v0.36.stderr.txt"
PLAIN_NO_MATCH = "generated/build_plain_fail_no-match-for-platform_buildx-v0.36.stderr.txt"
METADATA = "buildx/build_metadata_file_v0.36.1.json"
RAWJSON_FIXTURES = [RAWJSON_OK, RAWJSON_EXEC]
PLAIN_FIXTURES = [PLAIN_OK, PLAIN_EXEC, PLAIN_UNREACHABLE, PLAIN_HTTP, PLAIN_NO_MATCH]

RUN_BUSYBOX = '[2/2] RUN ["/bin/busybox", "sh", "-c", "/bin/busybox uname -m > /arch"]'
PUSHED_INDEX = "sha256:f2aeeb193b01ff98b1d327a10970d03eba742a1cc0ca18e97b1c4386cfbc3e44"
EXEC_TAIL = [
    "Dockerfile:4",
    "--------------------",
    "   2 |     ARG TARGETARCH",
    "   3 |     COPY ${TARGETARCH}/busybox /bin/busybox",
    '   4 | >>> RUN ["/bin/busybox", "sh", "-c", "/bin/busybox uname -m > /arch"]',
    '   5 |     CMD ["/bin/busybox","cat","/arch"]',
    "   6 |     ",
    "--------------------",
    'ERROR: failed to build: failed to solve: process "/bin/busybox sh -c /bin/busybox '
    'uname -m > /arch" did not complete successfully: exit code: 1',
]


# --------------------------------------------------------------------------- helpers


def decode(text: str, size: int | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Objects and plain lines of a stream fed in chunks of `size` characters."""
    decoder, objects = RawJsonDecoder(), []
    size = size or max(1, len(text))
    for start in range(0, len(text), size):
        objects += decoder.feed(text[start : start + size])
    return objects, decoder.finish()


def follow(text: str, size: int | None = None) -> BuildProgress:
    """The whole rawjson pipeline fed in chunks, as the job runner will do it."""
    decoder, progress = RawJsonDecoder(), BuildProgress()
    size = size or max(1, len(text))
    for start in range(0, len(text), size):
        for obj in decoder.feed(text[start : start + size]):
            progress.update(obj)
        for line in decoder.take_plain_lines():
            progress.add_plain_line(line)
    progress.finish()
    for line in decoder.finish():
        progress.add_plain_line(line)
    return progress


def plain(text: str, size: int | None = None) -> PlainProgress:
    progress = PlainProgress()
    size = size or max(1, len(text))
    for start in range(0, len(text), size):
        progress.feed(text[start : start + size])
    progress.finish()
    return progress


def by_platform(lanes: Sequence[Lane]) -> dict[str, Lane]:
    return {lane.platform: lane for lane in lanes}


def summary(lanes: Sequence[Lane]) -> list[tuple[str, str, int, int | None]]:
    return [(lane.platform, lane.state, lane.steps_done, lane.steps_total) for lane in lanes]


def assert_consistent(lanes: Sequence[Lane]) -> None:
    platforms = [lane.platform for lane in lanes]
    assert len(set(platforms)) == len(platforms)
    assert SHARED_LANE not in platforms[:-1]  # the shared lane, if any, comes last
    for lane in lanes:
        assert lane.state in {"pending", "running", "done", "cached", "error", "canceled"}
        assert lane.steps_done >= 0
        if lane.steps_total is not None:
            assert lane.steps_done <= lane.steps_total
        if lane.finished is not None:
            assert lane.state in TERMINAL_STATES
            assert lane.started is not None and lane.started <= lane.finished
        if lane.duration is not None:
            assert lane.duration >= 0
        if lane.state == "pending":
            assert lane.steps_done == 0


def indented(text: str) -> str:
    """The stream as buildx 0.12-0.14 printed it: each object indented over many lines."""
    objects, tail = decode(text)
    return "".join(json.dumps(obj, indent=2) + "\n" for obj in objects) + "\n".join(tail)


def json_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("{")]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --------------------------------------------------------------------------- decoder


@pytest.mark.parametrize("name", RAWJSON_FIXTURES)
def test_decoder_reads_one_object_per_line(name: str) -> None:
    text = fixture_text(name)
    objects, tail = decode(text)
    assert objects == [json.loads(line) for line in json_lines(text)]
    assert all(set(obj) <= {"vertexes", "statuses", "logs", "warnings"} for obj in objects)
    if name == RAWJSON_OK:
        assert len(objects) == 44
        assert tail == ["real\t0m0.487s", "user\t0m0.069s", "sys\t0m0.050s"]
    else:
        assert len(objects) == 28
        assert tail == EXEC_TAIL


def test_decoder_same_result_at_every_chunk_size() -> None:
    text = fixture_text(RAWJSON_EXEC)
    whole = decode(text)
    for size in range(1, len(text) + 1):
        assert decode(text, size) == whole, size


def test_pipeline_same_result_at_every_chunk_size() -> None:
    text = fixture_text(RAWJSON_EXEC)
    whole = follow(text)
    expected = (whole.lines, whole.lanes())
    for size in range(1, len(text) + 1):
        progress = follow(text, size)
        assert (progress.lines, progress.lanes()) == expected, size


@pytest.mark.parametrize("name", RAWJSON_FIXTURES)
def test_decoder_reads_indented_objects(name: str) -> None:
    text = fixture_text(name)
    pretty = indented(text)
    assert pretty.count("\n") > 5 * len(json_lines(text))
    assert decode(pretty) == decode(text)
    assert follow(pretty).lines == follow(text).lines
    assert follow(pretty).lanes() == follow(text).lanes()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(min_value=0, max_value=40_000), max_size=40))
def test_indented_stream_split_anywhere(cuts: list[int]) -> None:
    pretty = indented(fixture_text(RAWJSON_EXEC))
    bounds = sorted({0, len(pretty), *(cut % (len(pretty) + 1) for cut in cuts)})
    decoder, objects = RawJsonDecoder(), []
    for start, end in zip(bounds, bounds[1:], strict=False):
        objects += decoder.feed(pretty[start:end])
    assert (objects, decoder.finish()) == decode(fixture_text(RAWJSON_EXEC))


def test_decoder_returns_garbage_lines_as_plain_text() -> None:
    first, second = json_lines(fixture_text(RAWJSON_OK))[:2]
    garbage = ["{not json", "}", '{"a": tr}', "just text", "   indented text", "[1, 2]"]
    stream = "\n".join([garbage[0], first, *garbage[1:4], second, *garbage[4:], "{}", ""])
    objects, tail = decode(stream)
    assert objects == [json.loads(first), json.loads(second), {}]
    assert tail == garbage


def test_decoder_plain_lines_can_be_taken_while_streaming() -> None:
    decoder = RawJsonDecoder()
    assert decoder.feed('WARNING: something\n{"logs": []}\nERR') == [{"logs": []}]
    assert decoder.take_plain_lines() == ["WARNING: something"]
    assert decoder.take_plain_lines() == []
    assert decoder.feed("OR: boom\r\n") == []
    assert decoder.finish() == ["ERROR: boom"]


def test_decoder_keeps_objects_sharing_a_line() -> None:
    objects, tail = decode('{"a": 1}{"b": 2} trailing\n  {"c": 3}')
    assert objects == [{"a": 1}, {"b": 2}, {"c": 3}]
    assert tail == [" trailing"]


def test_decoder_unfinished_object_at_the_end_becomes_plain_text() -> None:
    objects, tail = decode('{"logs": []}\n{"vertexes": [{"dig')
    assert objects == [{"logs": []}]
    assert tail == ['{"vertexes": [{"dig']


def test_decoder_resynchronises_after_a_cut_object() -> None:
    line = json_lines(fixture_text(RAWJSON_OK))[5]
    objects, tail = decode(line[:40] + "\n" + line + "\n" + line[:60] + ",\n" + line + "\n")
    assert objects == [json.loads(line)] * 2
    assert tail == [line[:40], line[:60] + ","]


@settings(max_examples=200, deadline=None)
@given(text=st.text(), size=st.integers(min_value=1, max_value=50))
def test_decoder_never_raises_on_any_text(text: str, size: int) -> None:
    objects, tail = decode(text, size)
    assert all(isinstance(obj, dict) for obj in objects)
    if "{" not in text:
        assert objects == []
        assert tail == [line.rstrip("\r") for line in text.split("\n") if line.strip()]


@settings(max_examples=80, deadline=None)
@given(cut=st.integers(min_value=0, max_value=20_000), pretty=st.booleans())
def test_truncated_stream_decodes_a_prefix(cut: int, pretty: bool) -> None:
    text = fixture_text(RAWJSON_OK)
    text = indented(text) if pretty else text
    full, _ = decode(text)
    objects, _ = decode(text[: cut % (len(text) + 1)])
    assert objects == full[: len(objects)]


# --------------------------------------------------------------------------- rawjson state


def test_rawjson_push_lanes() -> None:
    lanes = read_rawjson(fixture_text(RAWJSON_OK)).lanes()
    assert_consistent(lanes)
    assert summary(lanes) == [
        ("linux/amd64", "done", 2, 2),
        ("linux/arm64", "done", 2, 2),
        (SHARED_LANE, "done", 5, None),
    ]
    amd64, arm64, shared = lanes
    assert arm64.current_step == RUN_BUSYBOX
    assert arm64.started == at("2026-11-28T12:48:59.230202")
    assert arm64.finished == at("2026-11-28T12:48:59.339014")
    assert arm64.duration == pytest.approx(0.108812)
    assert amd64.started == at("2026-11-28T12:48:59.242373")
    assert amd64.finished == at("2026-11-28T12:48:59.314296")
    assert shared.current_step == "exporting to image"
    assert shared.detail == f"pushing manifest for 127.0.0.1:5000/go-video:acc@{PUSHED_INDEX}"
    assert shared.finished == at("2026-11-28T12:48:59.516054")


def test_rawjson_push_readable_lines() -> None:
    lines = read_rawjson(fixture_text(RAWJSON_OK)).lines
    # Every line once per vertex; two vertices (one per platform) load the build context.
    repeated = {line: n for line, n in Counter(lines).items() if n > 1}
    assert repeated == {
        "[internal] load build context: started": 2,
        "[internal] load build context | transferring context: done": 2,
        "[internal] load build context: DONE 0.0s": 2,
    }
    run_arm64 = "[linux/arm64 2/2]" + RUN_BUSYBOX.removeprefix("[2/2]")
    assert f"{run_arm64}: started" in lines
    assert f"{run_arm64}: DONE 0.1s" in lines
    assert lines.index(f"{run_arm64}: started") < lines.index(f"{run_arm64}: DONE 0.1s")
    assert "[linux/amd64 1/2] COPY amd64/busybox /bin/busybox: DONE 0.0s" in lines
    # `exporting to image` restarts within one message: reported once, with its full time.
    assert [line for line in lines if line.startswith("exporting to image:")] == [
        "exporting to image: started",
        "exporting to image: DONE 0.2s",
    ]
    assert "exporting to image | pushing layers done" in lines
    assert lines[-3:] == ["real\t0m0.487s", "user\t0m0.069s", "sys\t0m0.050s"]


def test_rawjson_exec_format_error_lanes_and_lines() -> None:
    progress = read_rawjson(fixture_text(RAWJSON_EXEC))
    lanes = progress.lanes()
    assert_consistent(lanes)
    assert summary(lanes) == [
        ("linux/amd64", "done", 2, 2),
        ("linux/s390x", "error", 1, 2),
        (SHARED_LANE, "done", 4, None),
    ]
    s390x = by_platform(lanes)["linux/s390x"]
    assert s390x.current_step == RUN_BUSYBOX
    assert s390x.finished == at("2026-11-28T13:04:27.609089")
    run_s390x = "[linux/s390x 2/2]" + RUN_BUSYBOX.removeprefix("[2/2]")
    lines = progress.lines
    log = f"{run_s390x} | exec /bin/busybox: exec format error"
    error = (
        f'{run_s390x}: ERROR: process "/bin/busybox sh -c /bin/busybox uname -m > /arch" '
        "did not complete successfully: exit code: 1"
    )
    assert lines.index(f"{run_s390x}: started") < lines.index(log) < lines.index(error)
    assert lines[-len(EXEC_TAIL) :] == EXEC_TAIL


def test_update_returns_exactly_the_new_lines() -> None:
    progress, returned = BuildProgress(), []
    for obj in decode(fixture_text(RAWJSON_EXEC))[0]:
        returned += progress.update(obj)
    returned += progress.finish()
    assert returned == progress.lines
    assert progress.add_plain_line("ERROR: x\r\n") == ["ERROR: x"]
    assert progress.add_plain_line("   ") == []


def _components(objects: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Group messages that mention a common vertex, keeping their order."""
    parent = list(range(len(objects)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for index, obj in enumerate(objects):
        for key in ("vertexes", "statuses", "logs", "warnings"):
            for item in obj.get(key, []):
                digest = item.get("digest") or item.get("vertex")
                if digest in owner:
                    parent[root(index)] = root(owner[digest])
                owner.setdefault(digest, index)
    groups: dict[int, list[dict[str, Any]]] = {}
    for index, obj in enumerate(objects):
        groups.setdefault(root(index), []).append(obj)
    return list(groups.values())


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_interleaved_messages_give_the_same_lanes(seed: int) -> None:
    for name in RAWJSON_FIXTURES:
        objects, _ = decode(fixture_text(name))
        groups = _components(objects)
        assert len(groups) > 1
        rng, merged = random.Random(seed), []
        queues = [list(group) for group in groups]
        while any(queues):
            merged.append(rng.choice([q for q in queues if q]).pop(0))
        whole, shuffled = BuildProgress(), BuildProgress()
        for obj in objects:
            whole.update(obj)
        for obj in merged:
            shuffled.update(obj)
        assert shuffled.lanes() == whole.lanes()
        assert sorted(shuffled.lines) == sorted(whole.lines)


@settings(max_examples=80, deadline=None)
@given(cut=st.integers(min_value=0, max_value=20_000))
def test_truncated_rawjson_stays_consistent(cut: int) -> None:
    for name in RAWJSON_FIXTURES:
        text = fixture_text(name)
        prefix = text[: cut % (len(text) + 1)]
        assert_consistent(follow(prefix).lanes())
        # Lines emitted so far are the start of the full build's lines.
        full, cut_short = BuildProgress(), BuildProgress()
        full_lines = [line for obj in decode(text)[0] for line in full.update(obj)]
        cut_lines = [line for obj in decode(prefix)[0] for line in cut_short.update(obj)]
        assert cut_lines == full_lines[: len(cut_lines)]


def test_truncated_rawjson_shows_running_lanes() -> None:
    lines = json_lines(fixture_text(RAWJSON_OK))
    # Cut just after the arm64 RUN step started.
    cut = next(i for i, line in enumerate(lines) if "12:48:59.236659888Z" in line)
    progress = follow("\n".join(lines[: cut + 1]) + "\n")
    lanes = by_platform(progress.lanes())
    assert lanes["linux/arm64"].state == "running"
    assert lanes["linux/arm64"].current_step == RUN_BUSYBOX
    assert (lanes["linux/arm64"].steps_done, lanes["linux/arm64"].steps_total) == (1, 2)
    assert lanes["linux/arm64"].finished is None
    assert lanes["linux/amd64"].state == "pending"
    assert lanes["linux/amd64"].started is None
    assert lanes[SHARED_LANE].state == "running"  # one build context still loading


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_logs_split_across_messages_and_warnings() -> None:
    digest = "sha256:" + "a" * 64
    vertex = {"digest": digest, "name": "[linux/arm/v7 3/4] RUN make"}
    started = {**vertex, "started": "2026-01-01T00:00:00Z"}
    progress = BuildProgress()
    progress.update({"vertexes": [vertex]})
    assert progress.lanes()[0].state == "pending"
    progress.update({"vertexes": [started]})
    progress.update({"logs": [{"vertex": digest, "stream": 1, "data": _b64("hel")}]})
    progress.update({"logs": [{"vertex": digest, "stream": 1, "data": _b64("lo\n10%\r50%\rwor")}]})
    warning = {"vertex": digest, "level": 1, "short": _b64("FromAsCasing: 'as' and 'FROM'")}
    progress.update({"warnings": [warning]})
    progress.update({"warnings": [warning]})
    done = {**started, "completed": "2026-01-01T00:00:01.25Z"}
    progress.update({"vertexes": [done]})
    name = "[linux/arm/v7 3/4] RUN make"
    assert progress.lines == [
        f"{name}: started",
        f"{name} | hello",
        f"{name}: WARNING: FromAsCasing: 'as' and 'FROM'",
        f"{name} | wor",  # what is left after the carriage returns
        f"{name}: DONE 1.2s",
    ]
    (lane,) = progress.lanes()
    assert (lane.platform, lane.state, lane.steps_done, lane.steps_total) == (
        "linux/arm/v7",
        "running",  # steps 1, 2 and 4 not seen yet
        1,
        4,
    )
    assert lane.duration == pytest.approx(1.25)


def test_cached_and_canceled_vertices() -> None:
    progress = BuildProgress()
    base = {"started": "2026-01-01T00:00:00Z", "completed": "2026-01-01T00:00:00Z"}
    progress.update(
        {"vertexes": [{"digest": "d1", "name": "[linux/amd64 1/1] FROM x", "cached": True, **base}]}
    )
    progress.update(
        {
            "vertexes": [
                {
                    "digest": "d2",
                    "name": "[linux/arm64 1/1] FROM x",
                    "error": "context canceled",
                    **base,
                }
            ]
        }
    )
    assert summary(progress.lanes()) == [
        ("linux/amd64", "cached", 1, 1),
        ("linux/arm64", "canceled", 0, 1),
    ]
    assert progress.lines[-1] == "[linux/arm64 1/1] FROM x: CANCELED"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=10,
)
field_names = st.sampled_from(
    ["digest", "name", "inputs", "started", "completed", "cached", "error", "vertex", "id",
     "current", "total", "timestamp", "stream", "data", "short", "detail"]
)  # fmt: skip
entries = st.dictionaries(field_names, json_values | st.just("2026-01-01T00:00:00Z"), max_size=6)
statuses = st.dictionaries(
    st.sampled_from(["vertexes", "statuses", "logs", "warnings"]),
    st.lists(entries | json_values, max_size=3) | json_values,
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(messages=st.lists(statuses | json_values, max_size=8))
def test_malformed_status_objects_never_raise(messages: list[Any]) -> None:
    progress = BuildProgress()
    for message in messages:
        progress.update(message)
    progress.finish()
    assert_consistent(progress.lanes())


# --------------------------------------------------------------------------- plain


def test_plain_push_lanes_match_rawjson() -> None:
    progress = plain(fixture_text(PLAIN_OK))
    lanes = progress.lanes()
    assert_consistent(lanes)
    assert summary(lanes) == summary(read_rawjson(fixture_text(RAWJSON_OK)).lanes())
    amd64, arm64, shared = lanes
    assert (amd64.started, amd64.finished) == (None, None)  # plain output has no times
    assert amd64.duration == pytest.approx(0.1)
    assert arm64.current_step == RUN_BUSYBOX
    assert shared.current_step == "exporting to image"
    lines = progress.lines
    assert lines[0] == '#0 building with "multiarch" instance using docker-container driver'
    assert "[linux/arm64 1/2] COPY arm64/busybox /bin/busybox: DONE 0.0s" in lines
    # `[2/2] RUN` carries no platform: each goes to the lane whose step 1 it follows.
    run_lines = [line for line in lines if "RUN" in line]
    assert [line.split("]")[0] for line in run_lines] == [
        "[linux/arm64 2/2",
        "[linux/arm64 2/2",
        "[linux/amd64 2/2",
        "[linux/amd64 2/2",
    ]
    assert lines[-3:] == ["real\t0m0.597s", "user\t0m0.100s", "sys\t0m0.064s"]


def test_plain_exec_format_error() -> None:
    progress = plain(fixture_text(PLAIN_EXEC))
    lanes = progress.lanes()
    assert_consistent(lanes)
    assert summary(lanes) == [
        ("linux/amd64", "cached", 2, 2),
        ("linux/s390x", "error", 1, 2),
        (SHARED_LANE, "done", 4, None),
    ]
    assert by_platform(lanes)["linux/s390x"].current_step == RUN_BUSYBOX
    run_s390x = "[linux/s390x 2/2]" + RUN_BUSYBOX.removeprefix("[2/2]")
    assert f"{run_s390x} | exec /bin/busybox: exec format error" in progress.lines
    assert "[linux/amd64 1/2] COPY amd64/busybox /bin/busybox: CACHED" in progress.lines
    assert progress.lines[-len(EXEC_TAIL) :] == EXEC_TAIL
    assert " > " + RUN_BUSYBOX + ":" in progress.lines  # the error block is kept as is


def test_plain_http_registry_push_failure() -> None:
    progress = plain(fixture_text(PLAIN_HTTP))
    lanes = progress.lanes()
    assert_consistent(lanes)
    assert summary(lanes) == [
        ("linux/amd64", "done", 3, 3),
        ("linux/arm64", "done", 3, 3),
        (SHARED_LANE, "error", 3, None),
    ]
    amd64, arm64, shared = lanes
    assert arm64.duration == pytest.approx(1.5 + 1.0 + 11.7 + 0.1)
    assert amd64.current_step == "[linux/amd64 3/3] COPY . /app"
    assert shared.current_step == "exporting to image"
    from_arm64 = next(line for line in progress.lines if line.startswith("[linux/arm64 1/3]"))
    # `#6 ...` and the repeated `#6 [linux/arm64 1/3] FROM ...` header are not steps.
    assert progress.lines.count(from_arm64) == 1 and from_arm64.endswith(": started")
    assert not any(line.endswith(" | ...") for line in progress.lines)


def test_plain_no_match_for_platform() -> None:
    lanes = plain(fixture_text(PLAIN_NO_MATCH)).lanes()
    assert_consistent(lanes)
    assert summary(lanes) == [
        ("linux/amd64", "done", 1, None),
        ("linux/arm64", "error", 0, None),
        (SHARED_LANE, "done", 1, None),
    ]


def test_plain_base_image_unreachable_has_only_a_shared_lane() -> None:
    (lane,) = plain(fixture_text(PLAIN_UNREACHABLE)).lanes()
    assert (lane.platform, lane.state) == (SHARED_LANE, "error")
    assert lane.current_step == "[internal] load metadata for docker.io/library/alpine:3.20"


@pytest.mark.parametrize("name", [PLAIN_HTTP, PLAIN_EXEC])
def test_plain_same_result_at_every_chunk_size(name: str) -> None:
    text = fixture_text(name)
    whole = plain(text)
    for size in range(1, len(text) + 1):
        progress = plain(text, size)
        assert (progress.lines, progress.lanes()) == (whole.lines, whole.lanes()), size


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(PLAIN_FIXTURES), cut=st.integers(min_value=0, max_value=6000))
def test_truncated_plain_stays_consistent(name: str, cut: int) -> None:
    text = fixture_text(name)
    lines = plain(text[: cut % (len(text) + 1)]).lanes()
    assert_consistent(lines)


def test_plain_interleaved_with_crlf_and_noise() -> None:
    text = fixture_text(PLAIN_OK).replace("\n", "\r\n")
    assert plain(text).lanes() == plain(fixture_text(PLAIN_OK)).lanes()
    progress = plain("#3 [linux/arm64 1/1] RUN x\n#3 1.5 hi\n#99 CACHED\n#3 DONE 2.0s\n")
    assert progress.lines == [
        "[linux/arm64 1/1] RUN x: started",
        "[linux/arm64 1/1] RUN x | hi",
        "CACHED: started",  # an event for an unseen vertex is taken as its name
        "[linux/arm64 1/1] RUN x: DONE 2.0s",
    ]


# --------------------------------------------------------------------------- labels


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("[linux/arm/v7 builder 2/5] RUN x", VertexLabel("linux/arm/v7", "builder", 2, 5, True)),
        (
            "[linux/amd64 internal] load metadata",
            VertexLabel("linux/amd64", "internal", None, None, True),
        ),
        ("[internal] load build context", VertexLabel(None, "internal", None, None, True)),
        ("[2/2] RUN true", VertexLabel(None, None, 2, 2, True)),
        ("[linux/amd64  1/12] RUN x", VertexLabel("linux/amd64", None, 1, 12, True)),
        ("[stage-1 1/3] FROM alpine", VertexLabel(None, "stage-1", 1, 3, True)),
        ("exporting to image", VertexLabel()),
    ],
)
def test_parse_vertex_label(name: str, label: VertexLabel) -> None:
    assert parse_vertex_label(name) == label


def test_single_platform_build_steps_go_to_the_shared_lane() -> None:
    lanes = plain("#1 [1/2] FROM alpine\n#1 DONE 0.1s\n#2 [2/2] RUN true\n#2 DONE 0.2s\n").lanes()
    assert summary(lanes) == [(SHARED_LANE, "done", 2, 2)]


# --------------------------------------------------------------------------- metadata


def test_parse_metadata_file() -> None:
    meta = parse_metadata_file(fixture_text(METADATA))
    digest = "sha256:0e746e47ed8b2c9ed800902193105a2205055cae381b8b8b9bef0162bd17dea5"
    assert meta.digest == digest
    assert meta.image_names == ("127.0.0.1:5000/go-video:acc",)
    assert meta.media_type == "application/vnd.oci.image.index.v1+json"
    assert meta.size == 1607
    assert meta.build_ref == "multiarch/multiarch0/ly54c5slhp7dj5yiiu1opxm7s"
    assert meta.config_digest is None
    provenance = meta.raw["buildx.build.provenance/linux/arm64"]
    assert provenance["buildType"] == "https://mobyproject.org/buildkit@v1"


def test_parse_metadata_file_single_platform_and_several_names() -> None:
    meta = parse_metadata_file(
        json.dumps(
            {
                "containerimage.config.digest": "sha256:" + "c" * 64,
                "containerimage.descriptor": {"digest": "sha256:" + "d" * 64, "size": "x"},
                "image.name": "reg:5000/app:1, reg:5000/app:latest",
                "buildx.build.warnings": [],
            }
        )
    )
    assert meta.digest == "sha256:" + "d" * 64
    assert meta.image_names == ("reg:5000/app:1", "reg:5000/app:latest")
    assert meta.config_digest == "sha256:" + "c" * 64
    assert (meta.size, meta.media_type) == (None, None)
    assert meta.raw["buildx.build.warnings"] == []


@pytest.mark.parametrize("text", ["", "{", "not json", "[1, 2]", '"x"'])
def test_parse_metadata_file_rejects_invalid_json(text: str) -> None:
    with pytest.raises(ValueError, match="metadata file"):
        parse_metadata_file(text)
