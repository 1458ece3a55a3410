"""QEMU emulation on the build host: what is wanted, what is missing, what vanished (pure).

binfmt_misc handlers are lost on every reboot (tonistiigi/binfmt#75, #85), so the builders
page compares what it sees now with what it saw before: an emulator that was registered
and is gone is the usual reason an arm build suddenly fails with ``exec format error``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from swarm.binfmt_output import ARCH_EMULATORS, EMULATOR_PLATFORMS, emulated_platforms
from swarm.buildx_argv import ALL_PLATFORMS, binfmt_platforms
from swarm.platforms import Platform


def wanted_platforms(install: str) -> list[str]:
    """The platforms ``binfmt --install <install>`` provides: ``arm`` gives arm/v7 and v6."""
    value = binfmt_platforms(install)
    names = list(ARCH_EMULATORS) if value == ALL_PLATFORMS else value.split(",")
    platforms: list[str] = []
    for name in names:
        for platform in EMULATOR_PLATFORMS[ARCH_EMULATORS[name]]:
            if platform not in platforms:
                platforms.append(platform)
    return platforms


def _normalised(platform: str) -> str:
    try:
        return str(Platform.parse(platform))
    except ValueError:
        return platform


def missing_platforms(supported: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """Wanted platforms the host cannot run yet (natively or through a handler)."""
    have = {_normalised(p) for p in supported}
    return [p for p in wanted if _normalised(p) not in have]


def is_emulator(name: str) -> bool:
    """A binfmt_misc entry that is one of binfmt's QEMU emulators (not WSLInterop, python...)."""
    return bool(emulated_platforms([name]))


@dataclass(frozen=True)
class BinfmtEntry:
    """One file of /proc/sys/fs/binfmt_misc."""

    name: str
    enabled: bool
    interpreter: str = ""
    flags: str = ""


def parse_binfmt_entry(name: str, text: str) -> BinfmtEntry:
    """``enabled``/``disabled`` on the first line, then ``interpreter PATH``, ``flags: F``..."""
    lines = [line.strip() for line in text.splitlines()]
    values: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(" ")
        values[key.rstrip(":")] = value.strip()
    return BinfmtEntry(
        name=name,
        enabled=bool(lines) and lines[0] == "enabled",
        interpreter=values.get("interpreter", ""),
        flags=values.get("flags", ""),
    )


@dataclass
class EmulatorChanges:
    appeared: list[str] = field(default_factory=list)  # registered now, not before
    vanished: list[str] = field(default_factory=list)  # registered before, gone now
    still: list[str] = field(default_factory=list)


def compare_emulators(known: Mapping[str, bool], registered: Iterable[str]) -> EmulatorChanges:
    """``known`` maps each emulator ever seen to whether it was registered last time."""
    now = {name for name in registered if is_emulator(name)}
    changes = EmulatorChanges()
    for name in sorted(now):
        (changes.still if known.get(name) else changes.appeared).append(name)
    changes.vanished = sorted(name for name, was in known.items() if was and name not in now)
    return changes
