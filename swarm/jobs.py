"""The one job runner: every background task (system check, registry scan, merge, build,
bootstrap) is a Job whose steps run here, inside a django-q2 worker.

A step is an argv run as a subprocess (never a shell string; its own process group; a
timeout) or a Python callable that logs through ``ctx.logger``. Output goes to the job log
through LogWriter. A job is claimed with a conditional UPDATE, so one delivered twice runs
once; cancel ends the whole process group; a dead worker's jobs become ``lost``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import selectors
import signal
import socket
import subprocess
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from swarm.io_loop import io_loop
from swarm.job_log import SYSTEM, JobLogHandler, LogWriter
from swarm.log_text import LineSplitter
from swarm.models import Job, JobLogLine
from swarm.notify import notify_job

log = logging.getLogger(__name__)

RUN_JOB = "swarm.tasks.run_job"
T = TypeVar("T")
TAIL_LINES = 200  # kept in memory per step, for outcomes and diagnoses
CANCEL_POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 10.0
STRAGGLER_GRACE_SECONDS = 2.0


class StepFailed(Exception):
    """A step failed in a way the job explains: ``outcome`` is one line, ``diagnosis``
    says what to do about it."""

    def __init__(self, outcome: str, diagnosis: str = "", exit_code: int | None = None) -> None:
        super().__init__(outcome)
        self.outcome = outcome
        self.diagnosis = diagnosis
        self.exit_code = exit_code


class JobCancelled(Exception):
    pass


@dataclass
class StepResult:
    argv: list[str]
    exit_code: int
    timed_out: bool = False
    tail: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    stdout: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    def tail_text(self) -> str:
        return "\n".join(text for _, text in self.tail)


class JobContext:
    """What a job's steps get: a log, a logger, subprocess steps, cancel checks."""

    def __init__(self, job: Job, writer: LogWriter) -> None:
        self.job = job
        self.params: dict[str, Any] = dict(job.params or {})
        self.writer = writer
        self.logger = logging.getLogger(f"swarm.job.{job.pk}")
        self.logger.propagate = False
        self.logger.setLevel(logging.INFO)
        self._handler = JobLogHandler(writer)
        self.logger.addHandler(self._handler)
        self._cancel_checked_at = 0.0
        self._heartbeat_at = time.monotonic()
        self.exit_code: int | None = None

    def close(self) -> None:
        self.logger.removeHandler(self._handler)

    def log(self, text: str, stream: str = SYSTEM) -> None:
        self.writer.write(stream, text)

    def step(self, title: str) -> None:
        self.log(f"==> {title}")

    def cancel_requested(self) -> bool:
        """Reads the cancel flag at most every CANCEL_POLL_SECONDS; also beats the heart."""
        now = time.monotonic()
        if now - self._heartbeat_at >= HEARTBEAT_SECONDS:
            self._heartbeat_at = now
            Job.objects.filter(pk=self.job.pk).update(heartbeat_at=timezone.now())
        if now - self._cancel_checked_at < CANCEL_POLL_SECONDS:
            return False
        self._cancel_checked_at = now
        return bool(
            Job.objects.filter(pk=self.job.pk).values_list("cancel_requested", flat=True).first()
        )

    def run_async(self, work: Callable[[Callable[[str], None]], Awaitable[T]]) -> T:
        """Run async work (registry I/O) on the worker's I/O loop (swarm/io_loop.py),
        streaming the lines it logs into the job log as they come. The ORM stays in this
        thread, which also keeps the heartbeat going and turns a cancel into cancelling
        the work."""
        lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()  # None: work is done
        future = asyncio.run_coroutine_threadsafe(work(lines.put), io_loop())  # type: ignore[arg-type]
        future.add_done_callback(lambda _: lines.put(None))
        cancelled = False
        while True:
            try:
                line = lines.get(timeout=0.05)
            except queue.Empty:
                line = ""
            if line is None:
                break
            if line:
                self.log(line)
            else:
                self.writer.flush_if_due()
            if not cancelled and self.cancel_requested():  # also beats the heart
                cancelled = True
                self.log("cancel requested: stopping")
                future.cancel()
        self.writer.flush()
        if cancelled:
            raise JobCancelled()
        return future.result()

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 600,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        capture_stdout: bool = False,
        stdout_to_log: bool = True,
        translate: Callable[[str, str], Iterable[tuple[str, str]]] | None = None,
    ) -> StepResult:
        """Run one argv (never through a shell), streaming its output into the job log.

        ``translate(stream, line)`` may turn each line into other (stream, text) lines for
        the log, e.g. build progress JSON into readable steps; the raw lines still feed
        ``StepResult.tail``."""
        argv = [str(part) for part in argv]
        self.log("$ " + " ".join(argv))
        result = StepResult(argv=argv, exit_code=-1)
        try:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, cwd=cwd, env=dict(env) if env is not None else None,
                start_new_session=True,  # its own process group, so cancel reaches children
            )
        except OSError as error:
            result.exit_code = 127
            message = f"could not start {argv[0]}: {error.strerror or error}"
            self.log(message, JobLogLine.Stream.STDERR)
            result.tail.append((JobLogLine.Stream.STDERR, message))
            return result
        Job.objects.filter(pk=self.job.pk).update(step_pgid=process.pid)
        try:
            self._pump(process, result, timeout, capture_stdout, stdout_to_log, translate)
        finally:
            Job.objects.filter(pk=self.job.pk).update(step_pgid=None)
        self.exit_code = result.exit_code
        return result

    def _pump(
        self, process: subprocess.Popen[bytes], result: StepResult, timeout: float,
        capture_stdout: bool, stdout_to_log: bool,
        translate: Callable[[str, str], Iterable[tuple[str, str]]] | None,
    ) -> None:
        assert process.stdout is not None and process.stderr is not None
        selector = selectors.DefaultSelector()
        streams = {
            process.stdout.fileno(): (JobLogLine.Stream.STDOUT, LineSplitter()),
            process.stderr.fileno(): (JobLogLine.Stream.STDERR, LineSplitter()),
        }
        for pipe in (process.stdout, process.stderr):
            os.set_blocking(pipe.fileno(), False)
            selector.register(pipe.fileno(), selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        exited_at: float | None = None
        cancelled = False

        def emit(stream: str, line: str) -> None:
            result.tail.append((stream, line))
            if stream == JobLogLine.Stream.STDOUT and capture_stdout:
                result.stdout.append(line)
            if stream == JobLogLine.Stream.STDOUT and not stdout_to_log:
                return
            for out_stream, text in translate(stream, line) if translate else [(stream, line)]:
                self.writer.write(out_stream, text)

        try:
            while selector.get_map():
                for key, _ in selector.select(timeout=0.05):
                    stream, splitter = streams[key.fd]
                    try:
                        chunk = os.read(key.fd, 65536)
                    except BlockingIOError:
                        continue
                    lines = splitter.feed(chunk) if chunk else splitter.finish()
                    if not chunk:
                        selector.unregister(key.fd)
                    for line in lines:
                        emit(stream, line)
                if selector.get_map() and not selector.select(timeout=0):
                    self.writer.flush()  # the process paused: show what it said now
                else:
                    self.writer.flush_if_due()  # it keeps talking: batch (<= 100 ms)
                now = time.monotonic()
                if process.poll() is not None:
                    # A background child may still hold the pipes open: give it a moment.
                    exited_at = exited_at or now
                    if now - exited_at > STRAGGLER_GRACE_SECONDS:
                        _kill_group(process.pid, signal.SIGKILL)
                        break
                elif now > deadline:
                    result.timed_out = True
                    self.log(f"timed out after {timeout:g} s: stopping the process group")
                    _stop_group(process)
                elif self.cancel_requested():
                    cancelled = True
                    self.log("cancel requested: stopping the process group")
                    _stop_group(process)
        finally:
            selector.close()
            for stream, splitter in streams.values():
                for line in splitter.finish():
                    emit(stream, line)
            process.stdout.close()
            process.stderr.close()
            if process.poll() is None:
                _stop_group(process)
            result.exit_code = process.wait()
            self.writer.flush()
        if cancelled:
            raise JobCancelled()


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """TERM the whole group, KILL it after the grace period (children included)."""
    _kill_group(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=settings.JOB_CANCEL_GRACE_SECONDS)
    _kill_group(process.pid, signal.SIGKILL)


# ---- lifecycle ---------------------------------------------------------------------


def create_job(
    kind: str, params: Mapping[str, Any], user: AbstractBaseUser | AnonymousUser | None
) -> Job:
    """Create a queued job and hand it to the worker once the transaction commits."""
    from swarm.job_registry import job_kind

    job_kind(kind)  # unknown kinds fail here, in the request, not later in the worker
    owner = user if user is not None and user.is_authenticated else None
    job = Job.objects.create(kind=kind, params=dict(params), created_by=owner)
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task(RUN_JOB, job.pk, group=kind))
    return job


def claim(job_id: int) -> bool:
    """queued -> running, only once: a job delivered twice by the queue runs once."""
    return bool(
        Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
            status=Job.Status.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now(),
            worker_host=socket.gethostname(), worker_pid=os.getpid(),
        )
    )


def run_job(job_id: int, echo: Callable[[str, str], None] | None = None) -> str:
    """The worker's entry point for every job kind (``echo`` also prints each log line,
    for management commands that run a job in the foreground)."""
    from swarm.job_registry import job_kind

    if not claim(job_id):
        status = Job.objects.filter(pk=job_id).values_list("status", flat=True).first()
        log.info("job %s not claimed (status %s): delivered twice or cancelled", job_id, status)
        return f"skipped: job {job_id} is {status or 'gone'}"
    job = Job.objects.get(pk=job_id)
    notify_job(job.pk, {"type": "job.status"})
    writer = LogWriter(job, echo=echo)
    ctx = JobContext(job, writer)
    status, outcome, diagnosis, exit_code = Job.Status.SUCCEEDED, "", "", None
    try:
        outcome = job_kind(job.kind).run(ctx) or "done"
        exit_code = ctx.exit_code if ctx.exit_code is not None else 0
    except StepFailed as failure:
        status, outcome, diagnosis = Job.Status.FAILED, failure.outcome, failure.diagnosis
        exit_code = failure.exit_code if failure.exit_code is not None else ctx.exit_code
    except JobCancelled:
        status, outcome, exit_code = Job.Status.CANCELLED, "cancelled by a user", ctx.exit_code
    except Exception as error:  # noqa: BLE001 - the job must end with a status, not hang
        log.exception("job %s crashed", job.pk)
        status = Job.Status.FAILED
        outcome = f"internal error: {type(error).__name__}: {str(error)[:200]}"
        diagnosis = "This is a swarmdeck bug; the worker's log has the traceback."
    finally:
        ctx.close()
    writer.close(f"==> {status}: {outcome}")
    finish(job.pk, status, outcome=outcome, diagnosis=diagnosis, exit_code=exit_code)
    return f"{status}: {outcome}"


def finish(job_id: int, status: str, *, outcome: str, diagnosis: str = "",
           exit_code: int | None = None) -> None:
    # Only a running job ends here: one the reaper already marked lost stays lost.
    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(
        status=status, outcome=outcome[:500], diagnosis=diagnosis, exit_code=exit_code,
        finished_at=timezone.now(),
    )
    notify_job(job_id, {"type": "job.status"})


def cancel_job(job: Job) -> str:
    """Cancel a queued job at once; ask the runner of a running one to stop it."""
    if Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.CANCELLED, cancel_requested=True, finished_at=timezone.now(),
        outcome="cancelled before it started",
    ):
        notify_job(job.pk, {"type": "job.status"})
        return "cancelled"
    if Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(cancel_requested=True):
        return "cancel requested"
    return "already finished"


def reap_lost_jobs() -> int:
    """Mark ``lost`` the running jobs whose worker is gone, keeping their logs.

    A job is lost when its worker process on this host no longer exists, or when no worker
    anywhere has written its heartbeat for JOB_LOST_AFTER_SECONDS.
    """
    host = socket.gethostname()
    stale = timezone.now() - timezone.timedelta(seconds=settings.JOB_LOST_AFTER_SECONDS)
    lost = 0
    for job in Job.objects.filter(status=Job.Status.RUNNING).only(
        "pk", "worker_host", "worker_pid", "heartbeat_at", "step_pgid"
    ):
        dead_here = job.worker_host == host and not _process_alive(job.worker_pid)
        silent = job.heartbeat_at is None or job.heartbeat_at < stale
        if not (dead_here or silent):
            continue
        reason = "its worker process ended" if dead_here else "its worker stopped answering"
        if Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(
            status=Job.Status.LOST, finished_at=timezone.now(),
            outcome=f"lost: {reason} while the job ran",
            diagnosis="The worker was killed or restarted mid-job. The log up to that point is "
            "kept; run the job again.",
        ):
            lost += 1
            if job.step_pgid and job.worker_host == host:
                _kill_group(job.step_pgid, signal.SIGKILL)  # the dead worker's orphans
            notify_job(job.pk, {"type": "job.status"})
    return lost + _reap_never_started()


def _reap_never_started() -> int:
    """Queued longer than the queue would ever redeliver: the task never reached a worker
    (a flushed Redis, a worker never started), so guards like "a scan is already running"
    must stop waiting for it."""
    too_old = timezone.now() - timezone.timedelta(seconds=int(settings.Q_CLUSTER["retry"]) + 60)
    return Job.objects.filter(status=Job.Status.QUEUED, created_at__lt=too_old).update(
        status=Job.Status.LOST, finished_at=timezone.now(),
        outcome="lost: no worker picked the job up",
        diagnosis="Is the worker running (make run starts it; in the scaled mode "
        "`manage.py qcluster`)? Start the job again.",
    )


def _process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True
