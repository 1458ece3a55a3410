"""One long-lived event loop per worker process for registry I/O.

A job's async work (a scan, a merge) is submitted to it from the job's thread, which keeps
the ORM. Keeping the loop lets clients and their keep-alive connections outlive a job, so
the next click's merge starts talking to the registry at once instead of paying for a new
loop, session, resolver thread and TCP connections. Restarted after a fork (django-q2 forks
its workers) or if it ever stops.
"""

from __future__ import annotations

import asyncio
import os
import threading

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_pid = 0


def io_loop() -> asyncio.AbstractEventLoop:
    global _loop, _pid
    with _lock:
        if _loop is None or _pid != os.getpid() or not _loop.is_running():
            loop = asyncio.new_event_loop()
            started = threading.Event()
            loop.call_soon(started.set)
            threading.Thread(target=loop.run_forever, name="registry-io", daemon=True).start()
            started.wait(5)
            _loop, _pid = loop, os.getpid()
        return _loop
