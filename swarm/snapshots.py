"""Refresh the database snapshots from the outside world (run by the worker, not pages)."""

from __future__ import annotations

import logging

from django.db import transaction

from swarm.engine import EngineError, fetch_nodes_from_engine, fetch_services_from_engine
from swarm.models import Snapshot, SwarmNode, SwarmService, SwarmTask
from swarm.service_info import ServiceInfo, TaskInfo, running_counts

log = logging.getLogger(__name__)

NODES = "nodes"
SERVICES = "services"


def refresh_nodes() -> str:
    """Replace the nodes snapshot with what the engine says now.

    On failure the previous snapshot stays as it was and the error is recorded, so the page
    can show the last known nodes with their age and what went wrong.
    """
    snapshot = Snapshot.of(NODES)
    try:
        nodes = fetch_nodes_from_engine()
    except EngineError as error:
        log.warning("nodes refresh failed: %s", error)
        snapshot.record_failure(str(error))
        return f"failed: {error}"
    with transaction.atomic():
        seen = []
        for info in nodes:
            SwarmNode.objects.update_or_create(
                node_id=info.node_id, defaults=SwarmNode.fields_from(info)
            )
            seen.append(info.node_id)
        SwarmNode.objects.exclude(node_id__in=seen).delete()
        snapshot.record_success()
    return f"{len(nodes)} node(s)"


def refresh_services() -> str:
    """Replace the services snapshot (services and their tasks) with what the engine says now.

    Like refresh_nodes, a failure keeps the previous snapshot and records the error.
    """
    snapshot = Snapshot.of(SERVICES)
    try:
        services, tasks = fetch_services_from_engine()
    except EngineError as error:
        log.warning("services refresh failed: %s", error)
        snapshot.record_failure(str(error))
        return f"failed: {error}"
    with transaction.atomic():
        _store_services(services, tasks)
        snapshot.record_success()
    return f"{len(services)} service(s), {len(tasks)} task(s)"


def _store_services(services: list[ServiceInfo], tasks: list[TaskInfo]) -> None:
    running = running_counts(tasks)
    existing = {s.service_id: s for s in SwarmService.objects.all()}
    rows = []
    for info in services:
        row = existing.get(info.service_id) or SwarmService(service_id=info.service_id)
        row.name, row.image, row.mode = info.name, info.image, info.mode
        row.replicas_desired = info.replicas_desired
        row.replicas_running = running.get(info.service_id, 0)
        row.placement_platforms = info.placement_platforms
        row.constraints = info.constraints
        row.updated_at = info.updated_at
        rows.append(row)
    SwarmService.objects.exclude(service_id__in=[s.service_id for s in services]).delete()
    SwarmService.objects.bulk_create([r for r in rows if r.pk is None])
    fields = ["name", "image", "mode", "replicas_desired", "replicas_running",
              "placement_platforms", "constraints", "updated_at"]
    SwarmService.objects.bulk_update([r for r in rows if r.pk is not None], fields)
    # Tasks are many and short-lived: replacing them all is simpler than diffing.
    ids = dict(SwarmService.objects.values_list("service_id", "pk"))
    SwarmTask.objects.all().delete()
    SwarmTask.objects.bulk_create([
        SwarmTask(
            task_id=t.task_id, service_id=ids[t.service_id], node_id=t.node_id, slot=t.slot,
            desired_state=t.desired_state, state=t.state, message=t.message, err=t.err,
            timestamp=t.timestamp,
        )
        for t in tasks if t.service_id in ids
    ])
