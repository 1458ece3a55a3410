#!/usr/bin/env python3
"""Run a command with a throw-away redis-server on a free loopback port as REDIS_URL.

Used by `make test` for the scaled-mode run. Without redis-server it says so loudly and
exits 1 under SWARMDECK_REQUIRE_COMPONENTS=1 (CI), 0 otherwise.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.access(server, os.X_OK):
        print("!! COMPONENT MISSING: redis-server (apt-get install redis-server): "
              "the scaled-mode tests did not run", file=sys.stderr)
        return 1 if os.environ.get("SWARMDECK_REQUIRE_COMPONENTS") == "1" else 0
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="swarmdeck-redis-")
    redis = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or redis.poll() is not None:
                    print("!! redis-server did not start", file=sys.stderr)
                    return 1
                time.sleep(0.05)
        env = {**os.environ, "REDIS_URL": f"redis://127.0.0.1:{port}/0"}
        return subprocess.call(sys.argv[1:], env=env)
    finally:
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
