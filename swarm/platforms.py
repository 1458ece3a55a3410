"""Platforms (``os/arch[/variant]``) and what runs where: pure, no I/O.

Two different rule sets live here on purpose:

* containerd's (``containerd/platforms`` ``database.go`` ``normalizeArch`` and ``compare.go``
  ``platformVector``): what a machine can really pull and run;
* Swarm's (``moby/swarmkit`` ``manager/scheduler/filter.go`` ``PlatformFilter``): where the
  scheduler is willing to place a task. It normalises far less, so the two disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# containerd's specifierRe: one path component of a platform specifier.
_COMPONENT = re.compile(r"[A-Za-z0-9_.-]+")
_DIGITS = re.compile(r"[0-9]+")

# uname strings containerd leaves alone but a node's `uname -m` reports (DOMAIN.md section 2).
_UNAME_ONLY: dict[str, tuple[str, str]] = {
    "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "i686": ("386", ""),
}

# Every `uname -m` value from_uname accepts, beyond what normalize_arch already maps.
# Where uname names the CPU generation it fixes the variant, whatever was passed.
_UNAME_MACHINES: dict[str, tuple[str, str]] = {
    "x86_64": ("amd64", ""),
    "x86-64": ("amd64", ""),
    "amd64": ("amd64", ""),
    "aarch64": ("arm64", ""),
    "arm64": ("arm64", ""),
    "armv8l": ("arm", "v8"),  # 32-bit userland on an ARMv8 CPU
    "armv7l": ("arm", "v7"),
    "armv7": ("arm", "v7"),
    "armhf": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "armel": ("arm", "v6"),
    "armv5tel": ("arm", "v5"),
    "armv5tejl": ("arm", "v5"),
    "armv5l": ("arm", "v5"),
    "i386": ("386", ""),
    "i486": ("386", ""),
    "i586": ("386", ""),
    "i686": ("386", ""),
    "ppc64le": ("ppc64le", ""),
    "ppc64": ("ppc64", ""),
    "s390x": ("s390x", ""),
    "riscv64": ("riscv64", ""),
    "loongarch64": ("loong64", ""),
}

ATTESTATION_OS = "unknown"
ATTESTATION_ARCH = "unknown"


def normalize_os(os: str) -> str:
    """containerd's normalizeOS, minus its "empty means this host" default (we have no host)."""
    os = os.lower()
    return "darwin" if os == "macos" else os


def normalize_arch(arch: str, variant: str) -> tuple[str, str]:
    """containerd's normalizeArch, plus the uname strings it does not map.

    Dropping amd64 ``v1`` and arm64 ``v8`` matters: images are published as ``linux/arm64``,
    and a node described as ``arm64/v8`` must still compare equal to it.
    """
    arch, variant = arch.lower(), variant.lower()
    if arch in _UNAME_ONLY:
        return _UNAME_ONLY[arch]
    match arch:
        case "i386":
            return "386", ""
        case "x86_64" | "x86-64" | "amd64":
            return "amd64", "" if variant == "v1" else variant
        case "aarch64" | "arm64":
            return "arm64", _normalize_arm64_variant(variant)
        case "armhf":
            return "arm", "v7"
        case "armel":
            return "arm", "v6"
        case "arm":
            return "arm", _normalize_arm_variant(variant)
    return arch, variant


def _normalize_arm64_variant(variant: str) -> str:
    if variant in ("8", "v8", "v8.0"):
        return ""
    if variant in ("9", "9.0", "v9.0"):
        return "v9"
    return variant


def _normalize_arm_variant(variant: str) -> str:
    # A bare "arm" means ARMv7: that is what every registry's "arm" image is built for.
    if variant in ("", "7"):
        return "v7"
    if variant in ("5", "6", "8"):
        return "v" + variant
    return variant


def _clean_component(value: str, what: str, source: str) -> str:
    if not value:
        raise ValueError(f"invalid platform {source!r}: empty {what}")
    if not _COMPONENT.fullmatch(value):
        raise ValueError(
            f"invalid platform {source!r}: {what} {value!r} may only hold "
            "letters, digits, '_', '.' or '-'"
        )
    return value


@dataclass(frozen=True, order=True)
class Platform:
    """A normalised platform. Build it with ``parse``/``from_uname``/``from_oci`` to normalise."""

    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base

    @property
    def arch_variant(self) -> str:
        """``arm/v7``, ``amd64``: the platform without its OS, for short labels."""
        return f"{self.architecture}/{self.variant}" if self.variant else self.architecture

    @property
    def is_attestation(self) -> bool:
        """buildx provenance/SBOM entries use ``unknown/unknown``: they are not platforms."""
        return self.os == ATTESTATION_OS and self.architecture == ATTESTATION_ARCH

    @classmethod
    def create(cls, os: str, architecture: str, variant: str = "", *, source: str = "") -> Platform:
        """Validate and normalise the three parts (``source`` names the input in errors)."""
        source = source or "/".join(part for part in (os, architecture, variant) if part)
        os = _clean_component(os, "OS", source)
        architecture = _clean_component(architecture, "architecture", source)
        variant = variant and _clean_component(variant, "variant", source)
        arch, var = normalize_arch(architecture, variant)
        return cls(normalize_os(os), arch, var)

    @classmethod
    def parse(cls, text: str) -> Platform:
        """Parse ``os/arch[/variant]``; a bare architecture is refused (the OS is never implied).

        Only the whole text is trimmed: whitespace inside (``linux / amd64``) is an error.
        """
        if not isinstance(text, str):
            raise ValueError(f"invalid platform {text!r}: not a string")
        parts = text.strip().split("/")
        if len(parts) not in (2, 3):
            raise ValueError(f"invalid platform {text!r}: expected os/arch[/variant]")
        if len(parts) == 3 and not parts[2]:
            raise ValueError(f"invalid platform {text!r}: empty variant")
        os, architecture, *rest = parts
        return cls.create(os, architecture, rest[0] if rest else "", source=text)

    @classmethod
    def from_uname(cls, machine: str, os: str = "linux") -> Platform:
        """The platform of a node whose ``uname -m`` is ``machine`` (Swarm's node Architecture)."""
        key = machine.strip().lower()
        if key not in _UNAME_MACHINES:
            raise ValueError(f"unknown machine architecture {machine!r}")
        arch, variant = _UNAME_MACHINES[key]
        return cls.create(os, arch, variant, source=f"{os}/{machine}")

    @classmethod
    def from_oci(cls, platform: Mapping[str, Any]) -> Platform:
        """From an OCI index / Docker manifest list ``platform`` object or an image config.

        Other keys (``os.version``, ``os.features``, ``features``) are ignored.
        """
        os = _oci_string(platform, "os")
        architecture = _oci_string(platform, "architecture")
        variant = _oci_string(platform, "variant")
        return cls.create(os, architecture, variant)


def _oci_string(platform: Mapping[str, Any], key: str) -> str:
    value = platform.get(key) or ""
    if not isinstance(value, str):
        raise ValueError(f"invalid OCI platform {dict(platform)!r}: {key} is not a string")
    return value


def normalized(platform: Platform) -> Platform:
    """Normalise a Platform built directly with the constructor (idempotent)."""
    arch, variant = normalize_arch(platform.architecture, platform.variant)
    return Platform(normalize_os(platform.os), arch, variant)


class Support(StrEnum):
    """How a machine runs an image platform without emulation."""

    NATIVE = "native"
    # amd64 -> 386 and arm64 -> arm/*: both go through the CPU's 32-bit mode, which needs
    # kernel support (CONFIG_IA32_EMULATION, CONFIG_COMPAT) and, on arm64, AArch32 in the
    # CPU, which many arm64 server CPUs lack. Every Raspberry Pi has it, but the dashboard
    # should still say "32-bit compat" rather than promise "native".
    COMPAT32 = "32-bit compat"
    NONE = "none"


def _numeric_variant(variant: str) -> int | None:
    digits = variant.removeprefix("v")
    return int(digits) if _DIGITS.fullmatch(digits) else None


def _amd64_vector(node: Platform) -> list[Platform]:
    level = _numeric_variant(node.variant)
    lower = range(level - 1, 0, -1) if level is not None and level > 1 else range(0)
    levels = [Platform(node.os, "amd64", f"v{n}") for n in lower]
    return [node, *levels, Platform(node.os, "386")]


def _arm_vector(node: Platform) -> list[Platform]:
    version = _numeric_variant(node.variant)
    lower = range(version - 1, 4, -1) if version is not None and version > 5 else range(0)
    return [node, *(Platform(node.os, "arm", f"v{n}") for n in lower)]


def _arm64_versions(variant: str) -> tuple[list[str], str]:
    """arm64 variants below ``variant`` (best first), and the arm/* variant to fall back to."""
    variant = variant or "v8"
    major_text, _, minor_text = variant.partition(".")
    major = _numeric_variant(major_text)
    if major is None or major < 8:
        return [], variant
    # containerd only reads a minor from 4-character variants such as "v8.2".
    minor = int(minor_text) if len(variant) == 4 and _DIGITS.fullmatch(minor_text) else 0
    lower: list[str] = []
    if major == 9:
        lower += [f"v9.{m}" if m else "v9" for m in range(minor - 1, -1, -1)]
        # v9.0 diverged from v8.5, so v9.x also runs v8.{x+5}.
        major, minor = 8, minor + 5
        lower.append(f"v8.{minor}")
    lower += [f"v{major}.{m}" if m else f"v{major}" for m in range(minor - 1, -1, -1)]
    arm_variant = "v8" if variant.startswith(("v8.", "v9.")) else variant
    return lower, arm_variant


def _arm64_vector(node: Platform) -> list[Platform]:
    lower, arm_variant = _arm64_versions(node.variant)
    own = [node, *(Platform(node.os, "arm64", v) for v in lower)]
    return own + _arm_vector(Platform(node.os, "arm", arm_variant))


def platform_vector(node: Platform) -> list[Platform]:
    """containerd's platformVector: what ``node`` pulls without ``--platform``, best first.

    Entries are normalised, so they compare equal to normalised image platforms.
    """
    node = normalized(node)
    match node.architecture:
        case "amd64":
            vector = _amd64_vector(node)
        case "arm":
            vector = _arm_vector(node)
        case "arm64":
            vector = _arm64_vector(node)
        case _:
            vector = [node]
    return [normalized(p) for p in vector]


def native_support(node: Platform, image: Platform) -> Support:
    """Whether ``node`` runs ``image`` without an emulator, per containerd's platformVector.

    Another variant of the node's own architecture (arm/v6 on arm/v7) is NATIVE; another
    architecture reached through the vector (386 on amd64, arm/* on arm64) is COMPAT32.
    """
    node, image = normalized(node), normalized(image)
    if image not in platform_vector(node):
        return Support.NONE
    if image.architecture == node.architecture:
        return Support.NATIVE
    return Support.COMPAT32


def _micro_arch_level(image: Platform) -> int | None:
    level = _numeric_variant(image.variant) if image.architecture == "amd64" else None
    return level if level is not None and level > 1 else None


def explain_support(node: Platform, image: Platform) -> str:
    """A short clause saying why ``native_support`` answered what it did."""
    node, image = normalized(node), normalized(image)
    support = native_support(node, image)
    if support is Support.NATIVE:
        return f"{node} runs {image} natively"
    if support is Support.COMPAT32:
        return f"{node} runs {image} in 32-bit compat mode"
    if image.os != node.os:
        return f"{image} is a {image.os} image and the node runs {node.os}"
    level = _micro_arch_level(image)
    if level is not None and node.architecture == "amd64":
        return (
            f"{image} needs amd64 micro-architecture level v{level}, which Docker never "
            "detects, so only plain amd64 images are selected"
        )
    return f"{node} cannot run {image}"


def _swarm_arch(arch: str) -> str:
    # The only two aliases swarmkit's platformEqual knows; "armv7l" stays "armv7l".
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(arch, arch)


def swarm_platform_matches(node_os: str, node_arch_raw: str, os: str, arch: str) -> bool:
    """swarmkit's platformEqual for one service entry: exact, case-sensitive comparison."""
    arch_ok = arch == "" or _swarm_arch(arch) == _swarm_arch(node_arch_raw)
    os_ok = os == "" or os == node_os
    return arch_ok and os_ok


def swarm_filter_allows(
    node_os: str, node_arch_raw: str, service_platforms: Sequence[tuple[str, str]]
) -> bool:
    """swarmkit's PlatformFilter: may a task of this service be placed on this node?

    ``service_platforms`` holds ``(os, architecture)`` pairs from
    ``Spec.TaskTemplate.Placement.Platforms``; an empty list allows every node.
    """
    if not service_platforms:
        return True
    return any(
        swarm_platform_matches(node_os, node_arch_raw, os, arch) for os, arch in service_platforms
    )
