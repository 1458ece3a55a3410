"""Registry manifests: media types, digests and a strict parser (pure, no I/O).

Facts used here (see DOMAIN.md section 4):
- always send all four manifest types in ``Accept``; a registry otherwise answers 404 for an
  OCI index or silently rewrites a Docker list to its linux/amd64 child;
- decide the kind from ``Content-Type``, then the body's ``mediaType``, then its shape;
- digests are sha256 of the exact bytes;
- buildx attestation manifests are index children with platform ``unknown/unknown`` and the
  annotation ``vnd.docker.reference.type: attestation-manifest``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeGuard

MEDIA_TYPE_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_TYPE_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MEDIA_TYPE_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_TYPE_OCI_INDEX = "application/vnd.oci.image.index.v1+json"

# Indexes first, so a registry that honours order prefers the multi-platform answer.
ACCEPT = ", ".join(
    (
        MEDIA_TYPE_OCI_INDEX,
        MEDIA_TYPE_DOCKER_LIST,
        MEDIA_TYPE_OCI_MANIFEST,
        MEDIA_TYPE_DOCKER_MANIFEST,
    )
)

# Docker schema1 types: recognised only to refuse them with a clear message.
_SCHEMA1_MEDIA_TYPES = frozenset(
    {
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    }
)

ANNOTATION_REFERENCE_TYPE = "vnd.docker.reference.type"
ANNOTATION_REFERENCE_DIGEST = "vnd.docker.reference.digest"
ATTESTATION_MANIFEST = "attestation-manifest"

# OCI descriptor digest grammar: algorithm ":" encoded.
_DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
_FALLBACK_TAG_RE = re.compile(r"^sha256-([a-f0-9]{64})(?:\.(?:sig|att|sbom))?$")


class ManifestError(ValueError):
    """A manifest or config blob that cannot be understood."""


class ManifestKind(Enum):
    """The four manifest kinds; the value is the media type."""

    DOCKER_MANIFEST = MEDIA_TYPE_DOCKER_MANIFEST
    OCI_MANIFEST = MEDIA_TYPE_OCI_MANIFEST
    DOCKER_LIST = MEDIA_TYPE_DOCKER_LIST
    OCI_INDEX = MEDIA_TYPE_OCI_INDEX

    @property
    def media_type(self) -> str:
        return self.value

    @property
    def is_index(self) -> bool:
        return self in (ManifestKind.DOCKER_LIST, ManifestKind.OCI_INDEX)

    @property
    def is_docker(self) -> bool:
        return self in (ManifestKind.DOCKER_MANIFEST, ManifestKind.DOCKER_LIST)


@dataclass(frozen=True)
class Platform:
    """A platform exactly as written in a descriptor or config (not normalised)."""

    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        parts = [self.os, self.architecture] + ([self.variant] if self.variant else [])
        return "/".join(parts)

    @property
    def is_unknown(self) -> bool:
        return self.os == "unknown" and self.architecture == "unknown"


@dataclass(frozen=True)
class Descriptor:
    """A config or layer descriptor of a single manifest."""

    digest: str
    size: int
    media_type: str


@dataclass(frozen=True)
class IndexChild:
    """One entry of an index / manifest list."""

    digest: str
    size: int
    media_type: str
    platform: Platform | None
    annotations: Mapping[str, str] = field(default_factory=dict)
    # The descriptor's JSON object as received, so a merge can re-emit it faithfully.
    raw: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_attestation(self) -> bool:
        marked = self.annotations.get(ANNOTATION_REFERENCE_TYPE) == ATTESTATION_MANIFEST
        return marked or (self.platform is not None and self.platform.is_unknown)

    @property
    def attests(self) -> str | None:
        """Digest of the image this attestation describes, if named."""
        return self.annotations.get(ANNOTATION_REFERENCE_DIGEST)


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest: either an index (children) or a single image (config + layers)."""

    kind: ManifestKind
    children: tuple[IndexChild, ...] = ()
    config: Descriptor | None = None
    layers: tuple[Descriptor, ...] = ()

    @property
    def media_type(self) -> str:
        return self.kind.media_type

    @property
    def is_index(self) -> bool:
        return self.kind.is_index

    @property
    def images(self) -> tuple[IndexChild, ...]:
        """Index children that are real platform images (attestations left out)."""
        return tuple(c for c in self.children if not c.is_attestation)

    @property
    def attestations(self) -> tuple[IndexChild, ...]:
        return tuple(c for c in self.children if c.is_attestation)


def digest_of(raw: bytes) -> str:
    """The content digest of the exact bytes."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def is_digest(value: object) -> TypeGuard[str]:
    """True for a well-formed descriptor digest such as ``sha256:<hex>``."""
    return isinstance(value, str) and bool(_DIGEST_RE.match(value))


def fallback_tag_subject(tag: str) -> str | None:
    """The digest a referrers fallback tag (``sha256-<hex>[.sig|.att|.sbom]``) points to."""
    match = _FALLBACK_TAG_RE.match(tag)
    return f"sha256:{match.group(1)}" if match else None


def parse_manifest(raw: bytes, content_type: str | None) -> Manifest:
    """Parse manifest bytes; the kind comes from Content-Type, then mediaType, then shape."""
    body = _load_object(raw, "manifest")
    _check_schema_version(body)
    kind = _kind_from_media_type(content_type)
    if kind is None:
        kind = _kind_from_media_type(_optional_str(body, "mediaType", "manifest"))
    if kind is None:
        kind = _kind_from_shape(body)
    if kind.is_index:
        return Manifest(kind=kind, children=_parse_children(body, kind))
    return _parse_single(body, kind)


def parse_config_platform(raw: bytes) -> tuple[str, str, str]:
    """(os, architecture, variant) from an image config blob; missing fields are ""."""
    body = _load_object(raw, "image config")
    return (
        _optional_str(body, "os", "image config") or "",
        _optional_str(body, "architecture", "image config") or "",
        _optional_str(body, "variant", "image config") or "",
    )


# --- decoding helpers -------------------------------------------------------------------


def _load_object(raw: bytes, what: str) -> dict[str, object]:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ManifestError(f"{what} must be a JSON object, got {type(body).__name__}")
    return body


def _check_schema_version(body: Mapping[str, object]) -> None:
    version = body.get("schemaVersion")
    if version is not None and version != 2:
        raise ManifestError(
            f"unsupported manifest schemaVersion {version!r} "
            "(Docker schema1 manifests are not supported)"
        )


def _kind_from_media_type(media_type: str | None) -> ManifestKind | None:
    """The kind for a manifest media type; None when generic or absent (e.g. application/json)."""
    if not media_type:
        return None
    bare = media_type.split(";", 1)[0].strip().lower()
    if bare in _SCHEMA1_MEDIA_TYPES:
        raise ManifestError(f"Docker schema1 manifests are not supported ({bare})")
    try:
        return ManifestKind(bare)
    except ValueError:
        return None


def _kind_from_shape(body: Mapping[str, object]) -> ManifestKind:
    # Docker v2 types always carry mediaType, so an untyped body is OCI.
    if isinstance(body.get("manifests"), list):
        return ManifestKind.OCI_INDEX
    if isinstance(body.get("config"), dict):
        return ManifestKind.OCI_MANIFEST
    if "fsLayers" in body:
        raise ManifestError("Docker schema1 manifests are not supported")
    raise ManifestError("unknown manifest shape: neither 'manifests' nor 'config' is present")


def _parse_children(body: Mapping[str, object], kind: ManifestKind) -> tuple[IndexChild, ...]:
    entries = body.get("manifests")
    if not isinstance(entries, list):
        raise ManifestError(f"{kind.media_type} body has no 'manifests' list")
    return tuple(_parse_child(entry, i) for i, entry in enumerate(entries))


def _parse_child(entry: object, index: int) -> IndexChild:
    where = f"manifests[{index}]"
    if not isinstance(entry, dict):
        raise ManifestError(f"{where} must be a JSON object")
    digest, size, media_type = _descriptor_fields(entry, where)
    return IndexChild(
        digest=digest,
        size=size,
        media_type=media_type,
        platform=_parse_platform(entry.get("platform"), where),
        annotations=_parse_annotations(entry.get("annotations"), where),
        raw=entry,
    )


def _parse_single(body: Mapping[str, object], kind: ManifestKind) -> Manifest:
    config = body.get("config")
    if not isinstance(config, dict):
        raise ManifestError(f"{kind.media_type} body has no 'config' object")
    layers = body.get("layers", [])
    if not isinstance(layers, list):
        raise ManifestError("'layers' must be a list")
    return Manifest(
        kind=kind,
        config=_parse_descriptor(config, "config"),
        layers=tuple(_parse_descriptor(layer, f"layers[{i}]") for i, layer in enumerate(layers)),
    )


def _parse_descriptor(entry: object, where: str) -> Descriptor:
    if not isinstance(entry, dict):
        raise ManifestError(f"{where} must be a JSON object")
    digest, size, media_type = _descriptor_fields(entry, where)
    return Descriptor(digest=digest, size=size, media_type=media_type)


def _descriptor_fields(entry: Mapping[str, object], where: str) -> tuple[str, int, str]:
    digest = entry.get("digest")
    if not is_digest(digest):
        raise ManifestError(f"{where}: missing or malformed digest {digest!r}")
    size = entry.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ManifestError(f"{where}: size must be a non-negative integer, got {size!r}")
    media_type = entry.get("mediaType")
    if not isinstance(media_type, str) or not media_type:
        raise ManifestError(f"{where}: missing mediaType")
    return digest, size, media_type


def _parse_platform(value: object, where: str) -> Platform | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ManifestError(f"{where}: platform must be a JSON object")
    os_name = _optional_str(value, "os", f"{where}.platform")
    arch = _optional_str(value, "architecture", f"{where}.platform")
    if not os_name or not arch:
        raise ManifestError(f"{where}: platform needs both 'os' and 'architecture'")
    variant = _optional_str(value, "variant", f"{where}.platform") or ""
    return Platform(os=os_name, architecture=arch, variant=variant)


def _parse_annotations(value: object, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ManifestError(f"{where}: annotations must map strings to strings")
    return dict(value)


def _optional_str(body: Mapping[str, object], key: str, where: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise ManifestError(f"{where}: '{key}' must be a string, got {value!r}")
    return value
