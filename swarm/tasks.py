"""django-q2 entry points: thin wrappers the worker calls by dotted path."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from swarm import snapshots

REFRESH_NODES = "swarm.tasks.refresh_nodes"
REFRESH_SERVICES = "swarm.tasks.refresh_services"
REFRESH_BUILDERS = "swarm.tasks.refresh_builders"


def refresh_nodes() -> str:
    return snapshots.refresh_nodes()


def refresh_services() -> str:
    return snapshots.refresh_services()


def refresh_builders() -> str:
    from swarm.builder_snapshots import refresh_builders as refresh

    return refresh()


def enqueue(func_path: str, *args: object) -> None:
    """Queue a task once the current transaction commits, so the worker sees its rows."""
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task(func_path, *args, group=func_path))


def ensure_schedules() -> None:
    """The periodic snapshot refreshes, created or updated to the configured interval."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name="refresh nodes",
        defaults={
            "func": REFRESH_NODES,
            "schedule_type": Schedule.MINUTES,
            "minutes": settings.SNAPSHOT_REFRESH_MINUTES,
            "repeats": -1,
        },
    )
    Schedule.objects.update_or_create(
        name="refresh services",
        defaults={"func": REFRESH_SERVICES, "schedule_type": Schedule.MINUTES,
                  "minutes": settings.SNAPSHOT_REFRESH_MINUTES, "repeats": -1},
    )
    Schedule.objects.update_or_create(
        name="refresh builders",
        defaults={"func": REFRESH_BUILDERS, "schedule_type": Schedule.MINUTES,
                  "minutes": settings.SNAPSHOT_REFRESH_MINUTES, "repeats": -1},
    )
    Schedule.objects.update_or_create(
        name="scan registries",
        defaults={"func": "swarm.tasks.scan_all_registries", "schedule_type": Schedule.MINUTES,
                  "minutes": settings.REGISTRY_SCAN_MINUTES, "repeats": -1},
    )
    Schedule.objects.update_or_create(
        name="reap lost jobs",
        defaults={"func": "swarm.tasks.reap_lost_jobs", "schedule_type": Schedule.MINUTES,
                  "minutes": 1, "repeats": -1},
    )


def run_job(job_id: int) -> str:
    from swarm.jobs import run_job as run

    return run(job_id)


def reap_lost_jobs() -> int:
    from swarm.jobs import reap_lost_jobs as reap

    return reap()


def scan_all_registries() -> int:
    """Start a scan job for every registry that has none queued or running."""
    from swarm.jobs import create_job
    from swarm.models import Job, Registry

    started = 0
    for registry in Registry.objects.all():
        if Job.active("registry_scan", registry=registry.pk) is None:
            create_job("registry_scan", {"registry": registry.pk}, None)
            started += 1
    return started
