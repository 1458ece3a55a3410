"""What a registry scan records for one tag, from the manifests it fetched (pure, no I/O)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from swarm import manifests
from swarm.manifests import Manifest, ManifestKind
from swarm.platforms import Platform

KIND_NAMES = {
    ManifestKind.DOCKER_MANIFEST: "docker_manifest",
    ManifestKind.OCI_MANIFEST: "oci_manifest",
    ManifestKind.DOCKER_LIST: "docker_list",
    ManifestKind.OCI_INDEX: "oci_index",
}
_FRACTION = re.compile(r"\.(\d{6})\d+")


@dataclass(frozen=True)
class ConfigFacts:
    platform: str  # normalised, "" when the config names none we understand
    created: datetime | None


@dataclass
class ImageRecord:
    position: int
    digest: str
    media_type: str
    size: int
    platform: str = ""
    raw_platform: str = ""
    is_attestation: bool = False
    attests: str = ""
    created: datetime | None = None


@dataclass
class TagRecord:
    name: str
    digest: str
    media_type: str
    kind: str
    size: int
    images: list[ImageRecord] = field(default_factory=list)
    subject_digest: str = ""

    @property
    def platforms(self) -> list[str]:
        return sorted({i.platform for i in self.images if i.platform and not i.is_attestation})

    @property
    def attestation_count(self) -> int:
        return sum(1 for image in self.images if image.is_attestation)

    @property
    def created(self) -> datetime | None:
        known = [i.created for i in self.images if i.created and not i.is_attestation]
        return max(known) if known else None


def parse_created(value: object) -> datetime | None:
    """Go's RFC 3339 time (nanoseconds, ``Z``) as an aware datetime; None if unusable."""
    if not isinstance(value, str) or not value:
        return None
    text = _FRACTION.sub(r".\1", value.strip()).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def config_facts(raw: bytes) -> ConfigFacts:
    """Platform and creation time from an image config blob; never raises."""
    try:
        os_name, arch, variant = manifests.parse_config_platform(raw)
        platform = str(Platform.create(os_name, arch, variant)) if os_name and arch else ""
    except ValueError:
        platform = ""
    try:
        created = parse_created(json.loads(raw).get("created"))
    except (ValueError, AttributeError):
        created = None
    return ConfigFacts(platform=platform, created=created)


def normalised(platform: manifests.Platform | None) -> tuple[str, str]:
    """(normalised, as written) for an index entry's platform."""
    if platform is None:
        return "", ""
    raw = str(platform)
    if platform.is_unknown:
        return "", raw
    try:
        return str(Platform.create(platform.os, platform.architecture, platform.variant)), raw
    except ValueError:
        return "", raw


def tag_record(
    name: str,
    digest: str,
    manifest: Manifest,
    size: int,
    configs: dict[str, ConfigFacts],
) -> TagRecord:
    """The tag's record. ``configs`` maps a single manifest's digest to its config facts,
    for the tag itself and for any child whose config the scan knows."""
    record = TagRecord(
        name=name, digest=digest, media_type=manifest.media_type,
        kind=KIND_NAMES[manifest.kind], size=size,
        subject_digest=manifests.fallback_tag_subject(name) or "",
    )
    if not manifest.is_index:
        facts = configs.get(digest)
        record.images.append(ImageRecord(
            position=0, digest=digest, media_type=manifest.media_type, size=size,
            platform=facts.platform if facts else "", raw_platform=facts.platform if facts else "",
            created=facts.created if facts else None,
        ))
        return record
    for position, child in enumerate(manifest.children):
        platform, raw_platform = normalised(child.platform)
        attestation = child.is_attestation
        facts = configs.get(child.digest)
        record.images.append(ImageRecord(
            position=position, digest=child.digest, media_type=child.media_type,
            size=child.size, platform="" if attestation else platform, raw_platform=raw_platform,
            is_attestation=attestation, attests=child.attests or "",
            created=facts.created if facts and not attestation else None,
        ))
    return record


def first_image_child(manifest: Manifest) -> str | None:
    """The digest of an index's first real image, whose config dates the whole tag."""
    images = manifest.images
    return images[0].digest if images else None
