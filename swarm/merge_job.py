"""The manifest merge job: per-arch images into one multi-platform tag, natively through
the registry API (DOMAIN.md sections 4-5), verified by reading the tag back.

Steps, each in the job log: fetch the sources (in parallel); plan the index (pure,
``swarm/merge_plan.py``); for sources in other repositories mount every blob and PUT every
child manifest by digest with its exact bytes (distribution 2.8 wants children in the same
repository); PUT the index; read the tag back and check digest and platforms; record the
new tag in the inventory from what was pushed. Never deletes anything. Running it twice gives the
same digest and no error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.urls import reverse

from swarm.inventory import ConfigFacts, config_facts, normalised, tag_record
from swarm.jobs import JobContext, StepFailed
from swarm.manifests import Manifest, parse_config_platform, parse_manifest
from swarm.manifests import Platform as ManifestPlatform
from swarm.merge_plan import MergeConflict, MergePlan, SourceImage, plan_merge
from swarm.models import Registry
from swarm.references import parse_reference
from swarm.registry import RegistryClient, RegistryError, RegistryNotFound
from swarm.registry_scan import shared_registry_client, store_tag_records

Log = Callable[[str], None]

DELETE_TRAP = (
    "swarmdeck never deletes. On distribution 2.8, deleting works only by digest and removes "
    "every tag on that digest: deleting the per-arch source tags after a same-repository "
    "merge deletes the children of the new index, and garbage-collect --delete-untagged "
    "removes untagged children of indexes (distribution#3178). Keep the per-arch tags."
)


@dataclass(frozen=True)
class MergeRequest:
    registry: Registry
    target_repository: str
    target_tag: str
    sources: list[tuple[str, str, str]]  # (as written, repository, tag or digest)
    keep_attestations: bool = True
    prefer: dict[str, str] | None = None

    @property
    def target(self) -> str:
        return f"{self.registry.host}/{self.target_repository}:{self.target_tag}"


def _in_registry(text: str, registry: Registry, role: str) -> tuple[str, str]:
    """(repository, tag-or-digest) of a reference that must live on ``registry``."""
    ref = parse_reference(text)
    if ref.registry and ref.registry.lower() != registry.host.lower():
        raise ValueError(
            f"{role} '{text}' is on registry '{ref.registry}', not on '{registry.host}': "
            "a merge cannot copy between registries; push it there first"
        )
    pointer = ref.digest or ref.tag
    if not pointer:
        raise ValueError(f"{role} '{text}' needs a tag or a digest")
    return ref.repository, pointer


def merge_request(params: dict[str, object]) -> MergeRequest:
    """The job's parameters, validated (ValueError says which one is wrong and why)."""
    try:
        registry = Registry.objects.get(pk=params.get("registry"))
    except (Registry.DoesNotExist, ValueError, TypeError):
        raise ValueError("the registry of this merge is not known to swarmdeck") from None
    target_repository, target_tag = _in_registry(str(params.get("target", "")), registry,
                                                 "target")
    if target_tag.startswith("sha256:"):
        raise ValueError("the target needs a tag, not a digest")
    sources = params.get("sources") or []
    if not isinstance(sources, list) or len(sources) < 2:
        raise ValueError("a merge needs at least two sources")
    parsed = [(str(s), *_in_registry(str(s), registry, "source")) for s in sources]
    for written, repo, ref in parsed:
        if (repo, ref) == (target_repository, target_tag):
            raise ValueError(
                f"the target {target_repository}:{target_tag} is also a source ('{written}'): "
                "merge into a new tag, so the per-arch tag keeps pointing at its image"
            )
    prefer = params.get("prefer") or None
    return MergeRequest(registry, target_repository, target_tag, parsed,
                        keep_attestations=bool(params.get("keep_attestations", True)),
                        prefer=dict(prefer) if isinstance(prefer, dict) else None)


def normalised_key(platform: ManifestPlatform) -> str:
    """Conflicts compare normalised platforms: linux/arm64/v8 is linux/arm64 (one that
    cannot be normalised is compared as written)."""
    normal, written = normalised(platform)
    return normal or written


async def fetch_source(client: RegistryClient, written: str, repo: str, ref: str,
                       log: Log, configs: dict[str, ConfigFacts]) -> SourceImage:
    try:
        result = await client.get_manifest(repo, ref)
    except RegistryNotFound:
        raise RegistryNotFound(f"source '{written}' not found: no {repo}:{ref}") from None
    platform = None
    if not result.manifest.is_index and result.manifest.config is not None:
        config = await client.get_blob(repo, result.manifest.config.digest)
        os_name, arch, variant = parse_config_platform(config)
        platform = ManifestPlatform(os_name, arch, variant)
        configs[result.digest] = config_facts(config)
    kind = "index" if result.manifest.is_index else f"image {platform}"
    log(f"source {written}: {kind} {result.digest}")
    return SourceImage(reference=written, repository=repo, digest=result.digest,
                       manifest=result.manifest, raw=result.raw, config_platform=platform)


async def plan_with_children(client: RegistryClient, request: MergeRequest,
                             sources: list[SourceImage], log: Log) -> MergePlan:
    """Plan; where index children must be copied across repositories, fetch their bytes
    and plan again."""
    def plan(current: list[SourceImage]) -> MergePlan:
        return plan_merge(request.target_repository, request.target_tag, current,
                          keep_attestations=request.keep_attestations,
                          prefer=request.prefer, platform_key=normalised_key)

    merge_plan = plan(sources)
    if merge_plan.complete:
        return merge_plan
    log(f"fetching {len(merge_plan.manifests_to_fetch)} child manifest(s) to copy them")
    fetched = await asyncio.gather(*(client.get_manifest(f.from_repository, f.digest)
                                     for f in merge_plan.manifests_to_fetch))
    extra = {r.digest: r.raw for r in fetched}
    enriched = [replace(s, child_manifests={**s.child_manifests, **extra}) for s in sources]
    return plan(enriched)


async def current_target(client: RegistryClient, request: MergeRequest) -> Manifest | None:
    try:
        return (await client.get_manifest(request.target_repository, request.target_tag)
                ).manifest
    except RegistryNotFound:
        return None


def refuse_dropping_platforms(current: Manifest | None, request: MergeRequest,
                              merge_plan: MergePlan) -> None:
    """An existing target must not silently lose a platform none of the sources has."""
    if current is None or not current.is_index:
        return
    kept = {normalised_key(c.platform) for c in merge_plan.children
            if c.platform and not c.is_attestation}
    lost = [(normalised_key(c.platform), c.digest) for c in current.images
            if c.platform and normalised_key(c.platform) not in kept]
    if lost:
        add = ", ".join(f"{request.target_repository}@{digest} ({platform})"
                        for platform, digest in lost)
        raise ValueError(
            f"{request.target_repository}:{request.target_tag} now also has "
            f"{', '.join(p for p, _ in lost)}, which no source provides: the merge would drop "
            f"it. Add it as a source to keep it: {add}"
        )


async def execute(client: RegistryClient, merge_plan: MergePlan, log: Log) -> None:
    target = merge_plan.target_repository
    if merge_plan.blobs_to_mount:
        log(f"mounting {len(merge_plan.blobs_to_mount)} blob(s) into {target}")
        mounted = await asyncio.gather(*(client.mount_blob(target, m.digest, m.from_repository)
                                         for m in merge_plan.blobs_to_mount))
        for mount, ok in zip(merge_plan.blobs_to_mount, mounted, strict=True):
            if not ok and not await client.blob_exists(target, mount.digest):
                raise RegistryError(
                    f"the registry did not mount blob {mount.digest} from "
                    f"'{mount.from_repository}' into '{target}': the account needs pull on "
                    "the source and push on the target repository"
                )
    for put in merge_plan.manifests_to_put:  # children before the index that names them
        await client.put_manifest(target, put.digest, put.raw, put.media_type)
        log(f"copied child manifest {put.digest} from {put.from_repository}")
    digest = await client.put_manifest(target, merge_plan.target_tag, merge_plan.index_bytes,
                                       merge_plan.media_type)
    log(f"pushed {target}:{merge_plan.target_tag} -> {digest}")


async def verify(client: RegistryClient, merge_plan: MergePlan, log: Log) -> None:
    """Read the tag back from the registry (by tag: never from our cache)."""
    result = await client.get_manifest(merge_plan.target_repository, merge_plan.target_tag)
    back = parse_manifest(result.raw, result.media_type)
    platforms = sorted(normalised_key(c.platform) for c in back.images if c.platform)
    expected = sorted(normalised_key(c.platform) for c in merge_plan.children
                      if c.platform and not c.is_attestation)
    if result.digest != merge_plan.digest or platforms != expected:
        raise RegistryError(
            f"read-back mismatch: the tag is {result.digest} with {', '.join(platforms)}, "
            f"expected {merge_plan.digest} with {', '.join(expected)}"
        )
    log(f"verified: {merge_plan.target_tag} is {result.digest} with {', '.join(platforms)}")


def run(ctx: JobContext) -> str:
    try:
        request = merge_request(ctx.params)
    except ValueError as error:
        raise StepFailed(f"invalid merge: {error}", "Fix the references and try again.") from None
    dry_run = bool(ctx.params.get("dry_run"))
    ctx.step(f"merge {len(request.sources)} sources into {request.target}"
             + (" (dry run)" if dry_run else ""))

    configs: dict[str, ConfigFacts] = {}

    async def work(log: Log) -> MergePlan:
        async with shared_registry_client(request.registry) as client:
            target = asyncio.ensure_future(current_target(client, request))
            sources = await asyncio.gather(*(fetch_source(client, *s, log=log, configs=configs)
                                             for s in request.sources))
            merge_plan = await plan_with_children(client, request, list(sources), log)
            _log_plan(merge_plan, log)
            refuse_dropping_platforms(await target, request, merge_plan)
            if not dry_run:
                await execute(client, merge_plan, log)
                await verify(client, merge_plan, log)
            return merge_plan

    try:
        merge_plan = ctx.run_async(work)
    except MergeConflict as conflict:
        raise StepFailed(f"platform conflict: {conflict}",
                         "Pick the source to use for that platform, or leave one out.") from None
    except RegistryError as error:
        raise StepFailed(f"merge failed: {error}", _diagnosis(error)) from None
    except ValueError as error:
        raise StepFailed(f"merge refused: {error}") from None
    kind = "Docker manifest list" if "docker" in merge_plan.media_type else "OCI index"
    summary = (f"{request.target} {'would be' if dry_run else 'is now'} a {kind} of "
               f"{', '.join(merge_plan.platforms)} ({merge_plan.digest})")
    if dry_run:
        return summary
    # The inventory learns the new tag from what was pushed: no further requests.
    index = parse_manifest(merge_plan.index_bytes, merge_plan.media_type)
    store_tag_records(request.registry, request.target_repository, [tag_record(
        request.target_tag, merge_plan.digest, index, len(merge_plan.index_bytes), configs)])
    ctx.job.result_url = reverse("swarm:tag", args=[request.registry.pk,
                                                   request.target_repository,
                                                   request.target_tag])
    type(ctx.job).objects.filter(pk=ctx.job.pk).update(result_url=ctx.job.result_url)
    return summary


def _log_plan(merge_plan: MergePlan, log: Log) -> None:
    for child in merge_plan.children:
        what = f"attestation for {child.attests}" if child.is_attestation else child.platform
        log(f"  {what}: {child.digest} from {child.source_reference}")
    for dropped in merge_plan.dropped:
        log(f"  left out {dropped.digest} from {dropped.source_reference}: {dropped.reason}")
    log(f"index: {merge_plan.media_type}, {len(merge_plan.index_bytes)} bytes, "
        f"{merge_plan.digest}")


def _diagnosis(error: RegistryError) -> str:
    text = str(error).lower()
    if "not found" in text:
        return "A source does not exist (check the tag, or scan the registry to refresh the list)."
    if "password" in text or "denied" in text or "unauthor" in text or error.status in (401, 403):
        return ("The registry refused: the account needs pull on every source repository and "
                "push on the target (edit the registry's credentials).")
    return "Nothing was deleted; fix the cause and run the merge again (it is safe to repeat)."
