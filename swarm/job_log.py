"""Writing a job's output into JobLogLine in small batches, then announcing it.

Persist, then notify: a line is in the database before any consumer is told about it, so
a browser that reconnects with ``after=<seq>`` never misses or doubles a line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from swarm.log_text import split_long_line
from swarm.models import Job, JobLogLine
from swarm.notify import notify_job

SYSTEM = JobLogLine.Stream.SYSTEM
# System lines (step headers, outcome) may pass the cap by this much, so a truncated log
# still says how the job ended.
SYSTEM_LINES_PAST_CAP = 50


class LogWriter:
    def __init__(
        self,
        job: Job,
        *,
        max_lines: int | None = None,
        flush_seconds: float = 0.1,
        batch_lines: int = 500,
        echo: Callable[[str, str], None] | None = None,
    ) -> None:
        self.job = job
        self.echo = echo  # also print each line (stream, text), for management commands
        self.max_lines = max_lines if max_lines is not None else settings.JOB_LOG_MAX_LINES
        self.flush_seconds = flush_seconds
        self.batch_lines = batch_lines
        self.seq = job.last_seq
        self.stored = job.last_seq
        self.dropped = 0
        self.truncated = job.log_truncated
        self._buffer: list[JobLogLine] = []
        self._first_buffered_at = 0.0

    def write(self, stream: str, text: str) -> None:
        if self.echo is not None:
            self.echo(stream, text)
        for piece in split_long_line(text):
            self._add(stream, piece)
        self.flush_if_due()

    def _add(self, stream: str, text: str) -> None:
        over_cap = self.stored >= self.max_lines
        if over_cap and (stream != SYSTEM or self.stored >= self.max_lines + SYSTEM_LINES_PAST_CAP):
            self.dropped += 1
            if not self.truncated:
                self.truncated = True
                self._append(
                    SYSTEM,
                    f"log truncated: the job printed more than {self.max_lines} lines; "
                    "further output is not stored (SWARMDECK_JOB_LOG_MAX_LINES)",
                )
            return
        self._append(stream, text)

    def _append(self, stream: str, text: str) -> None:
        if not self._buffer:
            self._first_buffered_at = time.monotonic()
        self.seq += 1
        self.stored += 1
        self._buffer.append(
            JobLogLine(job_id=self.job.pk, seq=self.seq, stream=stream, text=text,
                       time=timezone.now())
        )

    def flush_if_due(self) -> None:
        if self._buffer and (
            len(self._buffer) >= self.batch_lines
            or time.monotonic() - self._first_buffered_at >= self.flush_seconds
        ):
            self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        JobLogLine.objects.bulk_create(batch)
        Job.objects.filter(pk=self.job.pk).update(last_seq=self.seq, log_truncated=self.truncated)
        self.job.last_seq = self.seq
        notify_job(self.job.pk, {"type": "job.lines", "seq": self.seq})

    def close(self, final_line: str = "") -> None:
        """Flush everything; the truncation summary and the final line always get in."""
        closing = [f"log truncated: {self.dropped} more line(s) were not stored"] * bool(
            self.dropped) + [final_line] * bool(final_line)
        self.truncated = self.truncated or bool(self.dropped)
        for line in closing:
            if self.echo is not None:
                self.echo(SYSTEM, line)
            self._append(SYSTEM, line)  # past the cap on purpose
        self.flush()


class JobLogHandler(logging.Handler):
    """Routes a Python logger into a job's log, for steps written as Python callables."""

    def __init__(self, writer: LogWriter) -> None:
        super().__init__(level=logging.INFO)
        self.writer = writer
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            stream = JobLogLine.Stream.STDERR if record.levelno >= logging.WARNING else SYSTEM
            for line in message.splitlines() or [""]:
                self.writer.write(stream, line)
        except Exception:  # noqa: BLE001 - logging must never break the job
            self.handleError(record)
