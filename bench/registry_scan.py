#!/usr/bin/env python3
"""Benchmark: a full registry inventory, swarmdeck against skopeo, in one run.

Fills a fresh local registry (Debian docker-registry, distribution 2.8) with 50
repositories x 10 tags of mixed kinds (Docker and OCI single manifests, Docker lists, OCI
indexes with buildx-style attestations, 3-platform indexes), then measures:

* swarmdeck cold scan: the registry_scan job's code (fetch + store in SQLite), empty caches;
* swarmdeck rescan with nothing changed;
* a sequential loop of ``skopeo inspect --raw`` plus ``skopeo inspect --config --raw`` per
  platform (``--override-os/arch/variant``) over the same tags, and the same commands
  under ``xargs -P 8``.

Run: ``make bench-registry`` (appends to bench/results/registry_scan.md).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REPOSITORIES = 50
TAGS_PER_REPOSITORY = 10


def fill(url: str) -> list[tuple[str, str, list[str]]]:
    """Push the data set; returns (repository, tag, platforms) for every tag."""
    from tests.registry_images import (
        Pusher,
        push_docker_list,
        push_oci_index,
        push_single,
        push_three_platform_index,
    )

    pusher = Pusher(url)
    tags: list[tuple[str, str, list[str]]] = []
    for r in range(REPOSITORIES):
        repo = f"bench/app{r:02d}"
        for t in range(TAGS_PER_REPOSITORY):
            tag = f"1.{t}.0"
            kind = t % 5
            if kind == 0:
                push_single(pusher, repo, tag, "linux/amd64", salt=tag)
                platforms = ["linux/amd64"]
            elif kind == 1:
                push_single(pusher, repo, tag, "linux/arm64", oci=True, salt=tag)
                platforms = ["linux/arm64"]
            elif kind == 2:
                push_docker_list(pusher, repo, tag)
                platforms = ["linux/amd64", "linux/arm64"]
            elif kind == 3:
                push_oci_index(pusher, repo, tag)  # with attestations
                platforms = ["linux/amd64", "linux/arm64"]
            else:
                push_three_platform_index(pusher, repo, tag)
                platforms = ["linux/amd64", "linux/arm64", "linux/arm/v7"]
            tags.append((repo, tag, platforms))
    return tags


def swarmdeck_scan(registry_id: int) -> dict[str, float]:
    from swarm.models import Registry
    from swarm.registry_scan import (
        DatabaseDigestCache,
        known_digests,
        registry_client,
        scan_registry_async,
        store_scan,
    )

    registry = Registry.objects.get(pk=registry_id)
    started, cpu_started = time.perf_counter(), time.process_time()
    cache = DatabaseDigestCache(registry)
    known = known_digests(registry)

    async def scan():  # noqa: ANN202
        async with registry_client(registry, cache) as client:
            return await scan_registry_async(client, known)

    result = asyncio.run(scan())
    fetched = time.perf_counter()
    store_scan(registry, result)
    cache.save()
    return {
        "seconds": time.perf_counter() - started,
        "fetch_seconds": fetched - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "requests": result.requests,
        "tags": result.tag_count,
        "changed": result.changed_count,
    }


def skopeo_commands(skopeo: str, host: str,
                    tags: list[tuple[str, str, list[str]]]) -> list[list[str]]:
    commands = []
    for repo, tag, platforms in tags:
        ref = f"docker://{host}/{repo}:{tag}"
        commands.append([skopeo, "inspect", "--tls-verify=false", "--raw", ref])
        for platform in platforms:
            os_name, arch, *variant = platform.split("/")
            override = ["--override-os", os_name, "--override-arch", arch]
            if variant:
                override += ["--override-variant", variant[0]]
            commands.append([skopeo, *override, "inspect", "--tls-verify=false", "--config",
                             "--raw", ref])
    return commands


def skopeo_sequential(commands: list[list[str]]) -> float:
    started = time.perf_counter()
    for argv in commands:
        subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - started


def skopeo_parallel(commands: list[list[str]], workdir: Path) -> float:
    """The same commands under ``xargs -P 8``: one argv per line, no shell involved."""
    listing = workdir / "commands.txt"
    listing.write_text("".join(" ".join(argv[1:]) + "\n" for argv in commands))
    started = time.perf_counter()
    with listing.open() as stdin:
        subprocess.run(["xargs", "-P", "8", "-L", "1", commands[0][0]], stdin=stdin,
                       check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    skopeo = shutil.which("skopeo") or "/usr/bin/skopeo"
    registry_binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    for tool in (skopeo, registry_binary):
        if not os.access(tool, os.X_OK):
            print(f"missing {tool} (apt-get install skopeo docker-registry)", file=sys.stderr)
            return 1
    workdir = Path(tempfile.mkdtemp(prefix="swarmdeck-bench-"))
    os.environ["SWARMDECK_DATA_DIR"] = str(workdir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from swarm.models import Registry
    from tests.registry_server import RegistryServer

    call_command("migrate", verbosity=0)
    server = RegistryServer(registry_binary)
    server.start()
    try:
        filled_at = time.perf_counter()
        tags = fill(server.url)
        print(f"filled {len(tags)} tags in {time.perf_counter() - filled_at:.1f} s",
              file=sys.stderr)
        registry = Registry.objects.create(name="bench", base_url=server.url)
        cold = swarmdeck_scan(registry.pk)
        rescan = swarmdeck_scan(registry.pk)
        commands = skopeo_commands(skopeo, server.host, tags)
        sequential = skopeo_sequential(commands)
        parallel = skopeo_parallel(commands, workdir)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "tags": len(tags),
        "cold": cold,
        "rescan": rescan,
        "skopeo_processes": len(commands),
        "skopeo_sequential_s": sequential,
        "skopeo_xargs_p8_s": parallel,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
