"""A synthetic swarm and inventory written straight into the database, for query-count
tests and ``bench/compat_pages.py``: nodes of three architectures (one down, one drained),
tags with every platform mix (per-arch tags next to merged ones), and services pinned to
them with the Placement.Platforms the CLI would record, pending tasks included."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.utils import timezone

from swarm.models import (
    Registry,
    Repository,
    Snapshot,
    SwarmNode,
    SwarmService,
    SwarmTask,
    Tag,
)

REGISTRY_URL = "http://192.168.31.98:5000"
HOST = "192.168.31.98:5000"
MACHINES = ("x86_64", "aarch64", "armv7l", "x86_64", "aarch64")
PLATFORM_OF = {"x86_64": "linux/amd64", "aarch64": "linux/arm64", "armv7l": "linux/arm/v7"}
# (tag suffix, platforms, kind): the shapes a homelab registry holds.
SHAPES = (
    ("", ["linux/amd64", "linux/arm64", "linux/arm/v7"], "oci_index"),
    ("-amd64", ["linux/amd64"], "docker_manifest"),
    ("-arm64", ["linux/arm64"], "docker_manifest"),
    ("-armv7", ["linux/arm/v7"], "docker_manifest"),
    ("-pi", ["linux/arm64", "linux/arm/v7"], "oci_index"),
    ("-slim", ["linux/amd64", "linux/arm64"], "docker_list"),
    ("-oci", ["linux/arm64"], "oci_manifest"),
    ("-old", [], "docker_manifest"),  # config unreadable: platform unknown
    ("-x86", ["linux/amd64"], "oci_manifest"),
    ("-legacy", ["linux/386"], "docker_manifest"),
)


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def seed_nodes(count: int) -> list[SwarmNode]:
    nodes = []
    for i in range(count):
        machine = MACHINES[i % len(MACHINES)]
        nodes.append(SwarmNode(
            node_id=f"node{i:04d}", hostname=f"node-{i:02d}",
            role="manager" if i == 0 else "worker",
            is_leader=i == 0, state="down" if i == 3 else "ready",
            availability="drain" if i == 4 else "active", os="linux", architecture=machine,
            platform=PLATFORM_OF[machine], labels={"zone": "a" if i % 2 else "b"},
        ))
    return SwarmNode.objects.bulk_create(nodes)


def seed_tags(count: int) -> list[Tag]:
    registry = Registry.objects.create(name="lan", base_url=REGISTRY_URL)
    repositories = max(1, count // (len(SHAPES) * 2))
    repos = Repository.objects.bulk_create(
        [Repository(registry=registry, name=f"apps/app{r:03d}") for r in range(repositories)]
    )
    now = timezone.now()
    tags = []
    for i in range(count):
        repo = repos[i % repositories]
        version = i // (repositories * len(SHAPES))
        suffix, platforms, kind = SHAPES[(i // repositories) % len(SHAPES)]
        name = f"1.{version}{suffix}"
        tags.append(Tag(
            repository=repo, name=name, digest=digest(f"{repo.name}:{name}"),
            media_type="application/vnd.oci.image.index.v1+json", kind=kind,
            platforms=platforms, created=now - timedelta(hours=i),
        ))
    return Tag.objects.bulk_create(tags)


def _cli_platforms(tag: Tag) -> list[dict[str, str]]:
    """What `docker service create` records: arm blanked, nothing for an OCI manifest."""
    if tag.kind == "oci_manifest":
        return []
    entries = []
    for platform in tag.platforms:
        os_name, arch, *_ = platform.split("/")
        entries.append({"OS": os_name} if arch == "arm" else {"OS": os_name, "Architecture": arch})
    return entries


def seed_services(count: int, tags: list[Tag], nodes: list[SwarmNode]) -> None:
    services = []
    for i in range(count):
        tag = tags[(i * 7) % len(tags)]
        if i % 10 == 9:
            image = f"nginx:1.29.{i}"  # Docker Hub: not a known registry
        else:
            image = f"{HOST}/{tag.repository.name}:{tag.name}@{tag.digest}"
        services.append(SwarmService(
            service_id=f"svc{i:04d}", name=f"stack_service{i:03d}", image=image,
            mode="replicated", replicas_desired=2, replicas_running=1,
            placement_platforms=_cli_platforms(tag),
            constraints=["node.labels.zone==a"] if i % 4 == 0 else [],
        ))
    services = SwarmService.objects.bulk_create(services)
    now = timezone.now()
    tasks = []
    for i, service in enumerate(services):
        node = nodes[i % len(nodes)]
        tasks.append(SwarmTask(task_id=f"task{i:04d}a", service=service, node_id=node.node_id,
                               slot=1, desired_state="running", state="running", timestamp=now))
        tasks.append(SwarmTask(
            task_id=f"task{i:04d}b", service=service, slot=2, desired_state="running",
            state="pending", err="no suitable node (unsupported platform on 3 nodes)",
            timestamp=now,
        ))
        tasks.append(SwarmTask(
            task_id=f"task{i:04d}c", service=service, node_id=node.node_id, slot=2,
            desired_state="shutdown", state="rejected", err="No such image: x", timestamp=now,
        ))
    SwarmTask.objects.bulk_create(tasks)


def seed(nodes: int = 50, tags: int = 500, services: int = 100) -> None:
    node_rows = seed_nodes(nodes)
    tag_rows = seed_tags(tags)
    seed_services(services, tag_rows, node_rows)
    for kind in ("nodes", "services"):
        Snapshot.of(kind).record_success()
