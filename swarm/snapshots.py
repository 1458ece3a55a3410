"""Refresh the database snapshots from the outside world (run by the worker, not pages)."""

from __future__ import annotations

import logging

from django.db import transaction

from swarm.engine import EngineError, fetch_nodes_from_engine
from swarm.models import Snapshot, SwarmNode

log = logging.getLogger(__name__)

NODES = "nodes"


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
