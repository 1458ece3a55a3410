"""Find a service's image in the registry inventory, without guessing (pure, no I/O).

A service names its image as the CLI pinned it (``host/repo:tag@sha256:...``). The pinned
digest is what the nodes pull, so it decides: the tag name only counts when there is no
digest. An image from a registry swarmdeck does not scan (Docker Hub, say), a digest the
last scan did not see or a reference that does not parse is reported as such, never
replaced by whatever the tag points at today.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property, lru_cache

from swarm.fix_hints import TagFacts
from swarm.platforms import Platform
from swarm.references import ImageReference, parse_reference

DOCKER_HUB = "docker.io"
# Pages parse every service's image twice (digest lookup, then match): memoised.
_parse = lru_cache(maxsize=2048)(parse_reference)


@dataclass(frozen=True)
class InventoryTag:
    """One scanned tag, as the compatibility pages need it."""

    registry_id: int
    registry_host: str
    repository: str
    name: str
    digest: str
    platforms: tuple[Platform, ...]  # normalised, attestations excluded
    is_index: bool
    kind: str = ""  # Tag.Kind value: docker_manifest, oci_manifest, docker_list, oci_index
    created: datetime | None = None

    @property
    def reference(self) -> str:
        return f"{self.registry_host}/{self.repository}:{self.name}"

    @property
    def short_reference(self) -> str:
        return f"{self.repository}:{self.name}"

    @property
    def known_platforms(self) -> tuple[Platform, ...] | None:
        """The platforms, or None when unknown: a single manifest whose config named none.

        An index with no real platform (only attestations) is known to run nowhere: ().
        """
        if not self.platforms and not self.is_index:
            return None
        return self.platforms

    @cached_property
    def facts(self) -> TagFacts:
        return TagFacts(self.name, self.platforms, self.is_index)


@dataclass(frozen=True)
class InventoryChild:
    """A platform image inside an index; a service may be pinned to one directly."""

    digest: str
    platform: Platform | None  # None: the scan could not tell
    tag: InventoryTag


class MatchStatus(StrEnum):
    FOUND = "found"
    INVALID = "invalid reference"
    UNKNOWN_REGISTRY = "unknown registry"
    NOT_SCANNED = "not in the last scan"


@dataclass(frozen=True)
class ImageMatch:
    status: MatchStatus
    text: str  # the service's image exactly as in its spec
    reference: ImageReference | None = None
    tag: InventoryTag | None = None  # the scanned tag the image was found under
    platforms: tuple[Platform, ...] | None = None  # None: unknown, do not guess
    is_index: bool = False
    note: str = ""

    @property
    def found(self) -> bool:
        return self.status is MatchStatus.FOUND

    @property
    def repository_key(self) -> tuple[int, str] | None:
        return (self.tag.registry_id, self.tag.repository) if self.tag else None


@dataclass
class Inventory:
    """Scanned tags indexed for lookups by (host, repository, tag) and by digest."""

    hosts: Mapping[str, int]  # registry host ("192.168.31.98:5000") -> registry id
    tags: list[InventoryTag]
    children: list[InventoryChild] = field(default_factory=list)
    plain_http: Mapping[int, bool] = field(default_factory=dict)  # registry id -> http://
    # (registry id, repository) -> (recipe id, recipe name, its platforms): what builds it
    recipes: Mapping[tuple[int, str], tuple[int, str, tuple[str, ...]]] = field(
        default_factory=dict)

    def __post_init__(self) -> None:
        self._hosts = {host.lower(): pk for host, pk in self.hosts.items()}
        self._by_name: dict[tuple[int, str, str], InventoryTag] = {}
        self._by_digest: dict[tuple[int, str, str], list[InventoryTag]] = {}
        for tag in self.tags:
            self._by_name[(tag.registry_id, tag.repository, tag.name)] = tag
            key = (tag.registry_id, tag.repository, tag.digest)
            self._by_digest.setdefault(key, []).append(tag)
        self._children = {(c.tag.registry_id, c.tag.repository, c.digest): c
                          for c in self.children}
        self._by_repository: dict[tuple[int, str], list[InventoryTag]] = {}
        for tag in self.tags:
            self._by_repository.setdefault((tag.registry_id, tag.repository), []).append(tag)

    def repository_tags(self, registry_id: int, repository: str) -> list[InventoryTag]:
        return self._by_repository.get((registry_id, repository), [])

    def match(self, text: str) -> ImageMatch:
        try:
            reference = _parse(text)
        except ValueError as error:
            return ImageMatch(MatchStatus.INVALID, text, note=f"{text!r} is not a valid image "
                              f"reference: {error}")
        host = reference.registry or DOCKER_HUB
        registry_id = self._hosts.get(host.lower())
        if registry_id is None:
            return ImageMatch(
                MatchStatus.UNKNOWN_REGISTRY, text, reference,
                note=f"the image is in {host}, which is not one of swarmdeck's registries, so "
                     "its platforms are unknown" + _add_hint(host),
            )
        if reference.digest:
            return self._by_pinned_digest(text, reference, registry_id)
        tag_name = reference.tag or "latest"
        tag = self._by_name.get((registry_id, reference.repository, tag_name))
        if tag is None:
            return ImageMatch(MatchStatus.NOT_SCANNED, text, reference,
                              note=f"{reference.repository}:{tag_name} was not in the last scan "
                                   f"of {host}")
        return _found(text, reference, tag)

    def _by_pinned_digest(
        self, text: str, reference: ImageReference, registry_id: int
    ) -> ImageMatch:
        digest = reference.digest or ""
        key = (registry_id, reference.repository, digest)
        tags = self._by_digest.get(key, [])
        if tags:
            # Prefer the tag the service names; another tag on the same digest is the same image.
            named = [t for t in tags if t.name == reference.tag]
            return _found(text, reference, (named or tags)[0])
        child = self._children.get(key)
        if child is not None:
            platforms = (child.platform,) if child.platform else None
            return ImageMatch(
                MatchStatus.FOUND, text, reference, child.tag, platforms, False,
                note=f"pinned to the {child.platform or 'unknown'} image inside "
                     f"{child.tag.short_reference}",
            )
        current = self._by_name.get((registry_id, reference.repository, reference.tag or ""))
        moved = (f"; the tag now points at {current.digest[:19]}…, which is not what the "
                 "service runs" if current else "")
        return ImageMatch(
            MatchStatus.NOT_SCANNED, text, reference,
            note=f"the pinned digest {digest[:19]}… was not in the last scan of "
                 f"{reference.repository}{moved}",
        )


def _add_hint(host: str) -> str:
    if host == DOCKER_HUB:
        return " (Docker Hub is not scanned)"
    return "; add it under Registries and scan it to check"


def _found(text: str, reference: ImageReference, tag: InventoryTag) -> ImageMatch:
    platforms = tag.known_platforms
    note = "" if platforms is not None else "the scan could not read this image's platform"
    return ImageMatch(MatchStatus.FOUND, text, reference, tag, platforms, tag.is_index, note)


def pinned_digest(image: str) -> str:
    """The digest an image reference is pinned to, "" when none (or it does not parse)."""
    try:
        return _parse(image).digest or ""
    except ValueError:
        return ""


def tags_used(matches: Iterable[ImageMatch]) -> list[InventoryTag]:
    """The scanned tags a set of services use, each once, in first-use order."""
    seen: dict[tuple[int, str, str], InventoryTag] = {}
    for match in matches:
        if match.tag is not None:
            seen.setdefault((match.tag.registry_id, match.tag.repository, match.tag.name),
                            match.tag)
    return list(seen.values())
