"""swarmdeck as a user runs it, for browser tests: ``manage.py serve`` (daphne + the
django-q2 worker) in a child process, on the file-based test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.components import free_port

ROOT = Path(__file__).resolve().parents[1]


class LiveServer:
    def __init__(self, database: str, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database = database
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(os.environ["SWARMDECK_DATA_DIR"]) / f"live-{self.port}.log"

    def start(self, timeout: float = 30.0) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            "SWARMDECK_SQLITE_PATH": self.database,
            "SWARMDECK_PORT": str(self.port),
            "SWARMDECK_HOST": "127.0.0.1",
            **self.extra_env,
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "serve"], cwd=ROOT, env=env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"live server exited early:\n{self.log_text()}")
            try:
                urllib.request.urlopen(f"{self.url}/login/", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"live server did not answer within {timeout}s:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=5)
