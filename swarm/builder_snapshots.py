"""Refresh the builders snapshot and the emulation watch (run by the worker, not pages)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from swarm.binfmt_misc import registered_emulators
from swarm.binfmt_output import emulated_platforms
from swarm.builder_status import BuilderState, HostFacts, SwarmHost, builder_states
from swarm.buildx import (
    BuildxError,
    fetch_builders_from_buildx,
    fetch_engine_platform,
    local_platform,
)
from swarm.emulation import EmulatorChanges, compare_emulators
from swarm.models import BuilderRecord, EmulatorState, Snapshot, SwarmNode

log = logging.getLogger(__name__)

BUILDERS = "builders"


def record_emulators(registered: Iterable[str]) -> EmulatorChanges:
    """Store one complete observation of the build host's QEMU handlers: new ones are
    registered, ones seen before and missing now are marked gone (since now)."""
    now = timezone.now()
    known = dict(EmulatorState.objects.values_list("name", "registered"))
    changes = compare_emulators(known, registered)
    with transaction.atomic():
        for name in changes.appeared + changes.still:
            EmulatorState.objects.update_or_create(
                name=name,
                defaults={"platforms": emulated_platforms([name]), "registered": True,
                          "last_seen": now, "missing_since": None},
            )
        EmulatorState.objects.filter(name__in=changes.vanished).update(
            registered=False, missing_since=now
        )
    if changes.vanished:
        log.warning("emulators gone from the build host: %s", ", ".join(changes.vanished))
    return changes


def engine_is_local() -> bool:
    return HostFacts(engine_host=settings.DOCKER_HOST).engine_is_local


def watch_local_emulators() -> EmulatorChanges | None:
    """Look at binfmt_misc here when the engine is here too; None when that cannot be seen
    (a remote engine, or binfmt_misc not mounted): then only Bootstrap updates the watch."""
    if not engine_is_local():
        return None
    registered = registered_emulators()
    return None if registered is None else record_emulators(registered)


def host_facts(emulators: Iterable[str] | None = None) -> HostFacts:
    """What is known about the machines builder nodes run on (the engine is asked now)."""
    if emulators is None:
        emulators = EmulatorState.objects.filter(registered=True).values_list("name", flat=True)
    return HostFacts(
        engine_host=settings.DOCKER_HOST,
        engine_platform=fetch_engine_platform(),
        local_platform=local_platform(),
        swarm_hosts=tuple(
            SwarmHost(node.hostname, node.address, node.platform)
            for node in SwarmNode.objects.all()
        ),
        emulators=tuple(emulators),
    )


def save_builder_states(states: list[BuilderState]) -> None:
    for state in states:
        BuilderRecord.objects.update_or_create(
            name=state.name,
            defaults={
                "driver": state.driver,
                "is_current": state.is_current,
                "last_activity": state.last_activity,
                "error": state.error,
                "nodes": state.nodes,
                "insecure_registries": state.insecure_registries,
                "inspect_text": state.raw_text,
            },
        )
    BuilderRecord.objects.exclude(name__in=[state.name for state in states]).delete()


def refresh_builders() -> str:
    """Replace the builders snapshot with what buildx says now.

    On failure (buildx missing, engine down) the previous snapshot stays and the error is
    recorded with what to do, so the page shows the last known builders and why.
    """
    watch_local_emulators()
    snapshot = Snapshot.of(BUILDERS)
    try:
        listing = fetch_builders_from_buildx()
    except BuildxError as error:
        message = f"{error}. {error.advice}" if error.advice else str(error)
        log.warning("builders refresh failed: %s", message)
        snapshot.record_failure(message)
        return f"failed: {error}"
    states = builder_states(listing, host_facts())
    with transaction.atomic():
        save_builder_states(states)
        snapshot.record_success()
    return f"{len(states)} builder(s)"
