"""The registry scan job: one registry's inventory into the database."""

from __future__ import annotations

from collections.abc import Callable

from swarm.jobs import JobContext, StepFailed
from swarm.models import Registry
from swarm.registry import RegistryError
from swarm.registry_scan import (
    DatabaseDigestCache,
    ScanResult,
    known_digests,
    record_scan_failure,
    registry_client,
    scan_registry_async,
    store_scan,
)


def run(ctx: JobContext) -> str:
    try:
        registry = Registry.objects.get(pk=ctx.params.get("registry"))
    except Registry.DoesNotExist:
        raise StepFailed("the registry of this scan no longer exists") from None
    only = ctx.params.get("repositories") or None
    what = f" ({', '.join(only)})" if only else ""
    ctx.step(f"scan {registry.name} at {registry.base_url}{what}")
    cache = DatabaseDigestCache(registry)
    known = known_digests(registry, only)

    async def scan(log: Callable[[str], None]) -> ScanResult:
        async with registry_client(registry, cache) as client:
            return await scan_registry_async(client, known, only, log=log)

    try:
        result = ctx.run_async(scan)
    except RegistryError as error:
        record_scan_failure(registry, str(error))
        raise StepFailed(
            f"scan failed: {error}",
            "Nothing was changed: the previous inventory is kept. Check the registry's "
            "address and credentials (Registries page, Test connection).",
        ) from None
    ctx.step("store inventory")
    store_scan(registry, result)
    cache.save()
    summary = (
        f"{len(result.repositories)} repositories, {result.tag_count} tags "
        f"({result.changed_count} new or changed), {result.requests} requests "
        f"in {result.seconds:.2f} s"
    )
    if result.failures:
        failed = "; ".join(f"{k}: {v}" for k, v in list(result.failures.items())[:5])
        raise StepFailed(
            f"{summary}; {len(result.failures)} failed: {failed}",
            "What failed kept its previous inventory; everything else was updated. "
            "Fix the cause and scan again.",
        )
    return summary
