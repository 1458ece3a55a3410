"""Running a job in the test process, the way a worker would, and reading it back."""

from __future__ import annotations

from swarm.jobs import run_job
from swarm.models import Job, JobLogLine, Registry


def run(kind: str, **params: object) -> Job:
    job = Job.objects.create(kind=kind, params=params)
    run_job(job.pk)
    job.refresh_from_db()
    return job


def scan(registry: Registry) -> Job:
    return run("registry_scan", registry=registry.pk)


def log_of(job: Job) -> str:
    return "\n".join(JobLogLine.objects.filter(job=job).order_by("seq")
                     .values_list("text", flat=True))
