"""The job-log WebSocket through the real ASGI stack (origin check, session auth)."""

from __future__ import annotations

import asyncio
import json
import sys
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client

from dashboard.asgi import application
from swarm.jobs import run_job
from swarm.models import Job, JobLogLine
from tests import job_kinds

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


def finished_job(lines: int) -> Job:
    job = Job.objects.create(kind="argv", status="succeeded", last_seq=lines, outcome="ok")
    JobLogLine.objects.bulk_create(
        JobLogLine(job=job, seq=i, stream="stdout", text=f"line {i}", time=job.created_at)
        for i in range(1, lines + 1)
    )
    return job


async def connect(job_id: int, *headers: tuple[bytes, bytes], after: int = 0):
    communicator = WebsocketCommunicator(
        application, f"/ws/jobs/{job_id}/?after={after}", headers=list(headers)
    )
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def receive_until_closed(communicator, timeout: float = 20) -> tuple[list[int], list[str]]:
    seqs: list[int] = []
    statuses: list[str] = []
    while True:
        output = await communicator.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            assert output.get("code", 1000) == 1000
            return seqs, statuses
        message = json.loads(output["text"])
        if message["type"] == "lines":
            seqs += [line[0] for line in message["lines"]]
        else:
            statuses.append(message["status"])


async def test_it_rejects_anonymous_connections():
    job = await sync_to_async(finished_job)(3)
    communicator, connected, code = await connect(job.pk, ORIGIN)
    assert not connected and code == 4401


async def test_it_rejects_a_foreign_origin(accounts):
    job = await sync_to_async(finished_job)(3)
    cookie = await sync_to_async(session_cookie)(accounts.viewer)
    communicator, connected, _ = await connect(job.pk, (b"origin", b"http://evil.example"), cookie)
    assert not connected


async def test_it_rejects_a_user_without_a_role(accounts):
    job = await sync_to_async(finished_job)(3)
    nobody = await sync_to_async(get_user_model().objects.create_user)("nobody", password="x")
    cookie = await sync_to_async(session_cookie)(nobody)
    communicator, connected, code = await connect(job.pk, ORIGIN, cookie)
    assert not connected and code == 4403


async def test_it_replays_from_after_then_closes_for_a_finished_job(accounts):
    job = await sync_to_async(finished_job)(10)
    cookie = await sync_to_async(session_cookie)(accounts.viewer)
    communicator, connected, _ = await connect(job.pk, ORIGIN, cookie, after=4)
    assert connected
    seqs, statuses = await receive_until_closed(communicator)
    assert seqs == [5, 6, 7, 8, 9, 10]
    assert statuses == ["succeeded"]


async def test_no_gap_and_no_duplicate_across_50_forced_reconnects(accounts):
    job_kinds.register()
    job = await sync_to_async(Job.objects.create)(kind="argv", params={"argv": [
        sys.executable, "-c",
        "import time\nfor i in range(1500):\n    print('line', i, flush=True)\n"
        "    time.sleep(0.002)\n",
    ]})
    cookie = await sync_to_async(session_cookie)(accounts.viewer)
    runner = threading.Thread(target=run_job, args=(job.pk,))
    runner.start()
    try:
        received: list[int] = []
        for _ in range(50):
            communicator, connected, _ = await connect(
                job.pk, ORIGIN, cookie, after=received[-1] if received else 0
            )
            assert connected
            # take whatever arrives in a short window, then drop the connection
            closed = False
            # receive_nothing waits without cancelling the app (receive_output's timeout would)
            while not closed and not await communicator.receive_nothing(timeout=0.03):
                output = await communicator.receive_output()
                closed = output["type"] == "websocket.close"
                message = {} if closed else json.loads(output["text"])
                if message.get("type") == "lines":
                    received += [line[0] for line in message["lines"]]
            if not closed:
                await communicator.disconnect()
        communicator, connected, _ = await connect(job.pk, ORIGIN, cookie, after=received[-1])
        rest, statuses = await receive_until_closed(communicator)
        received += rest
    finally:
        await asyncio.to_thread(runner.join, 30)

    stored = await sync_to_async(
        lambda: list(JobLogLine.objects.filter(job=job).order_by("seq")
                     .values_list("seq", flat=True))
    )()
    assert received == stored == list(range(1, len(stored) + 1))
    assert len(stored) >= 1500
    assert statuses[-1] == "succeeded"
