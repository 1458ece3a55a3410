"""Explain why a `docker buildx build` failed, and what the user should do about it.

`diagnose` reads the build's output: raw `--progress=plain` or `--progress=rawjson` output,
or the readable lines of `swarm.build_progress`. The deciding line is the last top-level
`ERROR:` line (`ERROR: failed to solve: ...` up to buildx 0.24, `ERROR: failed to build:
failed to solve: ...` from 0.25); the lines before it name the platform, host or image.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from swarm.build_progress import PlainProgress, read_rawjson


class Cause(StrEnum):
    EXEC_FORMAT_ERROR = "exec_format_error"  # no emulator for the target platform
    HTTP_REGISTRY = "http_registry"  # builder lacks the insecure-registry config
    PLATFORM_NOT_IN_BASE_IMAGE = "platform_not_in_base_image"
    REGISTRY_UNREACHABLE = "registry_unreachable"
    BUILDER_UNAVAILABLE = "builder_unavailable"
    BUILD_FAILED = "build_failed"  # anything else: quote the error


@dataclass(frozen=True)
class Diagnosis:
    code: Cause
    summary: str  # one line: what went wrong
    fix: str  # what to tell the user to do
    error_line: str  # the ERROR line the diagnosis explains
    platform: str | None = None
    host: str | None = None
    image: str | None = None
    builder: str | None = None


@dataclass(frozen=True)
class _Evidence:
    final: str  # last ERROR line, stripped
    message: str  # its text without `ERROR: failed to build: failed to solve:`
    errors: list[str]  # final, then earlier vertex ERROR lines, newest first
    lines: list[str]  # readable lines up to the final error


_PLATFORM_PREFIX = re.compile(r"^\[(?P<platform>[a-z0-9]+/[a-z0-9_]+(?:/[a-z0-9.]+)?)[ \]]")
_PLAIN_VERTEX = re.compile(r"^#\d+ ")
_VERTEX_ERROR = re.compile(r"^(?:#\d+ |(?P<name>.+?): )ERROR: (?P<message>.+)$")
_ERROR_PREFIXES = ("ERROR:", "failed to build:", "failed to solve:")
_URL = re.compile(r"https?://[^\s\"']+")
_NO_BUILDER = re.compile(r"no builder \"(?P<name>[^\"]+)\" found")
_BUILDING_WITH = re.compile(r"building with \"(?P<name>[^\"]+)\" instance")
_BUILDER_DOWN = (
    "no builder",
    "failed to find driver",
    "no valid drivers found",
    "cannot connect to the docker daemon",
    "error during connect",
    "failed to list workers",
    "failed to dial grpc",
    "failed to initialize builder",
)
_UNREACHABLE = {
    "no such host": "DNS lookup failed",
    "server misbehaving": "DNS lookup failed",
    "connection refused": "connection refused",
    "i/o timeout": "connection timed out",
    "tls handshake timeout": "TLS handshake timed out",
    "context deadline exceeded": "connection timed out",
    "network is unreachable": "network unreachable",
    "no route to host": "no route to host",
    "connection reset by peer": "connection reset",
}
_SOURCE_IMAGE = re.compile(r"(?:source metadata for|load metadata for) (?P<image>\S+?):?(?:\s|$)")
_PUSH_REF = re.compile(r"failed to push (?P<ref>\S+?):? ")
_LOOKUP_HOST = re.compile(r"lookup (?P<host>[^\s:]+)")
_DIAL_HOST = re.compile(r"dial tcp (?P<host>[^\s:]+(?::\d+)?)")


def diagnose(lines: Iterable[str]) -> Diagnosis | None:
    """The cause of a failed build, or None when the output shows no error."""
    evidence = _gather(_readable(lines))
    if evidence is None:
        return None
    for line in evidence.errors:
        for matcher in _MATCHERS:
            found = matcher(line, evidence)
            if found is not None:
                return found
    return _exec_format_in_logs(evidence) or _generic(evidence)


# --------------------------------------------------------------------------- input


def _readable(lines: Iterable[str]) -> list[str]:
    """Normalise raw rawjson or plain output into readable progress lines."""
    flat = [part.rstrip("\r") for line in lines for part in line.split("\n")]
    if any(line.lstrip().startswith("{") for line in flat):
        return read_rawjson("\n".join(flat)).lines
    if any(_PLAIN_VERTEX.match(line) for line in flat):
        progress = PlainProgress()
        for line in flat:
            progress.feed_line(line)
        return progress.lines
    return [line for line in flat if line.strip()]


def _gather(lines: list[str]) -> _Evidence | None:
    final_index = _last_index(lines, lambda line: line.lstrip().startswith("ERROR:"))
    if final_index is None:  # output cut before the final line: use a step's error
        final_index = _last_index(lines, lambda line: _vertex_error(line) is not None)
    if final_index is None:
        return None
    final = lines[final_index].strip()
    before = lines[:final_index]
    earlier_errors = [line.strip() for line in reversed(before) if _is_error_line(line)]
    return _Evidence(
        final=final,
        message=_strip_error_prefixes(_vertex_error(final) or final),
        errors=[final, *earlier_errors],
        lines=before,
    )


def _last_index(lines: Sequence[str], wanted: Callable[[str], bool]) -> int | None:
    return next((i for i in range(len(lines) - 1, -1, -1) if wanted(lines[i])), None)


def _is_error_line(line: str) -> bool:
    return line.lstrip().startswith("ERROR:") or _vertex_error(line) is not None


def _vertex_error(line: str) -> str | None:
    """The message of a step's `...: ERROR: msg` line (not of log output, `name | text`)."""
    match = _VERTEX_ERROR.match(line.strip())
    if match is None or " | " in (match.group("name") or ""):
        return None
    return match.group("message")


def _strip_error_prefixes(text: str) -> str:
    text = text.strip()
    stripped = True
    while stripped:
        stripped = False
        for prefix in _ERROR_PREFIXES:
            if text.startswith(prefix):
                text, stripped = text.removeprefix(prefix).strip(), True
    return text


# --------------------------------------------------------------------------- matchers


def _builder_unavailable(line: str, ev: _Evidence) -> Diagnosis | None:
    lowered = line.lower()
    if not any(marker in lowered for marker in _BUILDER_DOWN):
        return None
    named = _NO_BUILDER.search(line) or next(
        (m for m in map(_BUILDING_WITH.search, ev.lines) if m), None
    )
    builder = named.group("name") if named else None
    which = f'builder "{builder}"' if builder else "the builder"
    return Diagnosis(
        code=Cause.BUILDER_UNAVAILABLE,
        summary=f"{_sentence(which)} is missing or not running: {_strip_error_prefixes(line)}",
        fix=f"Run Bootstrap to create and start {which} (its BuildKit node must be "
        "reachable), then retry the build.",
        error_line=ev.final,
        builder=builder,
    )


def _http_registry(line: str, ev: _Evidence) -> Diagnosis | None:
    if "server gave HTTP response to HTTPS client" not in line:
        return None
    host = _url_host(line) or _push_host(line)
    where = host or "the registry"
    return Diagnosis(
        code=Cause.HTTP_REGISTRY,
        summary=f"{where} serves plain HTTP but the builder talks HTTPS to it.",
        fix=f"The builder lacks the insecure-registry config for {where}: re-run Bootstrap "
        f"to remove and recreate the builder with a buildkitd.toml containing "
        f'[registry."{host or "HOST:PORT"}"] http = true, insecure = true (the key must '
        "match the image's host:port exactly; the file is only read when the builder "
        "is created).",
        error_line=ev.final,
        host=host,
    )


def _platform_not_in_base_image(line: str, ev: _Evidence) -> Diagnosis | None:
    if "no match for platform in manifest" not in line:
        return None
    image = _source_image(ev.final) or _source_image(line)
    platform = _line_platform(line) or _failing_platform(ev, "no match for platform")
    what = f"the base image {image}" if image else "the base image"
    for_platform = platform or "the requested platform"
    check = f" (check with `docker buildx imagetools inspect {image}`)" if image else ""
    return Diagnosis(
        code=Cause.PLATFORM_NOT_IN_BASE_IMAGE,
        summary=f"{_sentence(what)} is not published for {for_platform}.",
        fix=f"Use a base image or tag that includes {for_platform}{check}, or remove "
        f"{for_platform} from the build's platforms.",
        error_line=ev.final,
        platform=platform,
        image=image,
    )


def _registry_unreachable(line: str, ev: _Evidence) -> Diagnosis | None:
    lowered = line.lower()
    reason = next((text for marker, text in _UNREACHABLE.items() if marker in lowered), None)
    if reason is None and "failed to do request" not in lowered:
        return None
    host = _url_host(line) or _match_group(_LOOKUP_HOST, line) or _match_group(_DIAL_HOST, line)
    pushing = "failed to push" in lowered
    image = None if pushing else _source_image(ev.final) or _source_image(line)
    host = host or _push_host(line)
    where = host or "the registry"
    role = "push the image" if pushing else f"pull the base image {image or ''}".rstrip()
    return Diagnosis(
        code=Cause.REGISTRY_UNREACHABLE,
        summary=f"Cannot reach {where} to {role} ({reason or 'request failed'}).",
        fix=f"Make sure the builder's node can reach {where} (DNS, proxy, firewall, and "
        "that the registry is up), then retry the build.",
        error_line=ev.final,
        host=host,
        image=image,
    )


def _exec_format_error(line: str, ev: _Evidence) -> Diagnosis | None:
    if "exec format error" not in line:
        return None
    return _exec_format_diagnosis(ev, _line_platform(line))


def _exec_format_in_logs(ev: _Evidence) -> Diagnosis | None:
    hits = [line for line in reversed(ev.lines) if "exec format error" in line]
    if not hits:
        return None
    platform = next((p for p in map(_line_platform, hits) if p), None)
    return _exec_format_diagnosis(ev, platform)


def _exec_format_diagnosis(ev: _Evidence, platform: str | None) -> Diagnosis:
    platform = platform or _failing_platform(ev, "")
    target = platform or "the target platform"
    return Diagnosis(
        code=Cause.EXEC_FORMAT_ERROR,
        summary=f"A {target} step could not run: exec format error (no emulator for {target}).",
        fix=f"Run Bootstrap to install QEMU emulation (binfmt handlers) for {target} on the "
        "builder's node, then retry. Handlers are lost on reboot: re-run Bootstrap after "
        "restarting the node.",
        error_line=ev.final,
        platform=platform,
    )


def _generic(ev: _Evidence) -> Diagnosis:
    return Diagnosis(
        code=Cause.BUILD_FAILED,
        summary=f"Build failed: {ev.message}",
        fix=f"Read the build log above the last error: {ev.final}",
        error_line=ev.final,
        platform=_failing_platform(ev, ""),
    )


_MATCHERS: tuple[Callable[[str, _Evidence], Diagnosis | None], ...] = (
    _builder_unavailable,
    _http_registry,
    _platform_not_in_base_image,
    _registry_unreachable,
    _exec_format_error,
)


# --------------------------------------------------------------------------- details


def _line_platform(line: str) -> str | None:
    return _match_group(_PLATFORM_PREFIX, line.strip())


def _failing_platform(ev: _Evidence, containing: str) -> str | None:
    """Platform of the newest failed step whose error contains `containing`."""
    for line in ev.errors:
        message = _vertex_error(line)
        if message is not None and containing in message:
            platform = _line_platform(line)
            if platform:
                return platform
    return None


def _source_image(text: str) -> str | None:
    return _match_group(_SOURCE_IMAGE, text)


def _url_host(text: str) -> str | None:
    match = _URL.search(text)
    if match is None:
        return None
    return urlsplit(match.group(0)).netloc or None


def _push_host(text: str) -> str | None:
    ref = _match_group(_PUSH_REF, text)
    if ref is None or "/" not in ref:
        return None
    first = ref.split("/", 1)[0]
    return first if "." in first or ":" in first or first == "localhost" else None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _match_group(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1) if match else None


__all__ = ["Cause", "Diagnosis", "diagnose"]
