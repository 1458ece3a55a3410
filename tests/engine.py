"""An isolated Docker Engine for tests: its own dockerd, data-root, exec-root, pidfile,
socket and containerd namespace in a temp folder, never the machine's own engine.

Use the ``swarm_engine`` fixture (session-wide, in swarm mode) or ``plain_engine`` (not in
a swarm). Both give an :class:`IsolatedEngine`; ``engine.docker(...)`` runs the Debian
docker CLI against it and ``engine.host`` is its ``DOCKER_HOST``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from tests.components import free_port

# The Debian 20.10 CLI: a newer `docker` earlier on PATH refuses BuildKit builds without
# buildx, and tests must never pick up a client that talks to another engine by default.
DEBIAN_DOCKER = "/usr/bin/docker"


class EngineStartError(RuntimeError):
    pass


class IsolatedEngine:
    def __init__(self, dockerd: str) -> None:
        self.dockerd = dockerd
        # Unix socket paths are limited to 108 bytes: keep the folder short.
        self.root = Path(tempfile.mkdtemp(prefix="sd-", dir="/tmp"))
        self.socket = self.root / "docker.sock"
        self.host = f"unix://{self.socket}"
        # containerd namespaces allow [A-Za-z0-9] runs joined by single . _ or -: a temp
        # folder's random suffix ("sd-_x") would not always be valid.
        self.namespace = f"swarmdeck-test-{uuid.uuid4().hex[:12]}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.root / "dockerd.log"
        self.swarm_port: int | None = None

    def start(self, timeout: float = 40.0) -> None:
        config = self.root / "daemon.json"
        # An empty config file keeps /etc/docker/daemon.json (if any) out of the tests.
        config.write_text(json.dumps({}))
        argv = [
            self.dockerd,
            "--config-file", str(config),
            "--data-root", str(self.root / "data"),
            "--exec-root", str(self.root / "exec"),
            "--pidfile", str(self.root / "dockerd.pid"),
            "-H", self.host,
            "--bridge=none",
            "--iptables=false",
            "--ip6tables=false",
            "--containerd-namespace", self.namespace,
            "--containerd-plugins-namespace", f"{self.namespace}-plugins",
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EngineStartError(f"dockerd exited early:\n{self.log_tail()}")
            if self.socket.exists() and self.docker("version", check=False).returncode == 0:
                return
            time.sleep(0.2)
        self.stop()
        raise EngineStartError(f"dockerd did not answer within {timeout}s:\n{self.log_tail()}")

    def init_swarm(self) -> None:
        self.swarm_port = free_port()
        self.docker(
            "swarm", "init", "--advertise-addr", "127.0.0.1",
            "--listen-addr", f"127.0.0.1:{self.swarm_port}",
        )

    def docker(
        self, *args: str, check: bool = True, timeout: float = 120, input: bytes | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the Debian docker CLI against this engine only."""
        full_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root),
            "DOCKER_CONFIG": str(self.root / "cli"),
            "DOCKER_HOST": self.host,
            **(env or {}),
        }
        result = subprocess.run(
            [DEBIAN_DOCKER, *args], capture_output=True, timeout=timeout, env=full_env,
            input=input.decode() if input is not None else None, text=True,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"docker {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
            )
        return result

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no dockerd log)"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._unmount_all()
        subprocess.run(["rm", "-rf", str(self.root)], check=False)

    def _unmount_all(self) -> None:
        """Overlay and netns mounts left under our folder would make rm -rf fail."""
        prefix = str(self.root)
        with open("/proc/self/mounts") as mounts:
            points = [line.split()[1] for line in mounts if line.split()[1].startswith(prefix)]
        for point in sorted(points, key=len, reverse=True):
            subprocess.run(["umount", "-l", point], check=False, capture_output=True)
