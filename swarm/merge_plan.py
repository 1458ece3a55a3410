"""Plan the merge of several images into one multi-platform index (pure, no I/O).

Like ``docker buildx imagetools create``: index sources are flattened, the result is a Docker
manifest list only when every child is a Docker type, else an OCI index. Unlike it, the
children are sorted (platform, then digest) and serialised compactly with sorted keys, so
the same merge always yields the same bytes and digest, whatever the source order.

distribution 2.8 accepts an index only when every child already exists as a manifest in the
SAME repository (``registry/storage/manifestlisthandler.go``), so for sources in another
repository the plan lists the blobs to mount and the child manifests to PUT by digest first.
Index sources only give child digests: children whose bytes are not supplied are listed in
``manifests_to_fetch``; fetch them, pass them in ``SourceImage.child_manifests`` and plan again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from swarm.manifests import (
    MEDIA_TYPE_DOCKER_LIST,
    MEDIA_TYPE_OCI_INDEX,
    IndexChild,
    Manifest,
    Platform,
    digest_of,
    parse_manifest,
)
from swarm.references import validate_repository, validate_tag

# Layers a registry never stores (Windows foreign layers): nothing to mount.
_NON_DISTRIBUTABLE_PREFIXES = (
    "application/vnd.docker.image.rootfs.foreign.",
    "application/vnd.oci.image.layer.nondistributable.",
)


class MergeConflict(ValueError):
    """Several sources provide the same platform and ``prefer`` does not pick one."""

    def __init__(self, platform: str, references: tuple[str, ...]) -> None:
        self.platform = platform
        self.references = references
        quoted = [f"'{ref}'" for ref in references]
        named = ", ".join(quoted[:-1]) + " and " + quoted[-1]
        both = "both " if len(references) == 2 else ""
        super().__init__(
            f"platform {platform} is provided by {both}{named}; "
            f"choose one with prefer={{'{platform}': <reference>}}"
        )


@dataclass(frozen=True)
class SourceImage:
    """One image to merge, as fetched from the registry."""

    reference: str  # as the user wrote it, e.g. "192.168.31.98:5000/nginx:1.29.0-arm64"
    repository: str
    digest: str
    manifest: Manifest
    raw: bytes = field(repr=False)
    config_platform: Platform | None = None  # required for a single manifest
    # digest -> exact bytes of index children, needed only to copy them across repositories.
    child_manifests: Mapping[str, bytes] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class PlannedChild:
    """A child of the resulting index."""

    digest: str
    size: int
    media_type: str
    platform: Platform | None
    annotations: Mapping[str, str]
    is_attestation: bool
    attests: str | None
    source_reference: str
    source_repository: str
    # The JSON object written into the index for this child.
    descriptor: Mapping[str, object] = field(compare=False, repr=False)


@dataclass(frozen=True)
class BlobMount:
    """``POST /v2/<target>/blobs/uploads/?mount=<digest>&from=<from_repository>``."""

    digest: str
    from_repository: str


@dataclass(frozen=True)
class ManifestPut:
    """``PUT /v2/<target>/manifests/<digest>`` with these exact bytes and Content-Type."""

    digest: str
    media_type: str
    raw: bytes = field(repr=False)
    from_repository: str


@dataclass(frozen=True)
class ManifestFetch:
    """A child manifest whose bytes are needed before it can be copied."""

    digest: str
    media_type: str
    from_repository: str
    source_reference: str


@dataclass(frozen=True)
class DroppedChild:
    digest: str
    source_reference: str
    reason: str


@dataclass(frozen=True)
class MergePlan:
    target_repository: str
    target_tag: str
    children: tuple[PlannedChild, ...]
    media_type: str
    index_bytes: bytes = field(repr=False)
    digest: str
    blobs_to_mount: tuple[BlobMount, ...]
    manifests_to_put: tuple[ManifestPut, ...]
    manifests_to_fetch: tuple[ManifestFetch, ...]
    dropped: tuple[DroppedChild, ...]

    @property
    def complete(self) -> bool:
        """False while child manifests must still be fetched to know what to copy."""
        return not self.manifests_to_fetch

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(str(c.platform) for c in self.children if c.platform and not c.is_attestation)


def platform_text(platform: Platform) -> str:
    """Default conflict key: the platform as written (``os/arch[/variant]``)."""
    return str(platform)


def plan_merge(
    target_repository: str,
    target_tag: str,
    sources: list[SourceImage],
    *,
    keep_attestations: bool = True,
    prefer: dict[str, str] | None = None,
    platform_key: Callable[[Platform], str] = platform_text,
) -> MergePlan:
    """Plan the index that merges ``sources`` into ``target_repository:target_tag``.

    ``platform_key`` decides which platforms are "the same" for conflicts and for the keys of
    ``prefer``; pass a normaliser to treat e.g. ``linux/arm64/v8`` as ``linux/arm64``.
    """
    validate_repository(target_repository)
    validate_tag(target_tag)
    ordered = _validated_sources(sources)
    prefer = dict(prefer or {})
    _check_prefer(prefer, ordered)

    candidates = _dedupe([c for s in ordered for c in _candidates(s)], target_repository)
    images = [c for c in candidates if not c.is_attestation]
    attestations = [c for c in candidates if c.is_attestation]
    images, dropped = _resolve_conflicts(images, prefer, platform_key)
    attestations, dropped_att = _follow_subjects(attestations, images, keep_attestations)
    children = _ordered(images, attestations)
    if not children:
        raise ValueError("the merge would produce an empty index")

    media_type = _result_media_type(children)
    index_bytes = serialise_index(media_type, children)
    by_reference = {s.reference: s for s in ordered}
    mounts, puts, fetches = _copies(children, by_reference, target_repository)
    return MergePlan(
        target_repository=target_repository,
        target_tag=target_tag,
        children=children,
        media_type=media_type,
        index_bytes=index_bytes,
        digest=digest_of(index_bytes),
        blobs_to_mount=mounts,
        manifests_to_put=puts,
        manifests_to_fetch=fetches,
        dropped=tuple(sorted(dropped + dropped_att, key=lambda d: (d.digest, d.source_reference))),
    )


def serialise_index(media_type: str, children: Iterable[PlannedChild]) -> bytes:
    """Compact JSON with sorted keys: identical input, identical bytes."""
    index = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "manifests": [dict(c.descriptor) for c in children],
    }
    text = json.dumps(index, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


# --- sources and candidates ---------------------------------------------------------------


def _validated_sources(sources: list[SourceImage]) -> list[SourceImage]:
    if not sources:
        raise ValueError("nothing to merge: no sources given")
    for source in sources:
        _check_source(source)
    # Sorting makes every later step independent of the order the caller used.
    return sorted(sources, key=lambda s: (s.reference, s.digest))


def _check_source(source: SourceImage) -> None:
    actual = digest_of(source.raw)
    if actual != source.digest:
        raise ValueError(
            f"source '{source.reference}': bytes hash to {actual}, not {source.digest}"
        )
    for digest, raw in source.child_manifests.items():
        if digest_of(raw) != digest:
            raise ValueError(f"source '{source.reference}': child bytes do not match {digest}")


def _check_prefer(prefer: Mapping[str, str], sources: list[SourceImage]) -> None:
    references = {s.reference for s in sources}
    for platform, reference in prefer.items():
        if reference not in references:
            raise ValueError(
                f"prefer maps {platform} to '{reference}', which is not one of the sources"
            )


def _candidates(source: SourceImage) -> list[PlannedChild]:
    if source.manifest.is_index:
        return [_from_index_child(source, child) for child in source.manifest.children]
    return [_from_single(source)]


def _from_index_child(source: SourceImage, child: IndexChild) -> PlannedChild:
    return PlannedChild(
        digest=child.digest,
        size=child.size,
        media_type=child.media_type,
        platform=child.platform,
        annotations=child.annotations,
        is_attestation=child.is_attestation,
        attests=child.attests,
        source_reference=source.reference,
        source_repository=source.repository,
        descriptor=child.raw or _rebuilt_descriptor(child),
    )


def _rebuilt_descriptor(child: IndexChild) -> dict[str, object]:
    return _descriptor(
        child.media_type, child.digest, child.size, child.platform, child.annotations
    )


def _from_single(source: SourceImage) -> PlannedChild:
    platform = source.config_platform
    if platform is None or not platform.os or not platform.architecture:
        raise ValueError(
            f"source '{source.reference}' is a single manifest: "
            "its config platform (os and architecture) is needed"
        )
    media_type = source.manifest.media_type
    size = len(source.raw)
    return PlannedChild(
        digest=source.digest,
        size=size,
        media_type=media_type,
        platform=platform,
        annotations={},
        is_attestation=False,
        attests=None,
        source_reference=source.reference,
        source_repository=source.repository,
        descriptor=_descriptor(media_type, source.digest, size, platform, {}),
    )


def _descriptor(
    media_type: str,
    digest: str,
    size: int,
    platform: Platform | None,
    annotations: Mapping[str, str],
) -> dict[str, object]:
    """An index entry built from parsed fields (when no original JSON is at hand)."""
    descriptor: dict[str, object] = {"mediaType": media_type, "digest": digest, "size": size}
    if platform is not None:
        fields = {"os": platform.os, "architecture": platform.architecture}
        if platform.variant:
            fields["variant"] = platform.variant
        descriptor["platform"] = fields
    if annotations:
        descriptor["annotations"] = dict(annotations)
    return descriptor


def _dedupe(candidates: list[PlannedChild], target_repository: str) -> list[PlannedChild]:
    """One entry per digest, preferring a copy already in the target repository."""
    chosen: dict[str, PlannedChild] = {}
    for candidate in candidates:
        current = chosen.get(candidate.digest)
        if current is None or (
            current.source_repository != target_repository
            and candidate.source_repository == target_repository
        ):
            chosen[candidate.digest] = candidate
    return list(chosen.values())


# --- conflicts and attestations -----------------------------------------------------------


def _resolve_conflicts(
    images: list[PlannedChild],
    prefer: Mapping[str, str],
    platform_key: Callable[[Platform], str],
) -> tuple[list[PlannedChild], list[DroppedChild]]:
    by_platform: dict[str, list[PlannedChild]] = {}
    for image in images:
        if image.platform is not None:
            by_platform.setdefault(platform_key(image.platform), []).append(image)

    dropped: list[DroppedChild] = []
    for key, group in by_platform.items():
        references = tuple(sorted({c.source_reference for c in group}))
        if len(references) < 2:
            continue
        winner = prefer.get(key)
        if winner not in references:
            raise MergeConflict(key, references)
        reason = f"{key} taken from '{winner}' (prefer)"
        dropped += [
            DroppedChild(c.digest, c.source_reference, reason)
            for c in group
            if c.source_reference != winner
        ]
    gone = {(d.digest, d.source_reference) for d in dropped}
    kept = [c for c in images if (c.digest, c.source_reference) not in gone]
    return kept, dropped


def _follow_subjects(
    attestations: list[PlannedChild], images: list[PlannedChild], keep: bool
) -> tuple[list[PlannedChild], list[DroppedChild]]:
    """Keep an attestation only with its subject image."""
    if not keep:
        return [], [
            DroppedChild(a.digest, a.source_reference, "attestations not kept")
            for a in attestations
        ]
    subjects = {image.digest for image in images}
    kept = [a for a in attestations if a.attests in subjects]
    dropped = [
        DroppedChild(a.digest, a.source_reference, f"its subject {a.attests} is not in the result")
        for a in attestations
        if a.attests not in subjects
    ]
    return kept, dropped


def _ordered(
    images: list[PlannedChild], attestations: list[PlannedChild]
) -> tuple[PlannedChild, ...]:
    """Images by platform then digest; attestations after them, in their subjects' order."""

    def image_key(c: PlannedChild) -> tuple[int, str, str, str, str]:
        p = c.platform
        if p is None:
            return (1, "", "", "", c.digest)
        return (0, p.os, p.architecture, p.variant, c.digest)

    sorted_images = sorted(images, key=image_key)
    position = {c.digest: i for i, c in enumerate(sorted_images)}
    sorted_attestations = sorted(attestations, key=lambda a: (position[a.attests or ""], a.digest))
    return tuple(sorted_images + sorted_attestations)


def _result_media_type(children: Iterable[PlannedChild]) -> str:
    # Same rule as buildx imagetools: a Docker list only if every child is a Docker type.
    if all(c.media_type.startswith("application/vnd.docker.") for c in children):
        return MEDIA_TYPE_DOCKER_LIST
    return MEDIA_TYPE_OCI_INDEX


# --- cross-repository copies --------------------------------------------------------------


def _copies(
    children: tuple[PlannedChild, ...],
    sources: Mapping[str, SourceImage],
    target_repository: str,
) -> tuple[tuple[BlobMount, ...], tuple[ManifestPut, ...], tuple[ManifestFetch, ...]]:
    mounts: dict[str, BlobMount] = {}
    puts: list[ManifestPut] = []
    fetches: list[ManifestFetch] = []
    for child in children:
        if child.source_repository == target_repository:
            continue
        source = sources[child.source_reference]
        raw = _child_bytes(child, source)
        if raw is None:
            fetches.append(
                ManifestFetch(
                    child.digest, child.media_type, child.source_repository, source.reference
                )
            )
            continue
        manifest = _child_manifest(child, source, raw)
        for blob in _blobs(manifest):
            mounts.setdefault(blob, BlobMount(blob, child.source_repository))
        puts.append(ManifestPut(child.digest, manifest.media_type, raw, child.source_repository))
    return tuple(mounts.values()), tuple(puts), tuple(fetches)


def _child_bytes(child: PlannedChild, source: SourceImage) -> bytes | None:
    if not source.manifest.is_index:
        return source.raw
    return source.child_manifests.get(child.digest)


def _child_manifest(child: PlannedChild, source: SourceImage, raw: bytes) -> Manifest:
    if source.manifest.is_index and len(raw) != child.size:
        raise ValueError(
            f"source '{source.reference}': child {child.digest} is {len(raw)} bytes, "
            f"its descriptor says {child.size}"
        )
    manifest = parse_manifest(raw, child.media_type)
    if manifest.is_index:
        raise ValueError(
            f"source '{source.reference}': child {child.digest} is itself an index; "
            "copying nested indexes across repositories is not supported"
        )
    return manifest


def _blobs(manifest: Manifest) -> list[str]:
    """Config and layer digests a registry must hold for this manifest."""
    blobs = [manifest.config.digest] if manifest.config else []
    blobs += [
        layer.digest
        for layer in manifest.layers
        if not layer.media_type.startswith(_NON_DISTRIBUTABLE_PREFIXES)
    ]
    return blobs
