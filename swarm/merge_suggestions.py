"""Merges worth suggesting, found in the inventory from per-arch tag names (pure).

``1.29.0-amd64`` + ``1.29.0-arm64`` -> ``1.29.0``, and the like: ``_arm64``,
``-linux-arm64``, ``-arm32v7``, ``-aarch64``... A name is only a hint: every tag must really
have the platform its name says (checked against the platforms the scan read from the
config), and a suggestion needs at least two different platforms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Suffix (after - or _, optionally "linux-") -> the platform it names.
ARCH_SUFFIXES: dict[str, str] = {
    "amd64": "linux/amd64", "x86_64": "linux/amd64", "x86-64": "linux/amd64",
    "arm64": "linux/arm64", "arm64v8": "linux/arm64", "aarch64": "linux/arm64",
    "arm64-v8": "linux/arm64",
    "armv7": "linux/arm/v7", "arm32v7": "linux/arm/v7", "armhf": "linux/arm/v7",
    "arm-v7": "linux/arm/v7", "armv7l": "linux/arm/v7",
    "armv6": "linux/arm/v6", "arm32v6": "linux/arm/v6", "armel": "linux/arm/v6",
    "arm-v6": "linux/arm/v6",
    "386": "linux/386", "i386": "linux/386",
    "ppc64le": "linux/ppc64le", "s390x": "linux/s390x", "riscv64": "linux/riscv64",
}
_SUFFIX = re.compile(
    r"^(?P<base>.+?)[-_](?:linux[-_])?(?P<arch>"
    + "|".join(sorted((re.escape(s) for s in ARCH_SUFFIXES), key=len, reverse=True))
    + r")$"
)


@dataclass(frozen=True)
class TagFacts:
    repository: str
    name: str
    platforms: tuple[str, ...]  # real, normalised (from the scan)
    digest: str = ""


@dataclass(frozen=True)
class Suggestion:
    repository: str
    target_tag: str
    sources: tuple[TagFacts, ...]
    target_exists: bool
    target_platforms: tuple[str, ...]

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(sorted({p for s in self.sources for p in s.platforms}))

    @property
    def adds(self) -> tuple[str, ...]:
        """Platforms the target would gain (all of them when it does not exist)."""
        return tuple(p for p in self.platforms if p not in self.target_platforms)


def split_arch_suffix(tag: str) -> tuple[str, str] | None:
    """('1.29.0', 'linux/arm64') for '1.29.0-arm64'; None when no arch suffix."""
    match = _SUFFIX.match(tag)
    if not match:
        return None
    return match["base"], ARCH_SUFFIXES[match["arch"]]


def suggest_merges(tags: Iterable[TagFacts]) -> list[Suggestion]:
    by_name: dict[tuple[str, str], TagFacts] = {}
    groups: dict[tuple[str, str], dict[str, TagFacts]] = {}
    for tag in tags:
        by_name[(tag.repository, tag.name)] = tag
        split = split_arch_suffix(tag.name)
        # Only single-platform images whose real platform is the one the name says.
        if split and tag.platforms == (split[1],):
            groups.setdefault((tag.repository, split[0]), {}).setdefault(split[1], tag)
    suggestions = []
    for (repository, base), per_platform in sorted(groups.items()):
        if len(per_platform) < 2:
            continue
        target = by_name.get((repository, base))
        sources = tuple(per_platform[p] for p in sorted(per_platform))
        suggestion = Suggestion(
            repository=repository, target_tag=base, sources=sources,
            target_exists=target is not None,
            target_platforms=target.platforms if target else (),
        )
        # Nothing to do when the target has them all; and a one-click merge must never
        # drop a platform the target has that no source provides.
        if suggestion.adds and set(suggestion.target_platforms) <= set(suggestion.platforms):
            suggestions.append(suggestion)
    return suggestions
