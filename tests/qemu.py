"""QEMU user emulation for tests: Debian's qemu-user-static handlers registered through
binfmt_misc (the way `tonistiigi/binfmt --install` does, without a privileged container),
and an arm64 static busybox to put in real arm64 images."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.components import component_missing, need_root

BINFMT = Path("/proc/sys/fs/binfmt_misc")
BINFMT_CONFS = Path("/usr/lib/binfmt.d")
ARM64_BUSYBOX = Path("/var/cache/swarmdeck-tests/busybox-arm64")  # scripts/provision-test-host.sh


def ensure_binfmt_mounted() -> None:
    if (BINFMT / "register").exists():
        return
    need_root("binfmt_misc")
    result = subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        component_missing("binfmt_misc", f"cannot mount it: {result.stderr.strip()}")


def register_handler(name: str) -> bool:
    """Register /usr/lib/binfmt.d/<name>.conf; True if we did (False: it was there)."""
    ensure_binfmt_mounted()
    if (BINFMT / name).exists():
        return False
    conf = BINFMT_CONFS / f"{name}.conf"
    if not conf.exists():
        component_missing("qemu-user-static",
                          f"{conf} not found (apt-get install qemu-user-static)")
    (BINFMT / "register").write_text(conf.read_text().strip())
    return True


def unregister_handler(name: str) -> None:
    entry = BINFMT / name
    if entry.exists():
        entry.write_text("-1")


@pytest.fixture(scope="session")
def qemu_arm64() -> Iterator[None]:
    """QEMU handlers for arm64 and 32-bit arm, registered for the session (and removed
    afterwards if they were not registered before)."""
    added = [name for name in ("qemu-aarch64", "qemu-arm") if register_handler(name)]
    yield
    for name in added:
        unregister_handler(name)


@pytest.fixture(scope="session")
def busybox_arm64() -> str:
    if not os.access(ARM64_BUSYBOX, os.X_OK):
        component_missing("busybox-static:arm64",
                          f"{ARM64_BUSYBOX} missing (run `make test` as root to fetch it)")
    return str(ARM64_BUSYBOX)
