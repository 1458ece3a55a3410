"""Finding the real outside components the tests use, and saying loudly when one is missing.

Outside CI a missing component skips the test with ``COMPONENT MISSING: ...``; with
``SWARMDECK_REQUIRE_COMPONENTS=1`` (set by ``.ci/run``) it fails the test instead, so a
green CI run can never hide a component that was not there.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from typing import NoReturn

import pytest

REQUIRE_ALL = os.environ.get("SWARMDECK_REQUIRE_COMPONENTS", "") == "1"
MISSING: dict[str, str] = {}


def component_missing(component: str, why: str) -> NoReturn:
    MISSING.setdefault(component, why)
    message = f"COMPONENT MISSING: {component}: {why}"
    if REQUIRE_ALL:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def need_executable(component: str, *candidates: str, package: str = "") -> str:
    """The first candidate that exists (absolute path or name on PATH)."""
    for candidate in candidates:
        found = candidate if Path(candidate).is_file() else shutil.which(candidate)
        if found and os.access(found, os.X_OK):
            return found
    hint = f" (apt-get install {package})" if package else ""
    component_missing(component, f"none of {', '.join(candidates)} found{hint}")


def need_root(component: str) -> None:
    if os.geteuid() != 0:
        component_missing(component, "needs root")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False
