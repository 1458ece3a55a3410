"""A worker killed mid-job: the job becomes ``lost`` with its log when a worker starts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from swarm.jobs import _process_alive
from swarm.models import Job, JobLogLine
from tests.live_server import ROOT
from tests.test_job_runner import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def start_worker() -> subprocess.Popen[bytes]:
    """A real `manage.py qcluster` on the test database (same broker as the tests)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "SWARMDECK_SQLITE_PATH": str(connection.settings_dict["NAME"]),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def test_a_killed_worker_leaves_a_lost_job_with_its_log():
    from django_q.tasks import async_task

    job = Job.objects.create(kind="argv", params={"argv": [
        sys.executable, "-c",
        "import os, time\nprint('step pid', os.getpid(), flush=True)\n"
        "for i in range(600):\n    print('tick', i, flush=True)\n    time.sleep(0.05)\n",
    ]})
    # sync=False: through the real broker to the real worker, not inline like other tests.
    async_task("tests.job_kinds.run_with_test_kinds", job.pk, sync=False)
    worker = start_worker()
    try:
        wait_for(lambda: JobLogLine.objects.filter(job=job, text__startswith="tick").count() >= 5,
                 timeout=30)
        pid_line = JobLogLine.objects.get(job=job, text__startswith="step pid")
        step_pid = int(pid_line.text.split()[-1])
        os.killpg(worker.pid, signal.SIGKILL)  # the whole cluster, no chance to clean up
        worker.wait()
    finally:
        stop_worker(worker)
    job.refresh_from_db()
    assert job.status == "running"  # nobody has noticed yet
    lines_before = JobLogLine.objects.filter(job=job).count()

    restarted = start_worker()
    try:
        wait_for(lambda: Job.objects.get(pk=job.pk).status == "lost", timeout=30)
    finally:
        stop_worker(restarted)

    job.refresh_from_db()
    assert "worker process ended" in job.outcome
    assert job.finished_at is not None
    assert JobLogLine.objects.filter(job=job).count() >= lines_before >= 6
    time.sleep(0.2)
    assert not _process_alive(step_pid), "the dead worker's step process was left running"
