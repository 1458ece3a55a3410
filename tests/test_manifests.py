"""Manifest parsing against the registry fixtures and synthetic manifests."""

from __future__ import annotations

import json

import pytest

from swarm.manifests import (
    ACCEPT,
    MEDIA_TYPE_DOCKER_LIST,
    MEDIA_TYPE_DOCKER_MANIFEST,
    MEDIA_TYPE_OCI_INDEX,
    MEDIA_TYPE_OCI_MANIFEST,
    ManifestError,
    ManifestKind,
    Platform,
    digest_of,
    fallback_tag_subject,
    parse_config_platform,
    parse_manifest,
)
from tests.shared_fixtures import fixture_text

WITH_ATTESTATIONS = "registry/oci_index_buildx_2platform_with_attestations.json"
AMD64 = "sha256:53bb024bfb4a0901f0191ed0cd274e8b27e09fb6370619baebc69efa57dc5f0a"
ARM64 = "sha256:73258365be1117bc1e8795ba52ff70d21ffe5c1ae76020f95b627ea3f03a7c09"


def fixture_bytes(name: str) -> bytes:
    return fixture_text(name).encode("utf-8")


def headers(name: str) -> dict[str, str]:
    lines = fixture_text(name).splitlines()[1:]
    pairs = (line.split(":", 1) for line in lines if ":" in line)
    return {key.strip().lower(): value.strip() for key, value in pairs}


def single_manifest(media_type: str | None = MEDIA_TYPE_OCI_MANIFEST) -> dict[str, object]:
    body: dict[str, object] = {
        "schemaVersion": 2,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + "c" * 64,
            "size": 100,
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": "sha256:" + "1" * 64,
                "size": 2000,
            },
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": "sha256:" + "2" * 64,
                "size": 3000,
            },
        ],
    }
    if media_type:
        body["mediaType"] = media_type
    return body


def encode(body: object) -> bytes:
    return json.dumps(body).encode()


def test_accept_lists_all_four_types() -> None:
    listed = [part.strip() for part in ACCEPT.split(",")]
    assert sorted(listed) == sorted(kind.value for kind in ManifestKind)


def test_fixture_digest_matches_docker_content_digest() -> None:
    head = headers("registry/oci_index_buildx_2platform_with_attestations.headers.txt")
    raw = fixture_bytes(WITH_ATTESTATIONS)
    assert len(raw) == int(head["content-length"])
    assert digest_of(raw) == head["docker-content-digest"]


def test_buildx_index_with_attestations() -> None:
    head = headers("registry/oci_index_buildx_2platform_with_attestations.headers.txt")
    manifest = parse_manifest(fixture_bytes(WITH_ATTESTATIONS), head["content-type"])
    assert manifest.kind is ManifestKind.OCI_INDEX
    assert manifest.is_index
    assert [c.digest for c in manifest.images] == [AMD64, ARM64]
    assert [str(c.platform) for c in manifest.images] == ["linux/amd64", "linux/arm64"]
    assert [c.attests for c in manifest.attestations] == [AMD64, ARM64]
    first = manifest.children[0]
    assert (first.size, first.media_type) == (669, MEDIA_TYPE_OCI_MANIFEST)
    assert first.annotations == {}
    assert not first.is_attestation and first.attests is None
    attestation = manifest.children[2]
    assert attestation.platform == Platform("unknown", "unknown")
    assert attestation.annotations["vnd.docker.reference.type"] == "attestation-manifest"


def test_provenance_false_index_has_no_attestations() -> None:
    raw = fixture_bytes("registry/oci_index_buildx_2platform_provenance_false.json")
    manifest = parse_manifest(raw, None)
    assert manifest.kind is ManifestKind.OCI_INDEX
    assert len(manifest.images) == 2
    assert manifest.attestations == ()


def test_docker_list_seed_keeps_raw_variant() -> None:
    raw = fixture_bytes("registry/docker_manifest_list_seed.json")
    manifest = parse_manifest(raw, "application/json")
    assert manifest.kind is ManifestKind.DOCKER_LIST
    assert [c.platform for c in manifest.children] == [
        Platform("linux", "amd64"),
        Platform("linux", "arm64", "v8"),
    ]
    assert all(c.media_type == MEDIA_TYPE_DOCKER_MANIFEST for c in manifest.children)


def test_single_manifest_config_and_layers() -> None:
    manifest = parse_manifest(encode(single_manifest()), MEDIA_TYPE_OCI_MANIFEST)
    assert manifest.kind is ManifestKind.OCI_MANIFEST
    assert not manifest.is_index and manifest.children == ()
    assert manifest.config is not None
    assert manifest.config.digest == "sha256:" + "c" * 64
    assert manifest.config.media_type == "application/vnd.oci.image.config.v1+json"
    assert [(layer.digest[-1], layer.size) for layer in manifest.layers] == [
        ("1", 2000),
        ("2", 3000),
    ]


@pytest.mark.parametrize(
    ("content_type", "body_type", "expected"),
    [
        # Content-Type wins, parameters and case ignored.
        (f"{MEDIA_TYPE_DOCKER_MANIFEST}; charset=utf-8", None, ManifestKind.DOCKER_MANIFEST),
        (MEDIA_TYPE_DOCKER_MANIFEST.upper(), MEDIA_TYPE_OCI_MANIFEST, ManifestKind.DOCKER_MANIFEST),
        # Generic Content-Type: the body's mediaType.
        ("application/json", MEDIA_TYPE_DOCKER_MANIFEST, ManifestKind.DOCKER_MANIFEST),
        (None, MEDIA_TYPE_OCI_MANIFEST, ManifestKind.OCI_MANIFEST),
        # Neither: the shape.
        ("application/octet-stream", None, ManifestKind.OCI_MANIFEST),
    ],
)
def test_single_manifest_kind_decision(
    content_type: str | None, body_type: str | None, expected: ManifestKind
) -> None:
    assert parse_manifest(encode(single_manifest(body_type)), content_type).kind is expected


def test_index_by_shape_without_media_type() -> None:
    body = {
        "schemaVersion": 2,
        "manifests": [
            {"mediaType": MEDIA_TYPE_OCI_MANIFEST, "digest": AMD64, "size": 669},
        ],
    }
    manifest = parse_manifest(encode(body), None)
    assert manifest.kind is ManifestKind.OCI_INDEX
    assert manifest.children[0].platform is None
    assert not manifest.children[0].is_attestation


def test_docker_list_content_type_on_untyped_index() -> None:
    body = {"schemaVersion": 2, "manifests": []}
    assert parse_manifest(encode(body), MEDIA_TYPE_DOCKER_LIST).kind is ManifestKind.DOCKER_LIST


def test_attestation_by_annotation_alone() -> None:
    body = {
        "mediaType": MEDIA_TYPE_OCI_INDEX,
        "manifests": [
            {
                "mediaType": MEDIA_TYPE_OCI_MANIFEST,
                "digest": "sha256:" + "a" * 64,
                "size": 10,
                "annotations": {
                    "vnd.docker.reference.type": "attestation-manifest",
                    "vnd.docker.reference.digest": AMD64,
                },
            }
        ],
    }
    child = parse_manifest(encode(body), None).children[0]
    assert child.is_attestation and child.attests == AMD64


@pytest.mark.parametrize(
    ("raw", "content_type", "message"),
    [
        (b"{not json", None, "not valid JSON"),
        (b"\xff\xfe", None, "not valid JSON"),
        (b"[]", None, "must be a JSON object"),
        (b'{"schemaVersion": 2}', None, "unknown manifest shape"),
        (b'{"schemaVersion": 1, "fsLayers": []}', None, "schemaVersion"),
        (b'{"fsLayers": []}', None, "schema1"),
        (b"{}", "application/vnd.docker.distribution.manifest.v1+prettyjws", "schema1"),
        (b'{"config": {}}', MEDIA_TYPE_OCI_INDEX, "no 'manifests' list"),
        (b'{"manifests": []}', MEDIA_TYPE_OCI_MANIFEST, "no 'config' object"),
        (b'{"manifests": [{"size": 1, "mediaType": "x"}]}', None, "malformed digest"),
        (
            b'{"manifests": [{"digest": "sha256:ab", "size": -1, "mediaType": "x"}]}',
            None,
            "non-negative integer",
        ),
        (
            b'{"manifests": [{"digest": "sha256:ab", "size": true, "mediaType": "x"}]}',
            None,
            "non-negative integer",
        ),
        (b'{"manifests": [{"digest": "sha256:ab", "size": 1}]}', None, "missing mediaType"),
        (
            b'{"manifests": [{"digest": "sha256:ab", "size": 1, "mediaType": "x",'
            b' "platform": {"os": "linux"}}]}',
            None,
            "both 'os' and 'architecture'",
        ),
        (
            b'{"manifests": [{"digest": "sha256:ab", "size": 1, "mediaType": "x",'
            b' "annotations": {"a": 1}}]}',
            None,
            "annotations",
        ),
        (b'{"config": {"digest": "sha256:ab", "size": 1}, "layers": {}}', None, "'layers'"),
    ],
)
def test_malformed_manifests(raw: bytes, content_type: str | None, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        parse_manifest(raw, content_type)


def test_manifest_error_is_value_error() -> None:
    assert issubclass(ManifestError, ValueError)


def test_parse_config_platform() -> None:
    config = {"architecture": "arm", "os": "linux", "variant": "v7", "rootfs": {}}
    assert parse_config_platform(encode(config)) == ("linux", "arm", "v7")
    assert parse_config_platform(b'{"architecture": "amd64", "os": "linux"}') == (
        "linux",
        "amd64",
        "",
    )
    with pytest.raises(ManifestError):
        parse_config_platform(b'{"architecture": 5}')
    with pytest.raises(ManifestError):
        parse_config_platform(b"nope")


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("sha256-" + "ab" * 32, "sha256:" + "ab" * 32),
        ("sha256-" + "ab" * 32 + ".sig", "sha256:" + "ab" * 32),
        ("sha256-" + "ab" * 32 + ".att", "sha256:" + "ab" * 32),
        ("sha256-" + "ab" * 32 + ".sbom", "sha256:" + "ab" * 32),
        ("sha256-" + "ab" * 32 + ".txt", None),
        ("sha256-" + "AB" * 32, None),
        ("sha256-" + "ab" * 31, None),
        ("latest", None),
        ("1.29.0-arm64", None),
    ],
)
def test_fallback_tag_subject(tag: str, expected: str | None) -> None:
    assert fallback_tag_subject(tag) == expected


def test_platform_text() -> None:
    assert str(Platform("linux", "arm", "v7")) == "linux/arm/v7"
    assert str(Platform("linux", "amd64")) == "linux/amd64"
