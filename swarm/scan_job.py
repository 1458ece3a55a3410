"""The registry scan job: one registry's inventory into the database."""

from __future__ import annotations

from swarm.jobs import JobContext, StepFailed
from swarm.models import Registry
from swarm.registry import RegistryError
from swarm.registry_scan import record_scan_failure, scan_and_store


def run(ctx: JobContext) -> str:
    try:
        registry = Registry.objects.get(pk=ctx.params.get("registry"))
    except Registry.DoesNotExist:
        raise StepFailed("the registry of this scan no longer exists") from None
    only = ctx.params.get("repositories") or None
    what = f" ({', '.join(only)})" if only else ""
    ctx.step(f"scan {registry.name} at {registry.base_url}{what}")
    try:
        result = scan_and_store(registry, only, ctx.run_async)
    except RegistryError as error:
        record_scan_failure(registry, str(error))
        raise StepFailed(
            f"scan failed: {error}",
            "Nothing was changed: the previous inventory is kept. Check the registry's "
            "address and credentials (Registries page, Test connection).",
        ) from None
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
