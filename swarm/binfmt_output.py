"""Parse ``tonistiigi/binfmt`` output (pure, no I/O).

binfmt prints its status as indented JSON on stdout (``"emulators": null`` when none) and one
``installing: ARCH OK`` / ``installing: ARCH <error>`` line per architecture on stderr, in
random order. It exits 0 even when an install failed, so the stderr lines are the only way to
see a failure. ``docker run`` without ``-q`` puts pull progress before it all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

# tonistiigi/binfmt cmd/binfmt/config.go: install name (GOARCH) -> qemu binary.
# "loongarch64" was the key before "loong64"; both install qemu-loongarch64.
ARCH_EMULATORS: dict[str, str] = {
    "amd64": "qemu-x86_64",
    "arm64": "qemu-aarch64",
    "arm": "qemu-arm",
    "s390x": "qemu-s390x",
    "ppc64le": "qemu-ppc64le",
    "riscv64": "qemu-riscv64",
    "386": "qemu-i386",
    "mips64le": "qemu-mips64el",
    "mips64": "qemu-mips64",
    "loong64": "qemu-loongarch64",
    "loongarch64": "qemu-loongarch64",
}

# qemu binary -> the platforms BuildKit then reports as supported. qemu-arm runs both arm
# variants BuildKit probes (archutil checks v7 and v6).
EMULATOR_PLATFORMS: dict[str, tuple[str, ...]] = {
    "qemu-x86_64": ("linux/amd64",),
    "qemu-aarch64": ("linux/arm64",),
    "qemu-arm": ("linux/arm/v7", "linux/arm/v6"),
    "qemu-s390x": ("linux/s390x",),
    "qemu-ppc64le": ("linux/ppc64le",),
    "qemu-riscv64": ("linux/riscv64",),
    "qemu-i386": ("linux/386",),
    "qemu-mips64el": ("linux/mips64le",),
    "qemu-mips64": ("linux/mips64",),
    "qemu-loongarch64": ("linux/loong64",),
}

# log.Printf lines; SetFlags(0) means no timestamp, but tolerate a prefix anyway.
_ACTION_LINE = re.compile(
    r"\b(?P<action>installing|uninstalling): (?P<name>\S+)(?: (?P<rest>.*))?$"
)
_ERROR_LINE = re.compile(r"^error: (?P<error>.*)$")


@dataclass
class BinfmtStatus:
    supported: list[str] = field(default_factory=list)  # platforms BuildKit can run here
    emulators: list[str] = field(default_factory=list)  # enabled binfmt_misc entries
    extra: dict[str, str] = field(default_factory=dict)  # unknown keys, as JSON text

    @property
    def emulated_platforms(self) -> list[str]:
        return emulated_platforms(self.emulators)


@dataclass(frozen=True)
class InstallResult:
    arch: str  # as binfmt printed it: "arm64" for installs, "qemu-aarch64" for uninstalls
    ok: bool
    error: str = ""
    action: str = "install"  # or "uninstall"

    @property
    def emulator(self) -> str | None:
        if self.action == "uninstall":
            return self.arch
        return ARCH_EMULATORS.get(self.arch)

    @property
    def platform(self) -> str | None:
        """``linux/arm64`` for ``arm64``; None for an architecture binfmt does not know."""
        if self.action == "uninstall":
            platforms = emulated_platforms([self.arch])
            return platforms[0] if platforms else None
        if self.arch not in ARCH_EMULATORS:
            return None
        return "linux/loong64" if self.arch == "loongarch64" else f"linux/{self.arch}"

    @property
    def already_registered(self) -> bool:
        """binfmt reports this as an error, but the emulator is there all the same."""
        return not self.ok and self.error.endswith("already registered")


def _status_objects(text: str) -> list[dict[str, Any]]:
    """JSON objects in ``text`` that look like binfmt's status, wherever they start."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    index = text.find("{")
    while index >= 0:
        try:
            value, end = decoder.raw_decode(text, index)
        except ValueError:
            index = text.find("{", index + 1)
            continue
        if isinstance(value, dict) and ("supported" in value or "emulators" in value):
            found.append(value)
        index = text.find("{", end)
    return found


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def parse_binfmt(stdout: str) -> BinfmtStatus:
    """The status JSON of a binfmt run, found among pull progress or log lines.

    Raises ValueError when no ``{"supported": ..., "emulators": ...}`` object is there.
    """
    objects = _status_objects(stdout)
    if not objects:
        raise ValueError("not tonistiigi/binfmt output: no supported/emulators JSON object")
    status = objects[-1]  # binfmt prints once, at the end
    return BinfmtStatus(
        supported=_strings(status.get("supported")),
        emulators=_strings(status.get("emulators")),  # null when nothing is registered
        extra={k: json.dumps(v) for k, v in status.items() if k not in ("supported", "emulators")},
    )


def parse_install_log(stderr: str) -> list[InstallResult]:
    """One result per ``installing:``/``uninstalling:`` line, in the order printed."""
    results: list[InstallResult] = []
    for line in (raw.strip() for raw in stderr.split("\n")):
        match = _ACTION_LINE.search(line)
        if not match:
            continue
        rest = (match["rest"] or "").strip()
        results.append(
            InstallResult(
                arch=match["name"],
                ok=rest == "OK",
                error="" if rest == "OK" else rest,
                action="install" if match["action"] == "installing" else "uninstall",
            )
        )
    return results


def parse_errors(stderr: str) -> list[str]:
    """``error: ...`` lines: binfmt failed as a whole (e.g. binfmt_misc could not be mounted)."""
    errors: list[str] = []
    for line in (raw.strip() for raw in stderr.split("\n")):
        match = _ERROR_LINE.match(line)
        if match:
            errors.append(match["error"])
    return errors


def _emulator_name(entry: str) -> str:
    """``qemu-aarch64`` from a binfmt_misc entry, also one with ``$QEMU_BINARY_PREFIX``."""
    at = entry.find("qemu-")
    return entry[at:] if at >= 0 else entry


def emulated_platforms(emulators: list[str]) -> list[str]:
    """Platforms the registered qemu emulators add: ``["qemu-aarch64"]`` -> ``["linux/arm64"]``.

    Entries that are not binfmt's qemu emulators (``WSLInterop``, ``python3.11``...) add none.
    """
    platforms: list[str] = []
    for emulator in emulators:
        for platform in EMULATOR_PLATFORMS.get(_emulator_name(emulator), ()):
            if platform not in platforms:
                platforms.append(platform)
    return platforms
