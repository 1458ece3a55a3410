"""Reading the build host's /proc/sys/fs/binfmt_misc (I/O; the parsing is in emulation.py).

Only meaningful when swarmdeck runs on the build host, i.e. the engine is on a local
socket. A folder without its ``register`` file is binfmt_misc not mounted here (a container,
or a host without systemd's automount): then nothing can be said, which is different from
"no emulators".
"""

from __future__ import annotations

from pathlib import Path

from swarm.builder_settings import binfmt_misc_dir
from swarm.emulation import BinfmtEntry, is_emulator, parse_binfmt_entry

_CONTROL_FILES = frozenset({"register", "status"})


def read_binfmt_misc(folder: Path | None = None) -> list[BinfmtEntry] | None:
    """Every handler in the folder, or None when binfmt_misc is not mounted there."""
    folder = folder or binfmt_misc_dir()
    if not (folder / "register").exists():
        return None
    entries: list[BinfmtEntry] = []
    try:
        paths = sorted(folder.iterdir())
    except OSError:
        return None
    for path in paths:
        if path.name in _CONTROL_FILES:
            continue
        try:
            entries.append(parse_binfmt_entry(path.name, path.read_text(errors="replace")))
        except OSError:  # removed while we read the folder
            continue
    return entries


def registered_emulators(folder: Path | None = None) -> list[str] | None:
    """Names of the enabled QEMU handlers (``qemu-aarch64``...), None when not visible."""
    entries = read_binfmt_misc(folder)
    if entries is None:
        return None
    return [entry.name for entry in entries if entry.enabled and is_emulator(entry.name)]
