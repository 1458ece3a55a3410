"""Database reads for the compatibility pages, turned into the plain data the pure modules
(``compat_matrix``, ``service_compat``, ``image_lookup``) take.

Each loader is a fixed number of queries however many nodes, tags and services there are:
the pages' query count must not grow with the swarm (asserted in the tests).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from swarm.compat_nodes import NodeColumn, node_columns
from swarm.image_lookup import Inventory, InventoryChild, InventoryTag
from swarm.models import (
    BuildRecipe,
    Registry,
    SwarmNode,
    SwarmService,
    SwarmTask,
    Tag,
    TagImage,
)
from swarm.node_info import NodeInfo
from swarm.platforms import Platform
from swarm.service_info import ServiceInfo, TaskInfo

INDEX_KINDS = frozenset({Tag.Kind.DOCKER_LIST, Tag.Kind.OCI_INDEX})


@dataclass(frozen=True)
class ServiceRow:
    info: ServiceInfo
    replicas_running: int
    tasks: list[TaskInfo]


class _Platforms:
    """Platform.parse memoised: 500 tags carry a handful of distinct strings."""

    def __init__(self) -> None:
        self._parsed: dict[str, Platform | None] = {}
        self._lists: dict[tuple[str, ...], tuple[Platform, ...]] = {}

    def parse(self, text: str) -> Platform | None:
        if text not in self._parsed:
            try:
                self._parsed[text] = Platform.parse(text)
            except ValueError:
                self._parsed[text] = None
        return self._parsed[text]

    def parse_all(self, texts: Iterable[str]) -> tuple[Platform, ...]:
        key = tuple(texts)
        parsed = self._lists.get(key)
        if parsed is None:
            parsed = tuple(p for p in (self.parse(t) for t in key) if p is not None)
            self._lists[key] = parsed
        return parsed


def node_info(row: SwarmNode) -> NodeInfo:
    return NodeInfo(
        node_id=row.node_id, hostname=row.hostname, role=row.role, is_leader=row.is_leader,
        state=row.state, availability=row.availability, address=row.address,
        engine_version=row.engine_version, os=row.os, architecture=row.architecture,
        platform=row.platform, cpus=row.cpus, memory_bytes=row.memory_bytes,
        labels=dict(row.labels or {}), engine_labels=dict(row.engine_labels or {}),
        message=row.message,
    )


def load_node_columns() -> list[NodeColumn]:
    """One query. Emulators stay unknown (None): swarmdeck only knows the build host's, and
    the snapshot does not say which swarm node that is."""
    return node_columns(node_info(row) for row in SwarmNode.objects.all())


def load_inventory(pinned_digests: Iterable[str] = ()) -> Inventory:
    """Every scanned tag (signature/attestation fallback tags left out) in three queries at
    most; ``pinned_digests`` also finds images inside indexes a service is pinned to."""
    registries = list(Registry.objects.only("pk", "base_url"))
    host_of = {r.pk: r.host for r in registries}
    platforms = _Platforms()
    rows = (Tag.objects.filter(subject_digest="")
            .values_list("repository__registry_id", "repository__name", "name", "digest",
                         "platforms", "kind", "created"))
    tags = []
    by_key: dict[tuple[int, str, str], InventoryTag] = {}
    for registry_id, repository, name, digest, texts, kind, created in rows:
        tag = InventoryTag(
            registry_id=registry_id, registry_host=host_of.get(registry_id, ""),
            repository=repository, name=name, digest=digest,
            platforms=platforms.parse_all(texts or []), is_index=kind in INDEX_KINDS,
            kind=kind, created=created,
        )
        tags.append(tag)
        by_key[(registry_id, repository, name)] = tag
    known = {t.digest for t in tags}
    wanted = sorted({d for d in pinned_digests if d and d not in known})
    children = []
    if wanted:
        images = (TagImage.objects.filter(digest__in=wanted, is_attestation=False)
                  .values_list("digest", "platform", "tag__repository__registry_id",
                               "tag__repository__name", "tag__name"))
        for digest, platform, registry_id, repository, name in images:
            parent = by_key.get((registry_id, repository, name))
            if parent is not None:
                children.append(InventoryChild(digest, platforms.parse(platform), parent))
    hosts = {host: pk for pk, host in host_of.items()}
    plain_http = {r.pk: r.is_plain_http for r in registries}
    recipes = {(registry_id, repository): (pk, name, tuple(recipe_platforms))
               for pk, name, registry_id, repository, recipe_platforms in
               BuildRecipe.objects.exclude(registry=None).values_list(
                   "pk", "name", "registry_id", "repository", "platforms")}
    return Inventory(hosts=hosts, tags=tags, children=children, plain_http=plain_http,
                     recipes=recipes)


def load_service_images() -> list[tuple[str, str]]:
    """(name, image) of every service: one query, for pages that need no tasks."""
    return list(SwarmService.objects.values_list("name", "image"))


def load_services() -> list[ServiceRow]:
    """Services with their tasks: two queries, plain values (no model instances)."""
    tasks: dict[int, list[TaskInfo]] = {}
    task_rows = SwarmTask.objects.values_list(
        "service_id", "service__service_id", "task_id", "node_id", "slot", "desired_state",
        "state", "message", "err", "timestamp")
    for pk, service_id, task_id, node_id, slot, desired, state, message, err, moment in task_rows:
        tasks.setdefault(pk, []).append(TaskInfo(
            task_id=task_id, service_id=service_id, node_id=node_id, slot=slot,
            desired_state=desired, state=state, message=message, err=err, timestamp=moment,
        ))
    rows = []
    service_rows = SwarmService.objects.values_list(
        "pk", "service_id", "name", "image", "mode", "replicas_desired", "replicas_running",
        "placement_platforms", "constraints", "updated_at")
    for pk, service_id, name, image, mode, desired, running, platforms, constraints, updated \
            in service_rows:
        info = ServiceInfo(
            service_id=service_id, name=name, image=image, mode=mode, replicas_desired=desired,
            placement_platforms=list(platforms or []), constraints=list(constraints or []),
            updated_at=updated,
        )
        rows.append(ServiceRow(info, running, tasks.get(pk, [])))
    return rows
