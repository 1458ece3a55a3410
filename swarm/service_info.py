"""A swarm service and its tasks as the engine describes them, as plain values (pure, no I/O).

``Spec.TaskTemplate.Placement.Platforms`` is kept exactly as stored: the blanked ``arm``
entries and ``unknown/unknown`` entries older clients write are what Swarm's filter really
sees (DOMAIN.md section 3), so the compatibility page must show them, not a cleaned copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from swarm.inventory import parse_created


@dataclass(frozen=True)
class TaskInfo:
    task_id: str
    service_id: str
    node_id: str
    slot: int | None
    desired_state: str
    state: str
    message: str
    err: str  # Status.Err, e.g. "no suitable node (unsupported platform on 1 node)"
    timestamp: datetime | None


@dataclass(frozen=True)
class ServiceInfo:
    service_id: str
    name: str
    image: str  # as in the spec, usually pinned by the CLI: repo:tag@sha256:...
    mode: str  # replicated, global, replicated-job, global-job
    replicas_desired: int | None  # None for global services: one per eligible node
    placement_platforms: list[dict[str, str]] = field(default_factory=list)  # raw
    constraints: list[str] = field(default_factory=list)
    updated_at: datetime | None = None


def _mode(spec: dict[str, Any]) -> tuple[str, int | None]:
    mode = spec.get("Mode") or {}
    if "Replicated" in mode:
        return "replicated", _int_or_none((mode.get("Replicated") or {}).get("Replicas"))
    if "ReplicatedJob" in mode:
        job = mode.get("ReplicatedJob") or {}
        return "replicated-job", _int_or_none(job.get("TotalCompletions"))
    if "GlobalJob" in mode:
        return "global-job", None
    if "Global" in mode:
        return "global", None
    return "", None


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def _raw_platforms(placement: dict[str, Any]) -> list[dict[str, str]]:
    """The platform entries as stored, missing keys left out (a blanked arch has none)."""
    entries = []
    for entry in placement.get("Platforms") or []:
        if isinstance(entry, dict):
            entries.append({key: str(entry[key]) for key in ("OS", "Architecture")
                            if entry.get(key) is not None})
    return entries


def service_from_api(attrs: dict[str, Any]) -> ServiceInfo:
    """Build a ServiceInfo from ``docker service inspect`` JSON (the SDK's ``services()``)."""
    spec = attrs.get("Spec") or {}
    template = spec.get("TaskTemplate") or {}
    container = template.get("ContainerSpec") or {}
    placement = template.get("Placement") or {}
    mode, desired = _mode(spec)
    return ServiceInfo(
        service_id=str(attrs.get("ID") or ""),
        name=str(spec.get("Name") or ""),
        image=str(container.get("Image") or ""),
        mode=mode,
        replicas_desired=desired,
        placement_platforms=_raw_platforms(placement),
        constraints=[str(c) for c in placement.get("Constraints") or []],
        updated_at=parse_created(attrs.get("UpdatedAt")),
    )


def task_from_api(attrs: dict[str, Any]) -> TaskInfo:
    """Build a TaskInfo from ``docker inspect <task>`` JSON (the SDK's ``tasks()``)."""
    status = attrs.get("Status") or {}
    slot = attrs.get("Slot")
    return TaskInfo(
        task_id=str(attrs.get("ID") or ""),
        service_id=str(attrs.get("ServiceID") or ""),
        node_id=str(attrs.get("NodeID") or ""),
        slot=int(slot) if isinstance(slot, int) else None,
        desired_state=str(attrs.get("DesiredState") or ""),
        state=str(status.get("State") or ""),
        message=str(status.get("Message") or "")[:500],
        err=str(status.get("Err") or ""),
        timestamp=parse_created(status.get("Timestamp")),
    )


def running_counts(tasks: Iterable[TaskInfo]) -> dict[str, int]:
    """Running tasks per service id (what ``docker service ls`` shows as 1/2)."""
    counts: dict[str, int] = {}
    for task in tasks:
        if task.state == "running" and task.desired_state == "running":
            counts[task.service_id] = counts.get(task.service_id, 0) + 1
    return counts
