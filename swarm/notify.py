"""Wake-up calls from sync code (the worker) to WebSocket consumers, via the channel layer.

The database is the log bus; this is only a nudge so consumers need not wait for their
next poll. A send that fails is logged and forgotten: the consumer's poll catches up.
One long-lived event loop in a daemon thread keeps channels-redis' connection pool on a
single loop (a new loop per send breaks it: channels_redis#332).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer

log = logging.getLogger(__name__)

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def job_group(job_id: int) -> str:
    return f"job-{job_id}"


def _event_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="notify-loop", daemon=True).start()
        return _loop


def notify_job(job_id: int, message: dict[str, Any], wait: float = 1.0) -> None:
    layer = get_channel_layer()
    # The in-memory layer cannot reach consumers in another process (the runner is in the
    # worker, consumers in the web server): they poll instead.
    if layer is None or isinstance(layer, InMemoryChannelLayer):
        return
    future = asyncio.run_coroutine_threadsafe(
        layer.group_send(job_group(job_id), message), _event_loop()
    )
    try:
        future.result(timeout=wait)
    except Exception as error:  # noqa: BLE001 - a lost nudge only delays until the next poll
        log.debug("channel layer send for job %s failed: %s", job_id, error)
