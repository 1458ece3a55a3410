#!/usr/bin/env python3
"""Benchmark: job log lines from a worker's subprocess to a WebSocket client, end to end.

Starts the real stack (`manage.py serve`: daphne + django-q2 worker) on a fresh data
folder, logs in through a real session, and for each mode measures:

* latency: a job prints one line every 10 ms carrying its own wall-clock timestamp; the
  WebSocket client (aiohttp, as a browser would connect: session cookie, Origin) records
  when each line arrives. p50/p95/max of (arrival - print).
* throughput: a job prints 100 000 lines as fast as it can; lines/s stored (job start to
  last line in the database) and lines/s delivered over the socket, with a check that
  every seq arrived exactly once.

Run: `make bench-logs` (both modes; the Redis one needs redis-server). Results are written
to bench/results/log_stream.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LATENCY_LINES = 1000
THROUGHPUT_LINES = 100_000


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def setup_django(data_dir: str) -> None:
    os.environ["SWARMDECK_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    import django

    django.setup()


def start_stack(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SWARMDECK_PORT": str(port)}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    log = open(Path(os.environ["SWARMDECK_DATA_DIR"]) / "serve.log", "wb")  # noqa: SIM115
    return subprocess.Popen([sys.executable, "manage.py", "serve"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def make_session() -> str:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from swarm.roles import VIEWERS, ensure_roles

    ensure_roles()
    user, _ = get_user_model().objects.get_or_create(username="bench")
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name=VIEWERS))
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def enqueue(code: str) -> int:
    from django_q.tasks import async_task

    from swarm.models import Job

    job = Job.objects.create(kind="argv", params={"argv": [sys.executable, "-c", code],
                                                  "timeout": 600})
    async_task("tests.job_kinds.run_with_test_kinds", job.pk)
    return job.pk


async def follow(url: str, cookie: str, job_id: int) -> tuple[list[tuple[int, str, float]], float]:
    """Every line of the job as (seq, text, arrival time), and when the first arrived."""
    got: list[tuple[int, str, float]] = []
    headers = {"Origin": url, "Cookie": f"sessionid={cookie}"}
    ws_url = url.replace("http", "ws") + f"/ws/jobs/{job_id}/?after=0"
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url, headers=headers,
                                                                      max_msg_size=0) as ws:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            now = time.time()
            data = json.loads(message.data)
            if data["type"] == "lines":
                got += [(seq, text, now) for seq, _stream, text, _t in data["lines"]]
    return got, (got[0][2] if got else 0.0)


def latency_run(url: str, cookie: str) -> dict[str, float]:
    code = (
        "import time\n"
        f"for i in range({LATENCY_LINES}):\n"
        "    print(f'T {time.time():.6f}', flush=True)\n"
        "    time.sleep(0.01)\n"
    )
    job_id = enqueue(code)
    lines, _ = asyncio.run(follow(url, cookie, job_id))
    latencies = [(arrived - float(text.split()[1])) * 1000
                 for _seq, text, arrived in lines if text.startswith("T ")]
    latencies.sort()
    assert len(latencies) == LATENCY_LINES, f"got {len(latencies)} of {LATENCY_LINES} lines"
    return {
        "p50_ms": statistics.median(latencies),
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1],
        "max_ms": latencies[-1],
    }


def throughput_run(url: str, cookie: str) -> dict[str, float]:
    from swarm.models import Job, JobLogLine

    code = (f"import sys\nsys.stdout.write(''.join(f'line {{i}}\\n' "
            f"for i in range({THROUGHPUT_LINES})))\n")
    job_id = enqueue(code)
    lines, _ = asyncio.run(follow(url, cookie, job_id))
    job = Job.objects.get(pk=job_id)
    stored = JobLogLine.objects.filter(job=job, stream="stdout").count()
    last_stdout = JobLogLine.objects.filter(job=job, stream="stdout").order_by("-seq").first()
    seqs = [seq for seq, _text, _t in lines]
    assert seqs == list(range(1, job.last_seq + 1)), "a line was lost or doubled"
    assert stored == THROUGHPUT_LINES, f"stored {stored} of {THROUGHPUT_LINES}"
    store_seconds = (last_stdout.time - job.started_at).total_seconds()
    deliver_seconds = lines[-1][2] - job.started_at.timestamp()
    return {
        "stored_lines_per_s": THROUGHPUT_LINES / store_seconds,
        "delivered_lines_per_s": len(lines) / deliver_seconds,
        "lines": len(lines),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["embedded", "redis"], required=True)
    args = parser.parse_args()
    if args.mode == "redis" and not os.environ.get("REDIS_URL"):
        print("redis mode needs REDIS_URL (run through scripts/with_redis.py)", file=sys.stderr)
        return 2
    if args.mode == "embedded":
        os.environ.pop("REDIS_URL", None)
    data_dir = tempfile.mkdtemp(prefix="swarmdeck-bench-")
    port = free_port()
    os.environ["SWARMDECK_PORT"] = str(port)
    setup_django(data_dir)
    stack = start_stack(port)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                import urllib.request

                urllib.request.urlopen(f"{url}/login/", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        cookie = make_session()
        latency = latency_run(url, cookie)
        throughput = throughput_run(url, cookie)
    finally:
        import signal

        os.killpg(stack.pid, signal.SIGTERM)
        stack.wait(timeout=20)
    result = {"mode": args.mode, **latency, **throughput}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
