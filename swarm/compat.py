"""Can a node run an image, and will Swarm put it there? Pure, no I/O.

Swarm's scheduler and the node's image pull follow different rules (DOMAIN.md sections 2-3),
so swarmdeck computes both answers per service x node and warns where they disagree: that is
where a task dies at pull, dies with ``exec format error``, or sits pending.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from swarm.platforms import (
    Platform,
    Support,
    explain_support,
    native_support,
    normalized,
    platform_vector,
    swarm_filter_allows,
    swarm_platform_matches,
)

# Swarm's platformEqual maps only these raw architectures (moby/swarmkit scheduler/filter.go).
_SWARM_ALIASES = {"x86_64": "amd64", "aarch64": "arm64"}


class Level(StrEnum):
    NATIVE = "native"
    COMPAT32 = "32-bit compat"
    EMULATED = "emulated"
    CANNOT = "cannot run"
    UNKNOWN = "unknown"


_LEVEL_OF_SUPPORT = {Support.NATIVE: Level.NATIVE, Support.COMPAT32: Level.COMPAT32}
RUNNABLE = frozenset({Level.NATIVE, Level.COMPAT32, Level.EMULATED})


@dataclass(frozen=True)
class Node:
    """A swarm node as far as platforms go.

    ``raw_arch`` is the node's ``uname -m`` exactly as Swarm reports it (Swarm's filter
    compares it, not the normalised platform). ``emulated`` holds the platforms binfmt has
    handlers for; None means nobody looked, which is not the same as "none".
    """

    name: str
    platform: Platform
    raw_arch: str = ""
    emulated: frozenset[Platform] | None = None

    @classmethod
    def from_swarm(
        cls, name: str, os: str, arch: str, emulated: Iterable[Platform] | None = None
    ) -> Node:
        """From ``Description.Platform`` (``OS``, ``Architecture``); ValueError if arch unknown."""
        platform = Platform.from_uname(arch, os or "linux")
        emulators = None if emulated is None else frozenset(normalized(p) for p in emulated)
        return cls(name, platform, arch, emulators)

    @property
    def swarm_arch(self) -> str:
        return self.raw_arch or self.platform.architecture

    @property
    def label(self) -> str:
        """``laptop (amd64)``: how warnings name the node."""
        return f"{self.name} ({self.platform.arch_variant})"

    def describe(self) -> str:
        """``aarch64 -> linux/arm64``: the raw architecture is what users see in ``uname``."""
        if self.raw_arch and self.raw_arch != self.platform.architecture:
            return f"{self.raw_arch} -> {self.platform}"
        return str(self.platform)


@dataclass(frozen=True)
class RunVerdict:
    """What the node can really do with the image; ``platform`` is the one it would use."""

    level: Level
    platform: Platform | None
    reason: str
    image_is_index: bool = False

    @property
    def runnable(self) -> bool:
        return self.level in RUNNABLE


@dataclass(frozen=True)
class SwarmVerdict:
    """What Swarm's scheduler allows; ``matched`` is the service entry that let the node in."""

    allowed: bool
    matched: tuple[str, str] | None
    reason: str


@dataclass(frozen=True)
class Placement:
    swarm: SwarmVerdict
    run: RunVerdict
    warning: str | None


def real_platforms(image_platforms: Iterable[Platform]) -> list[Platform]:
    """Normalised, deduplicated, in index order, attestations (``unknown/unknown``) dropped."""
    seen: dict[Platform, None] = {}
    for platform in image_platforms:
        if not platform.is_attestation:
            seen.setdefault(normalized(platform), None)
    return list(seen)


def _join(platforms: Iterable[Platform]) -> str:
    return ", ".join(str(p) for p in platforms)


def _best_native(node: Node, images: Sequence[Platform]) -> Platform | None:
    # containerd prefers the node's platformVector order, not the index order.
    return next((p for p in platform_vector(node.platform) if p in images), None)


def _emulator_for(node: Node, image: Platform) -> Platform | None:
    # An emulator is a virtual CPU of one architecture, any variant (QEMU's default "max"
    # CPU covers arm/v8 and amd64/v3). It has no 32-bit compat mode: qemu-x86_64 does not
    # run 386, binfmt registers qemu-i386 separately as linux/386.
    if image.os != node.platform.os:
        return None
    emulators = sorted(node.emulated or ())
    return next((e for e in emulators if e.architecture == image.architecture), None)


def _best_emulated(node: Node, images: Sequence[Platform]) -> Platform | None:
    return next((p for p in images if _emulator_for(node, p) is not None), None)


def _emulation_candidates(node: Node, images: Sequence[Platform]) -> list[Platform]:
    """Images an emulator could rescue: same OS, an architecture the node's CPU lacks."""
    own_archs = {p.architecture for p in platform_vector(node.platform)}
    return [p for p in images if p.os == node.platform.os and p.architecture not in own_archs]


def _arches(platforms: Iterable[Platform]) -> str:
    return " or ".join(dict.fromkeys(p.arch_variant for p in platforms))


def _cannot_clauses(node: Node, images: Sequence[Platform]) -> list[str]:
    """Why none of ``images`` runs on ``node``, one clause per kind of mismatch."""
    clauses: list[str] = []
    own_archs = {p.architecture for p in platform_vector(node.platform)}
    foreign_os = [p for p in images if p.os != node.platform.os]
    if foreign_os:
        clauses.append(f"the node runs {node.platform.os}, not {_join(foreign_os)}")
    same_arch = [p for p in images if p not in foreign_os and p.architecture in own_archs]
    clauses += [explain_support(node.platform, p) for p in same_arch]
    candidates = _emulation_candidates(node, images)
    if candidates and node.emulated is None:
        clauses.append(f"it is unknown whether an emulator for {_arches(candidates)} is registered")
    elif candidates:
        clauses.append(f"no emulator for {_arches(candidates)} is registered")
    return clauses


def _index_defeats_emulation(image: Platform) -> str:
    return (
        f"an emulator for {image.arch_variant} is registered, but from a multi-platform "
        "index Swarm pulls only the node's own platforms, so the pull fails"
    )


def run_verdict(
    node: Node, image_platforms: Sequence[Platform] | None, *, image_is_index: bool = False
) -> RunVerdict:
    """Can ``node`` run an image with these platforms? Best match: native > compat > emulated.

    ``image_platforms`` None means the image was not inspected (UNKNOWN). Set
    ``image_is_index`` for a multi-platform index: Swarm's agent pulls it without
    ``--platform``, so only the node's own platformVector is eligible and an emulator does
    not help. A single-platform manifest is pulled whatever its platform, so it can run
    emulated (or die with ``exec format error``).
    """
    if image_platforms is None:
        return RunVerdict(Level.UNKNOWN, None, "the image's platforms are unknown", image_is_index)
    images = real_platforms(image_platforms)
    node_is = f"node is {node.describe()}"
    if not images:
        reason = f"image lists no runnable platform (only attestations); {node_is}"
        return RunVerdict(Level.CANNOT, None, reason, image_is_index)
    has = f"image has {_join(images)}; {node_is}"
    native = _best_native(node, images)
    if native is not None:
        level = _LEVEL_OF_SUPPORT[native_support(node.platform, native)]
        return RunVerdict(level, native, has + _usage(node, native, level), image_is_index)
    emulated = _best_emulated(node, images)
    if emulated is not None and not image_is_index:
        return RunVerdict(Level.EMULATED, emulated, has + _usage(node, emulated, Level.EMULATED))
    only = f"image has only {_join(images)}; {node_is}"
    clauses = _cannot_clauses(node, images)
    if emulated is not None:
        clauses = [_index_defeats_emulation(emulated)]
    return RunVerdict(Level.CANNOT, None, _join_clauses(only, clauses), image_is_index)


def _usage(node: Node, chosen: Platform, level: Level) -> str:
    if level is Level.NATIVE:
        return "" if chosen == node.platform else f": runs {chosen} natively"
    if level is Level.COMPAT32:
        return f": runs {chosen} in 32-bit compat mode"
    return f": runs {chosen} under emulation (slowly)"


def _join_clauses(head: str, clauses: Sequence[str]) -> str:
    # "and no emulator ..." reads naturally after "node is ..."; other clauses follow a colon.
    if len(clauses) == 1 and clauses[0].startswith(("no emulator", "it is unknown")):
        return f"{head} and {clauses[0]}"
    return f"{head}: {'; '.join(clauses)}" if clauses else head


def run_verdicts(
    nodes: Iterable[Node],
    image_platforms: Sequence[Platform] | None,
    *,
    image_is_index: bool = False,
) -> dict[str, RunVerdict]:
    """``run_verdict`` for every node, keyed by node name."""
    return {
        node.name: run_verdict(node, image_platforms, image_is_index=image_is_index)
        for node in nodes
    }


def _entry(entry: tuple[str, str]) -> str:
    os, arch = entry
    return f"{os or '*'}/{arch or '*'}"


def _raw_arch_hint(node: Node, service_platforms: Sequence[tuple[str, str]]) -> str:
    """Point out a refusal caused only by Swarm comparing the raw uname string."""
    raw = node.swarm_arch
    if _SWARM_ALIASES.get(raw, raw) == node.platform.architecture:
        return ""
    if all(arch != node.platform.architecture for _, arch in service_platforms):
        return ""
    return f" (Swarm compares the raw architecture {raw!r} and maps only x86_64 and aarch64)"


def swarm_verdict(node: Node, service_platforms: Sequence[tuple[str, str]]) -> SwarmVerdict:
    """swarm_filter_allows with the entry that matched and a reason for the dashboard.

    ``service_platforms`` are ``(os, architecture)`` pairs from
    ``Spec.TaskTemplate.Placement.Platforms``.
    """
    node_os, raw = node.platform.os, node.swarm_arch
    if not service_platforms:
        reason = "the service has no platform list, so Swarm allows every node"
        return SwarmVerdict(True, None, reason)
    if not swarm_filter_allows(node_os, raw, service_platforms):
        entries = ", ".join(_entry(e) for e in service_platforms)
        reason = f"the service lists only {entries}, none matching {node_os}/{raw}"
        return SwarmVerdict(False, None, reason + _raw_arch_hint(node, service_platforms))
    matched = next(e for e in service_platforms if swarm_platform_matches(node_os, raw, *e))
    if not matched[1]:
        reason = f"the service lists {_entry(matched)} (architecture blanked), matching any arch"
        return SwarmVerdict(True, matched, reason)
    return SwarmVerdict(True, matched, f"the service lists {_entry(matched)}, matching {raw}")


def _failure(node: Node, run: RunVerdict) -> str:
    if run.image_is_index:
        return "the task will fail at pull"
    if node.emulated is None:
        return "the task will fail with exec format error unless an emulator is registered"
    return "the task will fail with exec format error"


def placement_warning(node: Node, swarm: SwarmVerdict, run: RunVerdict) -> str | None:
    """The warning where Swarm and the node disagree; None where they agree or run is unknown."""
    if swarm.allowed and run.level is Level.CANNOT:
        return (
            f"Swarm may place this on {node.label} but the image has no {node.platform}: "
            f"{_failure(node, run)}"
        )
    if not swarm.allowed and run.runnable:
        return (
            f"Swarm will not place this on {node.label}: {swarm.reason}, "
            f"although the node can run {run.platform} ({run.level})"
        )
    return None


def check_placement(
    node: Node,
    service_platforms: Sequence[tuple[str, str]],
    image_platforms: Sequence[Platform] | None,
    *,
    image_is_index: bool = False,
) -> Placement:
    """Both answers for one service x node, plus the warning if they disagree."""
    swarm = swarm_verdict(node, service_platforms)
    run = run_verdict(node, image_platforms, image_is_index=image_is_index)
    return Placement(swarm, run, placement_warning(node, swarm, run))


def placement_warnings(placements: Mapping[str, Placement]) -> list[str]:
    """The warnings of many placements (keyed by node name), in node-name order."""
    return [p.warning for _, p in sorted(placements.items()) if p.warning]
