"""One foreground command for the embedded mode: the ASGI server and the worker together.

Ctrl-C (or SIGTERM) stops both; if either dies, the other is stopped too, so a half-running
dashboard never hides behind a healthy-looking terminal.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server (daphne) and the django-q2 worker until Ctrl-C."

    def handle(self, *args: object, **options: object) -> None:
        python = sys.executable
        children = {
            "web": subprocess.Popen(
                [python, "-m", "daphne", "-b", settings.HOST, "-p", str(settings.PORT),
                 "--proxy-headers", "dashboard.asgi:application"]
            ),
            "worker": subprocess.Popen([python, "manage.py", "qcluster"]),
        }
        self.stdout.write(
            f"swarmdeck is running on http://{settings.HOST}:{settings.PORT}/ "
            "(web server and worker). Press Ctrl-C to stop."
        )
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    self.stderr.write(f"the {name} process exited with code {child.returncode}")
                    exit_code = child.returncode or 1
                    stopping = True
            time.sleep(0.2)
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 10
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("swarmdeck stopped.")
        if exit_code:
            sys.exit(exit_code)
