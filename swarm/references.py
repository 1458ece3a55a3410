"""Image references ``[registry/]repository[:tag][@digest]`` (pure, no I/O).

The grammar is distribution/reference ``regexp.go``:
- registry: DNS-like name, IPv4 or ``[IPv6]``, optional ``:port``;
- repository: ``/``-separated components of ``[a-z0-9]+`` joined by ``.``, ``_``, ``__`` or
  dashes; the whole name (registry included) at most 255 characters;
- tag: ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``;
- digest: ``algorithm:hex``, checked as go-digest does (sha256 = 64 lowercase hex).

Whether the first path component is a registry follows distribution/reference
``normalize.go`` (``splitDockerDomain``): it contains ``.`` or ``:``, is ``localhost``, or has
uppercase letters. Without one, ``registry`` is ``""``: no docker.io/library defaulting here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME_TOTAL_LENGTH_MAX = 255
TAG_LENGTH_MAX = 128

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST_RE = re.compile(rf"^(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])$")
_PATH_COMPONENT_RE = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_DIGEST_ALGORITHM_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*$")
_HEX_RE = re.compile(r"^[a-f0-9]+$")
_IMAGE_ID_RE = re.compile(r"^[a-f0-9]{64}$")
# Algorithms go-digest registers, with the length of their hex encoding.
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


@dataclass(frozen=True)
class ImageReference:
    """A parsed reference; ``registry`` is "" when the text names none."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """``registry/repository``, or just the repository when there is no registry."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag is not None else ""
        digest = f"@{self.digest}" if self.digest is not None else ""
        return f"{self.name}{tag}{digest}"


def parse_reference(text: str) -> ImageReference:
    """Parse and validate a reference; raises ValueError saying what is wrong."""
    _check_text(text)
    name_and_tag, digest = _split_digest(text)
    name, tag = _split_tag(name_and_tag)
    registry, repository = split_registry(name)
    if registry:
        validate_registry(registry)
    validate_repository(repository)
    _check_name_length(registry, repository)
    if not registry and tag is None and digest is None and _IMAGE_ID_RE.match(repository):
        raise ValueError(f"'{repository}' is an image ID (64 hex characters), not a repository")
    if tag is not None:
        validate_tag(tag)
    if digest is not None:
        validate_digest(digest)
    return ImageReference(registry=registry, repository=repository, tag=tag, digest=digest)


def split_registry(name: str) -> tuple[str, str]:
    """Split ``name`` (no tag or digest) into (registry, repository) the way Docker does."""
    first, slash, rest = name.partition("/")
    if not slash:
        return "", name
    looks_like_registry = (
        first == "localhost" or any(c in first for c in ".:") or first.lower() != first
    )
    return (first, rest) if looks_like_registry else ("", name)


def validate_registry(registry: str) -> None:
    """``host[:port]`` where host is a DNS-like name, IPv4 or ``[IPv6]``."""
    host, port = registry, None
    if registry.startswith("["):
        end = registry.find("]")
        if end != -1 and registry[end + 1 :].startswith(":"):
            host, port = registry[: end + 1], registry[end + 2 :]
    elif ":" in registry:
        host, _, port = registry.partition(":")
    if not _HOST_RE.match(host):
        raise ValueError(f"invalid registry host '{host}'")
    if port is not None and not (port.isascii() and port.isdigit()):
        raise ValueError(f"registry port must be a number, got '{port}' in '{registry}'")


def validate_repository(repository: str) -> None:
    """Check a repository path (without registry) against the component grammar."""
    if not repository:
        raise ValueError("repository name is empty")
    if repository.lower() != repository:
        raise ValueError(f"uppercase letters are not allowed in a repository name ('{repository}')")
    for component in repository.split("/"):
        if not component:
            raise ValueError(f"repository name has an empty path component ('{repository}')")
        if not _PATH_COMPONENT_RE.match(component):
            raise ValueError(
                f"invalid repository path component '{component}': use lowercase letters and "
                "digits, separated by a single '.', '_' or '__', or by dashes"
            )


def validate_tag(tag: str) -> None:
    if not tag:
        raise ValueError("tag is empty (nothing after ':')")
    if len(tag) > TAG_LENGTH_MAX:
        raise ValueError(f"tag must be at most {TAG_LENGTH_MAX} characters, got {len(tag)}")
    if not tag.isascii() or not _TAG_RE.match(tag):
        raise ValueError(
            f"invalid tag '{tag}': use letters, digits, '_', '.' and '-', "
            "not starting with '.' or '-'"
        )


def validate_digest(digest: str) -> None:
    """``algorithm:hex`` with a supported algorithm and the right lowercase hex length."""
    algorithm, colon, encoded = digest.partition(":")
    if not colon or not algorithm or not encoded:
        raise ValueError(f"digest '{digest}' must look like 'sha256:<64 hex characters>'")
    if not _DIGEST_ALGORITHM_RE.match(algorithm):
        raise ValueError(f"invalid digest algorithm '{algorithm}'")
    expected = _DIGEST_HEX_LENGTHS.get(algorithm)
    if expected is None:
        supported = ", ".join(sorted(_DIGEST_HEX_LENGTHS))
        raise ValueError(f"unsupported digest algorithm '{algorithm}' (use {supported})")
    if not _HEX_RE.match(encoded):
        raise ValueError(f"digest '{digest}' must use lowercase hexadecimal characters")
    if len(encoded) != expected:
        raise ValueError(
            f"{algorithm} digest must have {expected} hex characters, got {len(encoded)}"
        )


def _check_text(text: str) -> None:
    if not text:
        raise ValueError("image reference is empty")
    if text.startswith("-"):
        raise ValueError(f"image reference must not start with '-' ('{text}' looks like an option)")
    if any(c.isspace() for c in text):
        raise ValueError(f"image reference must not contain whitespace ('{text}')")


def _split_digest(text: str) -> tuple[str, str | None]:
    name_and_tag, at, digest = text.partition("@")
    if not at:
        return text, None
    if not digest:
        raise ValueError("digest is empty (nothing after '@')")
    return name_and_tag, digest


def _split_tag(name_and_tag: str) -> tuple[str, str | None]:
    # A ':' after the last '/' starts the tag; earlier ones belong to a registry port.
    colon = name_and_tag.rfind(":")
    if colon <= name_and_tag.rfind("/"):
        return name_and_tag, None
    return name_and_tag[:colon], name_and_tag[colon + 1 :]


def _check_name_length(registry: str, repository: str) -> None:
    full = f"{registry}/{repository}" if registry else repository
    if len(full) > NAME_TOTAL_LENGTH_MAX:
        raise ValueError(
            f"repository name must be at most {NAME_TOTAL_LENGTH_MAX} characters "
            f"(registry included), got {len(full)}"
        )
