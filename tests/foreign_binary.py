"""Real foreign programs for images the amd64 test engine cannot run: tiny static ELFs that
call exit(0), for arm64 and riscv64. Built here because nothing may be downloaded and
Debian's busybox-static is the host's architecture. Without a QEMU binfmt handler for their
architecture an amd64 kernel refuses them with "exec format error", which is exactly what a
mis-placed task dies of."""

from __future__ import annotations

import struct
from pathlib import Path

BASE = 0x400000
_EHDR_SIZE, _PHDR_SIZE = 64, 56
# (e_machine, the three instructions of exit(0)) per architecture.
PROGRAMS = {
    # mov x0, #0 ; mov x8, #93 (exit) ; svc #0
    "arm64": (183, struct.pack("<3I", 0xD2800000, 0xD2800BA8, 0xD4000001)),
    # li a0, 0 ; li a7, 93 (exit) ; ecall
    "riscv64": (243, struct.pack("<3I", 0x00000513, 0x05D00893, 0x00000073)),
}
BINFMT_NAMES = {"arm64": "qemu-aarch64", "riscv64": "qemu-riscv64"}


def exit_zero(arch: str) -> bytes:
    machine, code = PROGRAMS[arch]
    entry = BASE + _EHDR_SIZE + _PHDR_SIZE
    size = _EHDR_SIZE + _PHDR_SIZE + len(code)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)  # 64-bit, little-endian, SysV
    header = ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, entry, _EHDR_SIZE, 0, 0,
                                 _EHDR_SIZE, _PHDR_SIZE, 1, 0, 0, 0)
    program = struct.pack("<IIQQQQQQ", 1, 5, 0, BASE, BASE, size, size, 0x1000)  # PT_LOAD, R+X
    return header + program + code


def write_exit_zero(arch: str, path: Path) -> Path:
    path.write_bytes(exit_zero(arch))
    path.chmod(0o755)
    return path


def emulator_registered(arch: str) -> bool:
    """Whether this kernel would run the program anyway, through a QEMU binfmt handler
    (binfmt_misc is kernel-wide: another test, or the host, may have registered one)."""
    folder = Path("/proc/sys/fs/binfmt_misc")
    try:
        return any(entry.name.startswith(BINFMT_NAMES[arch])
                   and entry.read_text().startswith("enabled")
                   for entry in folder.iterdir())
    except OSError:
        return False
