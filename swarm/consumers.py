"""The job-log WebSocket: replay from the database, then tail it.

``/ws/jobs/<id>/?after=<seq>`` sends every line with ``seq > after`` in order, then keeps
reading new ones, woken by the channel layer when there is one (Redis) and by a short poll
when there is not (the embedded in-memory layer does not cross from the worker process).
It sends the job's status whenever it changes and closes (code 1000) once the job has ended
and every line was sent. The browser reconnects with ``after=<last seq it has>``, so
nothing is lost or doubled across reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from swarm.models import Job, JobLogLine
from swarm.notify import job_group
from swarm.roles import can_view_jobs
from swarm.stream_messages import LinesMessage, LineTuple, StatusMessage

BATCH = 1000
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404


def parse_after(query_string: bytes) -> int:
    values = parse_qs(query_string.decode("latin-1")).get("after", ["0"])
    try:
        return max(0, int(values[-1]))
    except ValueError:
        return 0


def _read_job(job_id: int, after: int) -> tuple[list[LineTuple], StatusMessage | None]:
    rows = (
        JobLogLine.objects.filter(job_id=job_id, seq__gt=after)
        .order_by("seq")
        .values_list("seq", "stream", "text", "time")[:BATCH]
    )
    lines: list[LineTuple] = [
        (seq, stream, text, when.isoformat()) for seq, stream, text, when in rows
    ]
    job = Job.objects.filter(pk=job_id).first()
    return lines, (status_message(job) if job else None)


def status_message(job: Job) -> StatusMessage:
    return {
        "type": "status",
        "status": job.status,
        "active": job.is_active,
        "outcome": job.outcome,
        "diagnosis": job.diagnosis,
        "exit_code": job.exit_code,
        "last_seq": job.last_seq,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "result_url": job.result_url,
        "progress": job.progress or {},
    }


class JobLogConsumer(AsyncJsonWebsocketConsumer):
    job_id: int
    after: int
    group: str

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not await database_sync_to_async(can_view_jobs)(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.job_id = int(self.scope["url_route"]["kwargs"]["job_id"])
        if not await database_sync_to_async(Job.objects.filter(pk=self.job_id).exists)():
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.after = parse_after(self.scope.get("query_string", b""))
        self.group = job_group(self.job_id)
        self.wake = asyncio.Event()
        if self.channel_layer is not None:
            await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.tail_task = asyncio.create_task(self._tail())

    async def _tail(self) -> None:
        last_status: StatusMessage | None = None
        poll = settings.LOG_POLL_SECONDS
        while True:
            self.wake.clear()
            lines, status = await database_sync_to_async(_read_job)(self.job_id, self.after)
            if status is None:
                await self.close(code=CLOSE_NOT_FOUND)
                return
            if lines:
                message: LinesMessage = {"type": "lines", "lines": lines}
                await self.send_json(message)
                self.after = lines[-1][0]
            if status != last_status:
                await self.send_json(status)
                last_status = status
            if len(lines) == BATCH:
                continue
            if not status["active"] and self.after >= status["last_seq"]:
                await self.close(code=1000)
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=poll)

    async def job_lines(self, event: dict[str, Any]) -> None:
        self.wake.set()

    async def job_status(self, event: dict[str, Any]) -> None:
        self.wake.set()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The browser sends nothing we act on; re-check that the session is still good.
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def disconnect(self, code: int) -> None:
        task = getattr(self, "tail_task", None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if getattr(self, "group", None) and self.channel_layer is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
