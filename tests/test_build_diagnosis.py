"""Why a build failed and what to tell the user (swarm/build_diagnosis.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swarm.build_diagnosis import Cause, Diagnosis, diagnose
from swarm.build_progress import PlainProgress, RawJsonDecoder, read_rawjson
from tests.shared_fixtures import fixture_text

RAWJSON_OK = "buildx/build_rawjson_push_2platform_v0.36.1.txt"
RAWJSON_EXEC = "buildx/build_rawjson_fail_exec_format_error_v0.36.1.txt"
PLAIN_OK = "buildx/build_plain_push_2platform_v0.36.1.txt"
PLAIN_EXEC = "buildx/build_plain_fail_exec_format_error_v0.36.1.txt"
PLAIN_UNREACHABLE = "buildx/build_plain_fail_base_image_unreachable_v0.36.1.txt"
PLAIN_HTTP = "generated/build_plain_fail_http-registry-no-buildkitd-toml_buildx-v0.36.stderr.txt"
PLAIN_NO_MATCH = "generated/build_plain_fail_no-match-for-platform_buildx-v0.36.stderr.txt"
FAILED = [RAWJSON_EXEC, PLAIN_EXEC, PLAIN_UNREACHABLE, PLAIN_HTTP, PLAIN_NO_MATCH]
ALL = [RAWJSON_OK, PLAIN_OK, *FAILED]


def lines_of(name: str) -> list[str]:
    return fixture_text(name).splitlines()


def diagnosed(name: str) -> Diagnosis:
    found = diagnose(lines_of(name))
    assert found is not None
    assert "\n" not in found.summary and "\n" not in found.fix
    assert found.error_line.startswith("ERROR: failed to build: failed to solve: ")
    return found


@pytest.mark.parametrize("name", [RAWJSON_OK, PLAIN_OK])
def test_successful_builds_have_no_diagnosis(name: str) -> None:
    assert diagnose(lines_of(name)) is None
    assert diagnose([]) is None


@pytest.mark.parametrize("name", [RAWJSON_EXEC, PLAIN_EXEC])
def test_exec_format_error_names_the_platform(name: str) -> None:
    found = diagnosed(name)
    assert found.code is Cause.EXEC_FORMAT_ERROR
    assert found.platform == "linux/s390x"
    assert "linux/s390x" in found.summary
    assert "Bootstrap" in found.fix and "QEMU" in found.fix and "linux/s390x" in found.fix


def test_http_registry_names_the_registry_host() -> None:
    found = diagnosed(PLAIN_HTTP)
    assert found.code is Cause.HTTP_REGISTRY
    assert found.host == "192.168.1.10:5000"
    assert "192.168.1.10:5000" in found.summary
    assert "Bootstrap" in found.fix and "buildkitd.toml" in found.fix
    assert '[registry."192.168.1.10:5000"]' in found.fix


def test_no_match_for_platform_names_image_and_platform() -> None:
    found = diagnosed(PLAIN_NO_MATCH)
    assert found.code is Cause.PLATFORM_NOT_IN_BASE_IMAGE
    assert (found.image, found.platform) == ("192.168.1.10:5000/base:1.0", "linux/arm64")
    assert "192.168.1.10:5000/base:1.0" in found.summary and "linux/arm64" in found.summary
    assert "linux/arm64" in found.fix and "192.168.1.10:5000/base:1.0" in found.fix


def test_unreachable_base_image_registry_names_the_host() -> None:
    found = diagnosed(PLAIN_UNREACHABLE)
    assert found.code is Cause.REGISTRY_UNREACHABLE
    assert found.host == "registry-1.docker.io"
    assert found.image == "docker.io/library/alpine:3.20"
    assert "DNS lookup failed" in found.summary
    assert "registry-1.docker.io" in found.fix


@pytest.mark.parametrize("name", FAILED)
def test_old_final_line_format_gives_the_same_diagnosis(name: str) -> None:
    """Up to buildx 0.24 the last line is `ERROR: failed to solve: ...`."""
    old = [line.replace("ERROR: failed to build: ", "ERROR: ") for line in lines_of(name)]
    found, new = diagnose(old), diagnosed(name)
    assert found is not None
    assert (found.code, found.platform, found.host, found.image) == (
        new.code,
        new.platform,
        new.host,
        new.image,
    )
    assert found.error_line.startswith("ERROR: failed to solve: ")


@pytest.mark.parametrize("name", ALL)
def test_readable_lines_give_the_same_diagnosis(name: str) -> None:
    text = fixture_text(name)
    if text.startswith("{"):
        readable = read_rawjson(text).lines
    else:
        progress = PlainProgress()
        progress.feed(text)
        progress.finish()
        readable = progress.lines
    assert diagnose(readable) == diagnose(text.splitlines())
    assert diagnose([text]) == diagnose(text.splitlines())  # one big chunk works too


def test_indented_rawjson_gives_the_same_diagnosis() -> None:
    decoder = RawJsonDecoder()
    objects = decoder.feed(fixture_text(RAWJSON_EXEC))
    pretty = "".join(json.dumps(obj, indent=2) + "\n" for obj in objects)
    pretty += "\n".join(decoder.finish())
    assert diagnose(pretty.splitlines()) == diagnosed(RAWJSON_EXEC)


def test_output_cut_before_the_final_error_uses_the_failed_step() -> None:
    lines = lines_of(PLAIN_EXEC)
    cut = lines[: lines.index("------")]
    found = diagnose(cut)
    assert found is not None
    assert (found.code, found.platform) == (Cause.EXEC_FORMAT_ERROR, "linux/s390x")
    assert found.error_line.endswith("did not complete successfully: exit code: 1")
    assert diagnose(lines[:10]) is None  # no error yet


@pytest.mark.parametrize(
    ("line", "builder"),
    [
        ('ERROR: no builder "multiarch" found', "multiarch"),
        ('ERROR: failed to find driver "docker-container"', None),
        (
            "ERROR: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
            "Is the docker daemon running?",
            None,
        ),
        (
            "ERROR: failed to build: failed to solve: listing workers for Build: failed to "
            'list workers: Unavailable: connection error: desc = "transport: error"',
            None,
        ),
    ],
)
def test_builder_unavailable(line: str, builder: str | None) -> None:
    found = diagnose(["some output", line])
    assert found is not None
    assert found.code is Cause.BUILDER_UNAVAILABLE
    assert found.builder == builder
    assert "Bootstrap" in found.fix
    if builder:
        assert f'"{builder}"' in found.fix


def test_builder_name_comes_from_the_header_line() -> None:
    lines = [
        '#0 building with "pi-builder" instance using docker-container driver',
        "ERROR: failed to build: failed to solve: failed to list workers: Unavailable",
    ]
    found = diagnose(lines)
    assert found is not None and found.builder == "pi-builder"
    assert '"pi-builder"' in found.fix


def test_push_registry_connection_refused() -> None:
    found = diagnose(
        [
            "ERROR: failed to build: failed to solve: failed to push 192.168.1.10:5000/app:1: "
            'failed to do request: Head "https://192.168.1.10:5000/v2/app/blobs/sha256:ab": '
            "dial tcp 192.168.1.10:5000: connect: connection refused"
        ]
    )
    assert found is not None
    assert found.code is Cause.REGISTRY_UNREACHABLE
    assert (found.host, found.image) == ("192.168.1.10:5000", None)
    assert "push" in found.summary and "connection refused" in found.summary
    assert "192.168.1.10:5000" in found.fix


def test_exec_format_error_without_a_platform_on_the_line() -> None:
    found = diagnose(
        [
            "[linux/arm/v7 2/3] RUN make: started",
            "[linux/arm/v7 2/3] RUN make: ERROR: process did not complete: exit code: 1",
            "ERROR: failed to solve: exec /bin/sh: exec format error",
        ]
    )
    assert found is not None
    assert (found.code, found.platform) == (Cause.EXEC_FORMAT_ERROR, "linux/arm/v7")
    assert "linux/arm/v7" in found.fix


def test_generic_fallback_quotes_the_last_error_line() -> None:
    found = diagnose(
        [
            "ERROR: an earlier error",
            "[linux/amd64 2/2] RUN false: ERROR: process did not complete: exit code: 1",
            "ERROR: failed to build: failed to solve: process did not complete: exit code: 1",
            "some trailing noise",
        ]
    )
    assert found is not None
    assert found.code is Cause.BUILD_FAILED
    last = "ERROR: failed to build: failed to solve: process did not complete: exit code: 1"
    assert found.error_line == last
    assert found.summary == "Build failed: process did not complete: exit code: 1"
    assert last in found.fix
    assert found.platform == "linux/amd64"


def test_log_output_mentioning_errors_is_not_a_failure() -> None:
    lines = ["[linux/amd64 2/2] RUN ./test | ERROR: expected, part of the test output"]
    assert diagnose(lines) is None


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(ALL), cut=st.integers(min_value=0, max_value=20_000))
def test_truncated_outputs_never_raise(name: str, cut: int) -> None:
    text = fixture_text(name)
    found = diagnose(text[: cut % (len(text) + 1)].splitlines())
    assert found is None or isinstance(found.code, Cause)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(st.text(max_size=80) | st.sampled_from(lines_of(PLAIN_HTTP)), max_size=20))
def test_any_lines_never_raise(lines: list[str]) -> None:
    found = diagnose(lines)
    assert found is None or found.error_line.strip()
