"""What would fix an image that lacks a platform some node needs (pure, no I/O).

People publish per-architecture tags (``1.29.0-amd64``, ``1.29.0-arm64``, ``v2_arm64``,
``1.0-linux-arm64``) and then forget to merge them. Tag names are only a
hint: every candidate is checked against the platforms the scan really found, and a tag
whose name promises another architecture than it holds is reported, not suggested.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from swarm.merge_suggestions import split_arch_suffix
from swarm.platforms import Platform, platform_vector


@dataclass(frozen=True)
class TagFacts:
    """What the hint search needs to know of a tag."""

    name: str
    platforms: tuple[Platform, ...]
    is_index: bool


@dataclass(frozen=True)
class MergeHint:
    target: str  # the tag the merged index would be pushed as
    sources: tuple[TagFacts, ...]
    adds: tuple[Platform, ...]  # the platforms the sources bring for the nodes that need them
    renames: bool  # True when the target is not the tag in use: the service must switch

    @property
    def source_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sources)


@dataclass(frozen=True)
class FixHints:
    use_instead: TagFacts | None = None  # an existing tag that already has what is missing
    merge: MergeHint | None = None
    rebuild: tuple[Platform, ...] = ()  # build for these platforms (empty: no rebuild needed)
    mislabelled: tuple[str, ...] = field(default=())

    @property
    def any(self) -> bool:
        return bool(self.use_instead or self.merge or self.rebuild or self.mislabelled)


@lru_cache(maxsize=4096)
def read_arch_tag(name: str) -> tuple[str, Platform] | None:
    """``1.29.0-arm64`` -> (``1.29.0``, linux/arm64); None when the name names no platform.

    The name patterns are the merge suggestions' (``swarm/merge_suggestions.py``), so a fix
    hint and the merge page agree on what counts as a per-arch tag.
    """
    split = split_arch_suffix(name)
    if split is None:
        return None
    base, platform = split
    return base, Platform.parse(platform)


@lru_cache(maxsize=256)
def _vector(node: Platform) -> tuple[Platform, ...]:
    return tuple(platform_vector(node))  # pure and asked for over and over: memoised


def _runs_on(node: Platform, platforms: Iterable[Platform]) -> Platform | None:
    """The image platform ``node`` would pick, natively or in 32-bit compat mode."""
    available = set(platforms)
    return next((p for p in _vector(node) if p in available), None)


def _checked_candidates(
    base: str, own: str, siblings: Iterable[TagFacts]
) -> tuple[list[TagFacts], list[str]]:
    candidates: list[TagFacts] = []
    mislabelled: list[str] = []
    for sibling in siblings:
        arch_tag = read_arch_tag(sibling.name)
        if sibling.name == own or arch_tag is None or arch_tag[0] != base:
            continue
        if not sibling.platforms:
            continue  # platform unknown: neither suggested nor accused
        if arch_tag[1] in sibling.platforms:
            candidates.append(sibling)
        else:
            held = ", ".join(str(p) for p in sibling.platforms)
            mislabelled.append(f"{sibling.name} is named for {arch_tag[1]} but holds {held}")
    return sorted(candidates, key=lambda t: t.name), mislabelled


def _best_source(
    node: Platform, candidates: Sequence[TagFacts]
) -> tuple[TagFacts, Platform] | None:
    ranked = []
    vector = _vector(node)
    for candidate in candidates:
        chosen = _runs_on(node, candidate.platforms)
        if chosen is not None:
            ranked.append((vector.index(chosen), candidate.name, candidate, chosen))
    if not ranked:
        return None
    _, _, candidate, chosen = min(ranked, key=lambda r: (r[0], r[1]))
    return candidate, chosen


def fix_hints(
    tag: TagFacts, needed: Sequence[Platform], siblings: Iterable[TagFacts]
) -> FixHints:
    """Hints for ``tag`` when the nodes with platforms ``needed`` cannot run it.

    ``siblings`` are the other tags of the same repository. Preference: an existing tag
    that already covers everything (the un-suffixed ``1.29.0`` next to ``1.29.0-amd64``),
    then a merge of per-arch tags, then a rebuild for what no tag provides.
    """
    needed = list(dict.fromkeys(needed))
    if not needed:
        return FixHints()
    siblings = list(siblings)
    arch_tag = read_arch_tag(tag.name)
    base = arch_tag[0] if arch_tag else tag.name
    use_instead = _existing_tag_covering(tag, base, needed, siblings) if arch_tag else None
    candidates, mislabelled = _checked_candidates(base, tag.name, siblings)
    sources: list[TagFacts] = []
    adds: list[Platform] = []
    uncovered: list[Platform] = []
    for node in needed:
        best = _best_source(node, candidates)
        if best is None:
            uncovered.append(node)
            continue
        source, chosen = best
        if source not in sources:
            sources.append(source)
        if chosen not in adds:
            adds.append(chosen)
    merge = None
    if sources:
        own = [tag] if tag.platforms else []
        target = base if arch_tag else tag.name
        merge = MergeHint(target, tuple(own + sources), tuple(adds), target != tag.name)
    # A rebuild is one build for every platform the swarm needs, merged ones included.
    rebuild = tuple(dict.fromkeys([*tag.platforms, *adds, *uncovered])) if uncovered else ()
    if use_instead is not None:
        merge, rebuild = None, ()
    return FixHints(use_instead, merge, rebuild, tuple(mislabelled))


def _existing_tag_covering(
    tag: TagFacts, base: str, needed: Sequence[Platform], siblings: Sequence[TagFacts]
) -> TagFacts | None:
    wanted = [*needed, *tag.platforms]
    for sibling in siblings:
        if sibling.name == base and all(_covers(sibling, p) for p in wanted):
            return sibling
    return None


def _covers(tag: TagFacts, platform: Platform) -> bool:
    """Does ``tag`` have an image a ``platform`` machine runs (natively or 32-bit compat)?"""
    return _runs_on(platform, tag.platforms) is not None


def merge_commands(host: str, repository: str, hint: MergeHint, *, plain_http: bool) -> list[str]:
    """The shell commands that make the merge by hand.

    ``docker manifest`` takes only single-platform sources ("is a manifest list" otherwise,
    docker/buildx#1509), so an index source needs ``buildx imagetools create``.
    """
    target = f"{host}/{repository}:{hint.target}"
    sources = [f"{host}/{repository}:{s.name}" for s in hint.sources]
    if any(s.is_index for s in hint.sources):
        return [shlex.join(["docker", "buildx", "imagetools", "create", "-t", target, *sources])]
    insecure = ["--insecure"] if plain_http else []
    amends = [part for source in sources for part in ("--amend", source)]
    return [
        shlex.join(["docker", "manifest", "create", *insecure, target, *amends]),
        shlex.join(["docker", "manifest", "push", *insecure, target]),
    ]


def rebuild_command(platforms: Sequence[Platform]) -> str:
    joined = ",".join(str(p) for p in platforms)
    return f"docker buildx build --platform {joined} --push …"
