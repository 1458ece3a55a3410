"""The job runner with real subprocesses."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from swarm.jobs import _process_alive, cancel_job, run_job
from swarm.models import Job, JobLogLine
from tests import job_kinds

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _test_kinds():
    job_kinds.register()


def make_job(argv: list[str], **params: object) -> Job:
    return Job.objects.create(kind="argv", params={"argv": argv, **params})


def lines_of(job: Job, stream: str | None = None) -> list[str]:
    rows = JobLogLine.objects.filter(job=job).order_by("seq")
    if stream:
        rows = rows.filter(stream=stream)
    return list(rows.values_list("text", flat=True))


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_it_keeps_the_order_of_interleaved_stdout_and_stderr():
    job = make_job(python(
        "import sys, time\n"
        "for i in range(60):\n"
        "    stream = sys.stdout if i % 2 == 0 else sys.stderr\n"
        "    print(f'line {i}', file=stream, flush=True)\n"
        "    time.sleep(0.003)\n"
    ))
    run_job(job.pk)

    rows = list(JobLogLine.objects.filter(job=job).exclude(stream="system")
                .order_by("seq").values_list("stream", "text"))
    assert rows == [("stdout" if i % 2 == 0 else "stderr", f"line {i}") for i in range(60)]
    job.refresh_from_db()
    assert (job.status, job.exit_code) == ("succeeded", 0)


def test_it_stores_all_of_100000_lines_in_order():
    job = make_job(["seq", "1", "100000"])
    started = time.monotonic()
    run_job(job.pk)
    elapsed = time.monotonic() - started

    out = lines_of(job, "stdout")
    assert len(out) == 100_000
    assert out[0] == "1" and out[-1] == "100000"
    seqs = list(JobLogLine.objects.filter(job=job).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))  # no gap, no duplicate
    job.refresh_from_db()
    assert job.last_seq == seqs[-1] and job.status == "succeeded"
    print(f"100000 lines stored in {elapsed:.2f} s")


def test_it_stops_a_process_that_never_ends_at_its_timeout(settings):
    settings.JOB_CANCEL_GRACE_SECONDS = 0.5
    job = make_job(python("import time\nprint('forever', flush=True)\ntime.sleep(600)"),
                   timeout=1)
    started = time.monotonic()
    run_job(job.pk)

    assert time.monotonic() - started < 10
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.outcome == "timed out after 1 s"
    assert job.exit_code == -15  # SIGTERM
    assert any("timed out after 1 s: stopping the process group" in t for t in lines_of(job))


def test_cancel_ends_a_process_and_every_child_it_spawned(settings):
    settings.JOB_CANCEL_GRACE_SECONDS = 1.0
    script = (
        "trap '' TERM; "  # the parent ignores TERM, so KILL after the grace period is needed
        "sleep 300 & echo child $!; sleep 300 & echo child $!; echo ready; wait"
    )
    job = make_job(["sh", "-c", script])
    worker = threading.Thread(target=run_job, args=(job.pk,))
    worker.start()
    wait_for(lambda: "ready" in lines_of(job))
    children = [int(t.split()[1]) for t in lines_of(job) if t.startswith("child ")]
    assert len(children) == 2 and all(_process_alive(pid) for pid in children)

    assert cancel_job(job) == "cancel requested"
    worker.join(timeout=20)

    assert not worker.is_alive()
    job.refresh_from_db()
    assert job.status == "cancelled" and job.outcome == "cancelled by a user"
    wait_for(lambda: not any(_process_alive(pid) for pid in children), timeout=5)


def test_cancel_of_a_queued_job_never_starts_it():
    job = make_job(["echo", "never"])
    assert cancel_job(job) == "cancelled"
    assert run_job(job.pk).startswith("skipped")
    job.refresh_from_db()
    assert job.status == "cancelled" and lines_of(job) == []


def test_it_replaces_invalid_utf8_instead_of_failing():
    job = make_job(python(r"import sys; sys.stdout.buffer.write(b'caf\xe9 \xff\xfe ok\n')"))
    run_job(job.pk)
    assert lines_of(job, "stdout") == ["caf\ufffd \ufffd\ufffd ok"]


def test_a_job_delivered_twice_runs_once():
    job = make_job(python("print('once')"))
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(run_job(job.pk)))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r.split(":")[0] for r in results) == ["skipped", "succeeded"]
    assert lines_of(job, "stdout") == ["once"]


def test_it_splits_very_long_lines():
    job = make_job(python("print('x' * 10000)"))
    run_job(job.pk)
    pieces = lines_of(job, "stdout")
    assert len(pieces) == 3 and pieces[1].startswith("↪ ")
    assert sum(len(p.removeprefix("↪ ")) for p in pieces) == 10000


def test_it_caps_the_log_with_a_clear_truncation_line(settings):
    settings.JOB_LOG_MAX_LINES = 1000
    job = make_job(["seq", "1", "5000"])
    run_job(job.pk)

    job.refresh_from_db()
    texts = lines_of(job)
    assert job.log_truncated and job.status == "succeeded"
    assert len(lines_of(job, "stdout")) < 1000
    assert any(t.startswith("log truncated: the job printed more than 1000 lines") for t in texts)
    assert texts[-2].startswith("log truncated:") and "were not stored" in texts[-2]
    assert texts[-1].startswith("==> succeeded")


def test_a_missing_program_is_a_clear_failure():
    job = make_job(["/nonexistent/tool", "--version"])
    run_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.exit_code) == ("failed", 127)
    assert any("could not start /nonexistent/tool" in t for t in lines_of(job, "stderr"))


def test_python_steps_log_through_a_logger():
    job = Job.objects.create(kind="logger")
    run_job(job.pk)
    rows = list(JobLogLine.objects.filter(job=job).order_by("seq").values_list("stream", "text"))
    assert ("system", "hello from a Python step") in rows
    assert ("stderr", "a warning") in rows and ("stderr", "over two lines") in rows


def test_registry_style_async_work_keeps_its_heartbeat_and_can_be_cancelled(settings):
    """run_async steps (scans, merges) beat the heart and stop on cancel."""
    import asyncio

    from swarm import jobs as jobs_module
    from swarm.job_log import LogWriter
    from swarm.jobs import JobCancelled, JobContext, reap_lost_jobs

    settings.JOB_LOST_AFTER_SECONDS = 10
    job = Job.objects.create(kind="argv", status="running", started_at=timezone_now(),
                             heartbeat_at=timezone_now() - _seconds(60))
    ctx = JobContext(job, LogWriter(job))
    ctx._heartbeat_at -= jobs_module.HEARTBEAT_SECONDS  # due now

    async def slow(log):
        for i in range(100):
            log(f"tick {i}")
            await asyncio.sleep(0.02)
        return "done"

    def cancel_soon():
        import time

        time.sleep(0.6)
        Job.objects.filter(pk=job.pk).update(cancel_requested=True)

    canceller = threading.Thread(target=cancel_soon)
    canceller.start()
    with pytest.raises(JobCancelled):
        ctx.run_async(slow)
    canceller.join()
    job.refresh_from_db()
    assert job.heartbeat_at > timezone_now() - _seconds(5)  # the heart beat meanwhile
    assert reap_lost_jobs() == 0
    assert "cancel requested: stopping" in lines_of(job)
    assert len([t for t in lines_of(job) if t.startswith("tick")]) < 100


def test_a_job_marked_lost_is_not_resurrected_by_its_runner():
    from swarm.jobs import finish

    job = Job.objects.create(kind="argv", status="lost", outcome="lost: gone")
    finish(job.pk, "succeeded", outcome="done")
    job.refresh_from_db()
    assert (job.status, job.outcome) == ("lost", "lost: gone")


def test_a_job_no_worker_ever_picked_up_is_reaped(settings):
    from swarm.jobs import reap_lost_jobs

    old = Job.objects.create(kind="argv", created_at=timezone_now() - _seconds(86400))
    fresh = Job.objects.create(kind="argv")
    assert reap_lost_jobs() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == ("lost", "queued")
    assert "no worker picked the job up" in old.outcome


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def _seconds(n: float):
    from datetime import timedelta

    return timedelta(seconds=n)
