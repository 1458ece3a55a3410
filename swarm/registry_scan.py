"""Registry scans: fetch a registry's inventory (async, bounded concurrency) and store it.

A cold scan costs, per tag: one manifest GET, plus one config GET for a single manifest,
or one child manifest and one config GET for an index (its children's platforms are in
the index itself). A rescan costs one HEAD per tag plus the listing requests: a tag whose
digest did not change is not fetched again, and content by digest comes from the cache.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from swarm.inventory import (
    ConfigFacts,
    ImageRecord,
    TagRecord,
    config_facts,
    first_image_child,
    tag_record,
)
from swarm.models import CachedContent as CachedRow
from swarm.models import Registry, Repository, Tag, TagImage
from swarm.registry import CachedContent, MemoryDigestCache, RegistryClient, RegistryError


def registry_client(registry: Registry, cache: MemoryDigestCache | None = None) -> RegistryClient:
    return RegistryClient(
        registry.base_url,
        username=registry.username or None,
        password=registry.password or None,
        token=registry.token or None,
        verify_tls=registry.verify_tls,
        timeout=settings.REGISTRY_TIMEOUT,
        concurrency=settings.REGISTRY_CONCURRENCY,
        cache=cache,
        share_discovery=True,  # a worker's later jobs skip the GET /v2/ round trip
    )


class BoundedDigestCache(MemoryDigestCache):
    """A by-digest cache for long-lived clients: drops the oldest half when full."""

    def __init__(self, limit: int = 4096) -> None:
        super().__init__()
        self.limit = limit

    def put(self, digest: str, content: CachedContent) -> None:
        if len(self.entries) >= self.limit:
            for old in list(self.entries)[: self.limit // 2]:
                del self.entries[old]
        super().put(digest, content)


_shared_clients: dict[tuple[object, ...], RegistryClient] = {}


@asynccontextmanager
async def shared_registry_client(registry: Registry) -> AsyncIterator[RegistryClient]:
    """An open client kept for the worker's I/O loop, one per registry and credentials:
    its connections and by-digest cache serve the next job too. Not closed on exit."""
    secrets = hashlib.sha256(f"{registry.password}\0{registry.token}".encode()).hexdigest()
    key = (registry.base_url, registry.username, secrets, registry.verify_tls,
           settings.REGISTRY_TIMEOUT, settings.REGISTRY_CONCURRENCY,
           id(asyncio.get_running_loop()))
    client = _shared_clients.get(key)
    if client is None:
        if not _shared_clients:
            atexit.register(_close_shared_clients, asyncio.get_running_loop())
        client = registry_client(registry, BoundedDigestCache())
        await client.__aenter__()
        _shared_clients[key] = client
    yield client


def _close_shared_clients(loop: asyncio.AbstractEventLoop) -> None:
    """At exit: close the kept sessions cleanly (aiohttp complains about open ones)."""
    async def close_all() -> None:
        for client in list(_shared_clients.values()):
            await client.close()
        _shared_clients.clear()

    if loop.is_running():
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close_all(), loop).result(timeout=2)


class DatabaseDigestCache(MemoryDigestCache):
    """The client's by-digest cache, loaded from the database before a scan and saved after
    it (one query each way, not one per request)."""

    def __init__(self, registry: Registry) -> None:
        super().__init__()
        self.registry = registry
        self.new: set[str] = set()
        for digest, media_type, data in CachedRow.objects.filter(registry=registry).values_list(
            "digest", "media_type", "data"
        ):
            self.entries[digest] = CachedContent(bytes(data), media_type)

    def put(self, digest: str, content: CachedContent) -> None:
        if digest not in self.entries:
            self.new.add(digest)
        super().put(digest, content)

    def save(self) -> None:
        CachedRow.objects.bulk_create(
            [CachedRow(registry=self.registry, digest=d, media_type=self.entries[d].media_type,
                       data=self.entries[d].raw) for d in sorted(self.new)],
            ignore_conflicts=True, batch_size=500,
        )
        self.new.clear()


@dataclass
class RepositoryScan:
    name: str
    tags: list[str] = field(default_factory=list)
    changed: list[TagRecord] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)  # known before, gone now
    error: str = ""
    tag_errors: dict[str, str] = field(default_factory=dict)


@dataclass
class ScanResult:
    repositories: list[RepositoryScan]
    full: bool  # the whole catalog (repositories missing from it are removed)
    requests: int = 0
    seconds: float = 0.0

    @property
    def tag_count(self) -> int:
        return sum(len(repo.tags) for repo in self.repositories)

    @property
    def changed_count(self) -> int:
        return sum(len(repo.changed) for repo in self.repositories)

    @property
    def failures(self) -> dict[str, str]:
        failed = {repo.name: repo.error for repo in self.repositories if repo.error}
        for repo in self.repositories:
            for tag, error in repo.tag_errors.items():
                failed[f"{repo.name}:{tag}"] = error
        return failed


Log = Callable[[str], None]


async def scan_registry_async(
    client: RegistryClient,
    known: dict[str, dict[str, str]],
    only: list[str] | None = None,
    log: Log = lambda line: None,
) -> ScanResult:
    """Fetch the inventory. ``known`` maps repository -> tag -> digest from the last scan;
    ``only`` limits the scan to these repositories (e.g. after a build pushed one)."""
    started = time.monotonic()
    names = only if only is not None else await client.catalog()
    log(f"{len(names)} repositories" + ("" if only is not None else " in the catalog"))
    configs: dict[str, ConfigFacts] = {}
    repos = await asyncio.gather(
        *(_scan_repository(client, name, known.get(name, {}), configs, log) for name in names)
    )
    # Children of lists made from per-arch tags are dated by those tags' configs.
    for repo in repos:
        for record in repo.changed:
            for image in record.images:
                if image.created is None and not image.is_attestation and image.digest in configs:
                    image.created = configs[image.digest].created
    return ScanResult(list(repos), full=only is None, requests=client.requests.total,
                      seconds=time.monotonic() - started)


async def _scan_repository(
    client: RegistryClient, name: str, known: dict[str, str], configs: dict[str, ConfigFacts],
    log: Log,
) -> RepositoryScan:
    scan = RepositoryScan(name)
    try:
        scan.tags = await client.tags(name)
    except RegistryError as error:
        scan.error = str(error)
        log(f"{name}: {error}")
        return scan
    results = await asyncio.gather(
        *(_scan_tag(client, name, tag, known.get(tag), configs) for tag in scan.tags),
        return_exceptions=True,
    )
    scan.vanished = sorted(set(known) - set(scan.tags))
    for tag, result in zip(scan.tags, results, strict=True):
        if isinstance(result, RegistryError):
            scan.tag_errors[tag] = str(result)
        elif isinstance(result, BaseException):
            raise result
        elif result is None:
            scan.unchanged.append(tag)
        else:
            scan.changed.append(result)
    changed = f", {len(scan.changed)} new or changed" if known else ""
    failed = f", {len(scan.tag_errors)} failed" if scan.tag_errors else ""
    log(f"{name}: {len(scan.tags)} tags{changed}{failed}")
    for tag, error in scan.tag_errors.items():
        log(f"{name}:{tag}: {error}")
    return scan


async def _scan_tag(
    client: RegistryClient, repo: str, tag: str, known_digest: str | None,
    configs: dict[str, ConfigFacts],
) -> TagRecord | None:
    if known_digest:
        head = await client.head_manifest(repo, tag)
        if head.digest == known_digest:
            return None
        result = await client.get_manifest(repo, head.digest)
    else:
        result = await client.get_manifest(repo, tag)
    manifest = result.manifest
    if manifest.is_index:
        child = first_image_child(manifest)
        if child:
            child_result = await client.get_manifest(repo, child)
            await _learn_config(client, repo, child, child_result.manifest, configs)
    else:
        await _learn_config(client, repo, result.digest, manifest, configs)
    return tag_record(tag, result.digest, manifest, len(result.raw), configs)


async def _learn_config(
    client: RegistryClient, repo: str, digest: str, manifest: object,
    configs: dict[str, ConfigFacts],
) -> None:
    config = getattr(manifest, "config", None)
    if config is None or digest in configs:
        return
    configs[digest] = config_facts(await client.get_blob(repo, config.digest))


# ---- storing -----------------------------------------------------------------------


def known_digests(registry: Registry, only: list[str] | None = None) -> dict[str, dict[str, str]]:
    rows = Tag.objects.filter(repository__registry=registry)
    if only is not None:
        rows = rows.filter(repository__name__in=only)
    known: dict[str, dict[str, str]] = {}
    for repo, tag, digest in rows.values_list("repository__name", "name", "digest"):
        known.setdefault(repo, {})[tag] = digest
    return known


@transaction.atomic
def store_scan(registry: Registry, result: ScanResult) -> None:
    """Write a scan. A repository (or tag) that failed keeps what the last scan stored.

    Changed tags are replaced in bulk (delete, then one insert for the tags and one for
    their images), so a cold scan of 500 tags is a handful of queries, not thousands.
    """
    now = timezone.now()
    if result.full:
        names = [repo.name for repo in result.repositories]
        Repository.objects.filter(registry=registry).exclude(name__in=names).delete()
    existing = {r.name: r for r in Repository.objects.filter(registry=registry)}
    Repository.objects.bulk_create(
        [Repository(registry=registry, name=scan.name) for scan in result.repositories
         if scan.name not in existing],
        ignore_conflicts=True,
    )
    repositories = {r.name: r for r in Repository.objects.filter(registry=registry)}
    new_tags: list[Tag] = []
    records: list[TagRecord] = []
    clean: list[int] = []  # repositories whose every tag was checked just now
    for scan in result.repositories:
        repository = repositories[scan.name]
        if scan.error:
            repository.error = scan.error
            continue
        # Only what changed costs queries: a rescan with nothing new is a few statements.
        if scan.vanished:
            Tag.objects.filter(repository=repository, name__in=scan.vanished).delete()
        if scan.changed:
            Tag.objects.filter(repository=repository,
                               name__in=[r.name for r in scan.changed]).delete()
        if scan.tag_errors:
            Tag.objects.filter(repository=repository, name__in=scan.unchanged).update(
                checked_at=now)
        else:
            clean.append(repository.pk)
        for record in scan.changed:
            new_tags.append(_tag_row(repository, record, now))
            records.append(record)
        repository.tag_count = len(scan.tags)
        repository.error = "; ".join(f"{t}: {e}" for t, e in scan.tag_errors.items())[:2000]
        repository.scanned_at = now
    Tag.objects.filter(repository_id__in=clean).update(checked_at=now)
    Repository.objects.bulk_update(
        [repositories[scan.name] for scan in result.repositories],
        ["tag_count", "error", "scanned_at"], batch_size=500,
    )
    Tag.objects.bulk_create(new_tags, batch_size=500)
    TagImage.objects.bulk_create(
        [_image_row(tag, image) for tag, record in zip(new_tags, records, strict=True)
         for image in record.images],
        batch_size=1000,
    )
    _update_counts(registry, result, now)


@transaction.atomic
def store_tag_records(registry: Registry, repository_name: str, records: list[TagRecord]) -> None:
    """Record tags that swarmdeck itself just pushed (a merge knows every byte it wrote),
    without another round of requests to the registry."""
    now = timezone.now()
    repository, created = Repository.objects.get_or_create(registry=registry,
                                                           name=repository_name)
    _, deleted = Tag.objects.filter(repository=repository,
                                    name__in=[r.name for r in records]).delete()
    tags = Tag.objects.bulk_create([_tag_row(repository, record, now) for record in records])
    TagImage.objects.bulk_create(
        [_image_row(tag, image) for tag, record in zip(tags, records, strict=True)
         for image in record.images]
    )
    # Counts move by what changed here; the next scan recounts everything anyway.
    added = len(records) - deleted.get(Tag._meta.label, 0)
    Repository.objects.filter(pk=repository.pk).update(tag_count=F("tag_count") + added)
    Registry.objects.filter(pk=registry.pk).update(
        tag_count=F("tag_count") + added, repository_count=F("repository_count") + created)


def _tag_row(repository: Repository, record: TagRecord, now: object) -> Tag:
    return Tag(
        repository=repository, name=record.name, digest=record.digest,
        media_type=record.media_type, kind=record.kind, size=record.size,
        created=record.created, platforms=record.platforms,
        attestation_count=record.attestation_count, subject_digest=record.subject_digest,
        checked_at=now,
    )


def _image_row(tag: Tag, i: ImageRecord) -> TagImage:
    return TagImage(tag=tag, position=i.position, digest=i.digest, media_type=i.media_type,
                    size=i.size, platform=i.platform, raw_platform=i.raw_platform,
                    is_attestation=i.is_attestation, attests=i.attests, created=i.created)


def _update_counts(registry: Registry, result: ScanResult, now: object) -> None:
    registry.repository_count = Repository.objects.filter(registry=registry).count()
    registry.tag_count = Tag.objects.filter(repository__registry=registry).count()
    registry.image_count = TagImage.objects.filter(
        tag__repository__registry=registry, is_attestation=False
    ).values("digest").distinct().count()
    registry.last_scan_at = now
    registry.last_scan_ok = not result.failures
    registry.last_error = "\n".join(f"{k}: {v}" for k, v in result.failures.items())[:4000]
    registry.save(update_fields=[
        "repository_count", "tag_count", "image_count", "last_scan_at", "last_scan_ok",
        "last_error",
    ])


def scan_and_store(
    registry: Registry,
    only: list[str] | None,
    run_async: Callable[[Callable[[Callable[[str], None]], Awaitable[ScanResult]]], ScanResult],
) -> ScanResult:
    """Scan (all, or ``only`` these repositories) and store the result.

    ``run_async`` runs the fetching coroutine and streams its log lines: a job's
    ``ctx.run_async``. Raises RegistryError when the registry cannot be listed at all.
    """
    cache = DatabaseDigestCache(registry)
    known = known_digests(registry, only)

    async def scan(log: Callable[[str], None]) -> ScanResult:
        async with registry_client(registry, cache) as client:
            return await scan_registry_async(client, known, only, log=log)

    result = run_async(scan)
    store_scan(registry, result)
    cache.save()
    return result


def record_scan_failure(registry: Registry, message: str) -> None:
    Registry.objects.filter(pk=registry.pk).update(
        last_scan_at=timezone.now(), last_scan_ok=False, last_error=message[:4000]
    )
