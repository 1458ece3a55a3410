"""A real registry for tests: Debian's ``docker-registry`` (distribution 2.8) on a free
loopback port, with a config file written here. ``htpasswd`` users switch on Basic auth;
``token_auth`` switches on token auth with a test issuer (see the registry tests)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.components import free_port


class RegistryStartError(RuntimeError):
    pass


class RegistryServer:
    def __init__(
        self,
        binary: str,
        *,
        htpasswd: dict[str, str] | None = None,
        token_auth: dict[str, str] | None = None,
    ) -> None:
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="sd-registry-"))
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self.htpasswd = htpasswd or {}
        self.token_auth = token_auth
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.root / "registry.log"

    def _config(self) -> str:
        lines = [
            "version: 0.1",
            "log:",
            "  level: warn",
            "  accesslog:",
            "    disabled: true",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {self.root / 'data'}",
            "  delete:",
            "    enabled: true",
            "http:",
            f"  addr: {self.host}",
            "  secret: swarmdeck-test-secret",
        ]
        if self.htpasswd:
            path = self.root / "htpasswd"
            path.write_text("".join(_htpasswd_line(u, p) for u, p in self.htpasswd.items()))
            lines += ["auth:", "  htpasswd:", "    realm: swarmdeck-test", f"    path: {path}"]
        elif self.token_auth:
            lines += ["auth:", "  token:"]
            lines += [f"    {key}: {value}" for key, value in self.token_auth.items()]
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 15.0) -> None:
        config = self.root / "config.yml"
        config.write_text(self._config())
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [self.binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RegistryStartError(f"registry exited early:\n{self.log_text()}")
            try:
                urllib.request.urlopen(f"{self.url}/v2/", timeout=0.5)
                return
            except urllib.error.HTTPError:
                return  # 401: up, and asking for credentials
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RegistryStartError(f"registry did not answer within {timeout}s")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def _htpasswd_line(user: str, password: str) -> str:
    """A bcrypt htpasswd line, the only hash distribution accepts (apache2-utils' htpasswd)."""
    htpasswd = shutil.which("htpasswd")
    if not htpasswd:
        raise RegistryStartError("htpasswd not found (apt-get install apache2-utils)")
    result = subprocess.run(
        [htpasswd, "-nbB", user, password], capture_output=True, text=True, check=True
    )
    return result.stdout.strip() + "\n"
