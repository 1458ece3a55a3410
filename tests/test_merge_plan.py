"""Merge planning: fixtures from a real buildx push plus synthetic single-arch images."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from swarm.manifests import (
    MEDIA_TYPE_DOCKER_LIST,
    MEDIA_TYPE_DOCKER_MANIFEST,
    MEDIA_TYPE_OCI_INDEX,
    MEDIA_TYPE_OCI_MANIFEST,
    Platform,
    digest_of,
    parse_config_platform,
    parse_manifest,
)
from swarm.merge_plan import (
    BlobMount,
    ManifestFetch,
    MergeConflict,
    SourceImage,
    plan_merge,
)
from tests.shared_fixtures import fixture_text

REG = "192.168.31.98:5000"
BUILDX_INDEX = "registry/oci_index_buildx_2platform_with_attestations.json"
BUILDX_AMD64 = "sha256:53bb024bfb4a0901f0191ed0cd274e8b27e09fb6370619baebc69efa57dc5f0a"
BUILDX_ARM64 = "sha256:73258365be1117bc1e8795ba52ff70d21ffe5c1ae76020f95b627ea3f03a7c09"
BUILDX_ATT_AMD64 = "sha256:139358ae9a70df4ecb2bf74c8a2a843e5d9a4a8dbdb6b7ef296acaf1977cb8fa"
BUILDX_ATT_ARM64 = "sha256:6edb929c0066ac4477a34ee7f051c0a7c2d8b7fc5ac3c0c440809f9371fc70a3"
BASE_LAYER = "sha256:" + "b" * 64


# --- builders -----------------------------------------------------------------------------


def image_bytes(
    arch: str, variant: str = "", *, docker: bool = True, app_layer: str = "1"
) -> tuple[bytes, bytes]:
    """(manifest bytes, config bytes) of a synthetic single-platform image."""
    config = json.dumps({"architecture": arch, "os": "linux", "variant": variant}).encode()
    prefix = "application/vnd.docker." if docker else "application/vnd.oci.image."
    layer_type = (
        "application/vnd.docker.image.rootfs.diff.tar.gzip"
        if docker
        else "application/vnd.oci.image.layer.v1.tar+gzip"
    )
    manifest = {
        "schemaVersion": 2,
        "mediaType": MEDIA_TYPE_DOCKER_MANIFEST if docker else MEDIA_TYPE_OCI_MANIFEST,
        "config": {
            "mediaType": prefix + ("container.image.v1+json" if docker else "config.v1+json"),
            "digest": digest_of(config),
            "size": len(config),
        },
        "layers": [
            {"mediaType": layer_type, "digest": BASE_LAYER, "size": 100},
            {"mediaType": layer_type, "digest": "sha256:" + app_layer * 64, "size": 200},
        ],
    }
    return json.dumps(manifest, indent=3).encode(), config


def single(
    reference: str,
    repository: str,
    arch: str,
    variant: str = "",
    *,
    docker: bool = True,
    app_layer: str = "1",
) -> SourceImage:
    raw, config = image_bytes(arch, variant, docker=docker, app_layer=app_layer)
    return SourceImage(
        reference=reference,
        repository=repository,
        digest=digest_of(raw),
        manifest=parse_manifest(raw, None),
        raw=raw,
        config_platform=Platform(*parse_config_platform(config)),
    )


def buildx_index(repository: str = "app", tag: str = "buildx") -> SourceImage:
    raw = fixture_text(BUILDX_INDEX).encode("utf-8")
    return SourceImage(
        reference=f"{REG}/{repository}:{tag}",
        repository=repository,
        digest=digest_of(raw),
        manifest=parse_manifest(raw, MEDIA_TYPE_OCI_INDEX),
        raw=raw,
    )


def index_of(
    reference: str, repository: str, children: list[tuple[bytes, Platform]], with_bytes: bool
) -> SourceImage:
    """An OCI index over synthetic children, optionally with the children's bytes."""
    descriptors = [
        {
            "mediaType": json.loads(raw)["mediaType"],
            "digest": digest_of(raw),
            "size": len(raw),
            "platform": {"architecture": p.architecture, "os": p.os},
        }
        for raw, p in children
    ]
    raw = json.dumps(
        {"schemaVersion": 2, "mediaType": MEDIA_TYPE_OCI_INDEX, "manifests": descriptors}
    )
    data = raw.encode()
    return SourceImage(
        reference=reference,
        repository=repository,
        digest=digest_of(data),
        manifest=parse_manifest(data, None),
        raw=data,
        child_manifests={digest_of(c): c for c, _ in children} if with_bytes else {},
    )


def decoded(index_bytes: bytes) -> dict[str, Any]:
    body = json.loads(index_bytes)
    assert isinstance(body, dict)
    return body


# --- classic merges -----------------------------------------------------------------------


def test_classic_two_single_arch_sources() -> None:
    arm = single(f"{REG}/nginx:1.29.0-arm64", "nginx", "arm64")
    amd = single(f"{REG}/nginx:1.29.0-amd64", "nginx", "amd64")
    plan = plan_merge("nginx", "1.29.0", [arm, amd])

    assert plan.media_type == MEDIA_TYPE_DOCKER_LIST
    assert plan.platforms == ("linux/amd64", "linux/arm64")
    assert [c.digest for c in plan.children] == [amd.digest, arm.digest]
    assert plan.digest == digest_of(plan.index_bytes)
    body = decoded(plan.index_bytes)
    assert body["mediaType"] == MEDIA_TYPE_DOCKER_LIST
    assert body["schemaVersion"] == 2
    assert body["manifests"] == [
        {
            "mediaType": MEDIA_TYPE_DOCKER_MANIFEST,
            "digest": amd.digest,
            "size": len(amd.raw),
            "platform": {"architecture": "amd64", "os": "linux"},
        },
        {
            "mediaType": MEDIA_TYPE_DOCKER_MANIFEST,
            "digest": arm.digest,
            "size": len(arm.raw),
            "platform": {"architecture": "arm64", "os": "linux"},
        },
    ]
    # Same repository: the children already exist there, nothing to copy.
    assert plan.complete
    assert (plan.blobs_to_mount, plan.manifests_to_put, plan.dropped) == ((), (), ())


def test_index_bytes_are_compact_with_sorted_keys() -> None:
    plan = plan_merge("app", "all", [buildx_index()])
    body = json.loads(plan.index_bytes)
    assert plan.index_bytes == json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    # The result parses back as what it claims to be, with the same four children.
    reparsed = parse_manifest(plan.index_bytes, None)
    assert reparsed.media_type == plan.media_type == MEDIA_TYPE_OCI_INDEX
    original = parse_manifest(fixture_text(BUILDX_INDEX).encode(), None)
    by_digest = sorted(original.children, key=lambda c: c.digest)
    assert sorted(reparsed.children, key=lambda c: c.digest) == by_digest


def test_three_platform_merge_in_platform_order() -> None:
    sources = [
        single(f"{REG}/app:arm64", "app", "arm64"),
        single(f"{REG}/app:armv7", "app", "arm", "v7"),
        single(f"{REG}/app:amd64", "app", "amd64"),
    ]
    plan = plan_merge("app", "latest", sources)
    assert plan.platforms == ("linux/amd64", "linux/arm/v7", "linux/arm64")
    variants = [m["platform"] for m in decoded(plan.index_bytes)["manifests"]]
    assert variants[1] == {"architecture": "arm", "os": "linux", "variant": "v7"}


# --- buildx indexes and attestations ------------------------------------------------------


def test_buildx_index_flattened_with_attestations() -> None:
    armv7 = single(f"{REG}/app:armv7", "app", "arm", "v7")
    plan = plan_merge("app", "latest", [buildx_index(), armv7])

    assert plan.media_type == MEDIA_TYPE_OCI_INDEX
    assert plan.platforms == ("linux/amd64", "linux/arm/v7", "linux/arm64")
    assert [c.digest for c in plan.children] == [
        BUILDX_AMD64,
        armv7.digest,
        BUILDX_ARM64,
        BUILDX_ATT_AMD64,
        BUILDX_ATT_ARM64,
    ]
    attestations = [c for c in plan.children if c.is_attestation]
    assert [a.attests for a in attestations] == [BUILDX_AMD64, BUILDX_ARM64]
    # Index children are written back as they were, annotations included.
    written = decoded(plan.index_bytes)["manifests"]
    assert written[3]["annotations"] == {
        "vnd.docker.reference.digest": BUILDX_AMD64,
        "vnd.docker.reference.type": "attestation-manifest",
    }
    assert written[3]["platform"] == {"architecture": "unknown", "os": "unknown"}


def test_attestations_dropped() -> None:
    armv7 = single(f"{REG}/app:armv7", "app", "arm", "v7")
    plan = plan_merge("app", "latest", [buildx_index(), armv7], keep_attestations=False)
    assert [c.digest for c in plan.children] == [BUILDX_AMD64, armv7.digest, BUILDX_ARM64]
    assert not any(c.is_attestation for c in plan.children)
    assert {d.digest for d in plan.dropped} == {BUILDX_ATT_AMD64, BUILDX_ATT_ARM64}
    # The buildx children are OCI manifests, so the result stays an OCI index.
    assert plan.media_type == MEDIA_TYPE_OCI_INDEX


# --- conflicts ----------------------------------------------------------------------------


def test_conflict_names_both_sources_and_platform() -> None:
    first = single(f"{REG}/app:arm64-a", "app", "arm64", app_layer="2")
    second = single(f"{REG}/app:arm64-b", "app", "arm64", app_layer="3")
    with pytest.raises(MergeConflict) as caught:
        plan_merge("app", "latest", [second, first])
    message = str(caught.value)
    assert "linux/arm64" in message
    assert f"{REG}/app:arm64-a" in message and f"{REG}/app:arm64-b" in message
    assert caught.value.platform == "linux/arm64"
    assert caught.value.references == (f"{REG}/app:arm64-a", f"{REG}/app:arm64-b")
    assert isinstance(caught.value, ValueError)


def test_prefer_resolves_conflict_and_drops_the_losers_attestation() -> None:
    rebuilt = single(f"{REG}/app:arm64-fix", "app", "arm64", docker=False)
    sources = [buildx_index(), rebuilt]
    with pytest.raises(MergeConflict, match="linux/arm64"):
        plan_merge("app", "latest", sources)

    plan = plan_merge("app", "latest", sources, prefer={"linux/arm64": rebuilt.reference})
    assert [c.digest for c in plan.children] == [BUILDX_AMD64, rebuilt.digest, BUILDX_ATT_AMD64]
    reasons = {d.digest: d.reason for d in plan.dropped}
    assert "prefer" in reasons[BUILDX_ARM64]
    assert "subject" in reasons[BUILDX_ATT_ARM64]


def test_prefer_must_name_a_source() -> None:
    amd = single(f"{REG}/app:amd64", "app", "amd64")
    with pytest.raises(ValueError, match="not one of the sources"):
        plan_merge("app", "latest", [amd], prefer={"linux/amd64": f"{REG}/app:typo"})


def test_same_digest_from_two_sources_is_not_a_conflict() -> None:
    amd = single(f"{REG}/app:amd64", "app", "amd64")
    again = SourceImage(
        f"{REG}/app:latest-amd64", "app", amd.digest, amd.manifest, amd.raw, amd.config_platform
    )
    plan = plan_merge("app", "latest", [amd, again])
    assert [c.digest for c in plan.children] == [amd.digest]


def test_platform_key_can_normalise_variants() -> None:
    # The seed list's arm64 child says variant v8; buildx writes none. Raw, they differ.
    v8 = single(f"{REG}/app:arm64v8", "app", "arm64", "v8")
    bare = single(f"{REG}/app:arm64", "app", "arm64")
    assert len(plan_merge("app", "x", [v8, bare]).children) == 2

    def drop_v8(platform: Platform) -> str:
        variant = "" if platform.architecture == "arm64" else platform.variant
        return str(Platform(platform.os, platform.architecture, variant))

    with pytest.raises(MergeConflict, match="linux/arm64"):
        plan_merge("app", "x", [v8, bare], platform_key=drop_v8)


# --- result type --------------------------------------------------------------------------


def test_docker_list_only_when_every_child_is_docker() -> None:
    amd_docker = single(f"{REG}/app:amd64", "app", "amd64")
    arm_docker = single(f"{REG}/app:arm64", "app", "arm64")
    arm_oci = single(f"{REG}/app:arm64-oci", "app", "arm64", docker=False)
    assert plan_merge("app", "t", [amd_docker, arm_docker]).media_type == MEDIA_TYPE_DOCKER_LIST
    mixed = plan_merge("app", "t", [amd_docker, arm_oci])
    assert mixed.media_type == MEDIA_TYPE_OCI_INDEX
    assert decoded(mixed.index_bytes)["mediaType"] == MEDIA_TYPE_OCI_INDEX


# --- determinism --------------------------------------------------------------------------


def test_same_inputs_in_any_order_give_same_bytes() -> None:
    sources = [
        buildx_index("app", "buildx"),
        single(f"{REG}/app:armv7", "app", "arm", "v7"),
        single(f"{REG}/other:s390x", "other", "s390x"),
    ]
    plans = [plan_merge("app", "latest", list(p)) for p in itertools.permutations(sources)]
    assert len({p.index_bytes for p in plans}) == 1
    assert len({p.digest for p in plans}) == 1
    assert len({(p.blobs_to_mount, p.manifests_to_put, p.manifests_to_fetch) for p in plans}) == 1
    # And again from scratch: same digest.
    assert plan_merge("app", "latest", sources).digest == plans[0].digest


# --- cross-repository copies --------------------------------------------------------------


def test_cross_repository_singles_list_blobs_and_manifests() -> None:
    arm = single(f"{REG}/build-arm:1", "build-arm", "arm64", app_layer="4")
    amd = single(f"{REG}/build-amd:1", "build-amd", "amd64", app_layer="5")
    plan = plan_merge("nginx", "1.29.0", [arm, amd])
    assert plan.complete

    amd_config = amd.manifest.config
    arm_config = arm.manifest.config
    assert amd_config is not None and arm_config is not None
    # Children order (amd64 first), config before layers, the shared base layer once.
    assert plan.blobs_to_mount == (
        BlobMount(amd_config.digest, "build-amd"),
        BlobMount(BASE_LAYER, "build-amd"),
        BlobMount("sha256:" + "5" * 64, "build-amd"),
        BlobMount(arm_config.digest, "build-arm"),
        BlobMount("sha256:" + "4" * 64, "build-arm"),
    )
    puts = [(p.digest, p.media_type, p.raw, p.from_repository) for p in plan.manifests_to_put]
    assert puts == [
        (amd.digest, MEDIA_TYPE_DOCKER_MANIFEST, amd.raw, "build-amd"),
        (arm.digest, MEDIA_TYPE_DOCKER_MANIFEST, arm.raw, "build-arm"),
    ]


def test_cross_repository_index_needs_its_children_fetched() -> None:
    plan = plan_merge("app", "latest", [buildx_index("ci-output", "sha-1")])
    assert not plan.complete
    assert plan.manifests_to_fetch == tuple(
        ManifestFetch(digest, MEDIA_TYPE_OCI_MANIFEST, "ci-output", f"{REG}/ci-output:sha-1")
        for digest in (BUILDX_AMD64, BUILDX_ARM64, BUILDX_ATT_AMD64, BUILDX_ATT_ARM64)
    )
    assert plan.blobs_to_mount == () and plan.manifests_to_put == ()


def test_cross_repository_index_with_fetched_children() -> None:
    amd_raw, amd_config = image_bytes("amd64", docker=False, app_layer="6")
    arm_raw, arm_config = image_bytes("arm64", docker=False, app_layer="7")
    children = [(amd_raw, Platform("linux", "amd64")), (arm_raw, Platform("linux", "arm64"))]
    without = index_of(f"{REG}/ci:1", "ci", children, with_bytes=False)
    assert [f.digest for f in plan_merge("app", "1", [without]).manifests_to_fetch] == [
        digest_of(amd_raw),
        digest_of(arm_raw),
    ]

    plan = plan_merge("app", "1", [index_of(f"{REG}/ci:1", "ci", children, with_bytes=True)])
    assert plan.complete
    assert [p.raw for p in plan.manifests_to_put] == [amd_raw, arm_raw]
    assert {p.media_type for p in plan.manifests_to_put} == {MEDIA_TYPE_OCI_MANIFEST}
    assert [b.digest for b in plan.blobs_to_mount] == [
        digest_of(amd_config),
        BASE_LAYER,
        "sha256:" + "6" * 64,
        digest_of(arm_config),
        "sha256:" + "7" * 64,
    ]
    assert {b.from_repository for b in plan.blobs_to_mount} == {"ci"}


def test_copy_skipped_when_target_repository_already_has_the_digest() -> None:
    here = single(f"{REG}/app:amd64", "app", "amd64")
    there = SourceImage(
        f"{REG}/mirror:amd64", "mirror", here.digest, here.manifest, here.raw, here.config_platform
    )
    plan = plan_merge("app", "latest", [there, here])
    assert plan.children[0].source_repository == "app"
    assert plan.manifests_to_put == () and plan.blobs_to_mount == ()


# --- validation ---------------------------------------------------------------------------


def test_source_bytes_must_match_digest() -> None:
    amd = single(f"{REG}/app:amd64", "app", "amd64")
    wrong = SourceImage(
        amd.reference,
        amd.repository,
        "sha256:" + "0" * 64,
        amd.manifest,
        amd.raw,
        amd.config_platform,
    )
    with pytest.raises(ValueError, match="hash to"):
        plan_merge("app", "latest", [wrong])


def test_single_manifest_needs_config_platform() -> None:
    amd = single(f"{REG}/app:amd64", "app", "amd64")
    bare = SourceImage(amd.reference, amd.repository, amd.digest, amd.manifest, amd.raw)
    with pytest.raises(ValueError, match="config platform"):
        plan_merge("app", "latest", [bare])


@pytest.mark.parametrize(
    ("repository", "tag"), [("App", "latest"), ("app", "bad tag"), ("app", "")]
)
def test_target_is_validated(repository: str, tag: str) -> None:
    amd = single(f"{REG}/app:amd64", "app", "amd64")
    with pytest.raises(ValueError):
        plan_merge(repository, tag, [amd])


def test_no_sources() -> None:
    with pytest.raises(ValueError, match="nothing to merge"):
        plan_merge("app", "latest", [])
