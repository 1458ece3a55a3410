"""Push synthetic images through the registry API (plain urllib, no client under test).

Every kind the registry browser must tell apart: a single Docker schema2 manifest, a single
OCI manifest, a Docker manifest list, an OCI index with buildx-style attestation entries and
a 3-platform index with arm/v7. Blobs go up as monolithic uploads (POST, then PUT with
``?digest=``); child manifests are pushed by digest before their index, because
distribution 2.8 refuses an index whose children are not in the repository.

``Pusher`` speaks Basic auth and the Bearer token dance, so the same helpers fill the
htpasswd and token-auth registries.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import tarfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from swarm.manifests import (
    ANNOTATION_REFERENCE_DIGEST,
    ANNOTATION_REFERENCE_TYPE,
    ATTESTATION_MANIFEST,
    MEDIA_TYPE_DOCKER_LIST,
    MEDIA_TYPE_DOCKER_MANIFEST,
    MEDIA_TYPE_OCI_INDEX,
    MEDIA_TYPE_OCI_MANIFEST,
    digest_of,
)

DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
IN_TOTO = "application/vnd.in-toto+json"
THREE_PLATFORMS = ("linux/amd64", "linux/arm64", "linux/arm/v7")


class PushError(RuntimeError):
    pass


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # keys in lower case
    body: bytes


@dataclass(frozen=True)
class PushedImage:
    repo: str
    tag: str | None
    digest: str
    media_type: str
    raw: bytes
    platform: str | None = None  # "linux/arm/v7" for single images
    config_digest: str | None = None
    layer_digests: tuple[str, ...] = ()
    children: tuple[PushedImage, ...] = ()  # index entries, attestations included
    attests: str | None = None  # for attestation manifests: the image they describe

    @property
    def images(self) -> tuple[PushedImage, ...]:
        return tuple(c for c in self.children if c.attests is None)


class Pusher:
    """Minimal authenticated HTTP for pushing: Basic, or Bearer tokens per scope."""

    def __init__(self, base_url: str, username: str | None = None, password: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password or ""
        self._auth: str | None = None
        self._tokens: dict[str, str] = {}

    def request(
        self,
        method: str,
        url: str,
        *,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        url = urllib.parse.urljoin(self.base_url + "/", url)
        answer = self._once(method, url, data, headers, self._auth)
        if answer.status == 401:
            self._auth = self._authorization(answer.headers.get("www-authenticate", ""))
            answer = self._once(method, url, data, headers, self._auth)
        return answer

    def _once(
        self,
        method: str,
        url: str,
        data: bytes | None,
        headers: Mapping[str, str] | None,
        auth: str | None,
    ) -> Answer:
        all_headers = dict(headers or {})
        if auth:
            all_headers["Authorization"] = auth
        request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Answer(response.status, _lower(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, _lower(error.headers), error.read())

    def _basic(self) -> str:
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode()

    def _authorization(self, challenge: str) -> str:
        scheme, _, rest = challenge.partition(" ")
        if scheme.lower() == "basic":
            return self._basic()
        params = dict(part.split("=", 1) for part in _split_params(rest))
        params = {key.strip(): value.strip().strip('"') for key, value in params.items()}
        scope = params.get("scope", "")
        if scope not in self._tokens:
            query = {"service": params.get("service", ""), "scope": scope}
            url = params["realm"] + "?" + urllib.parse.urlencode(query)
            headers = {"Authorization": self._basic()} if self.username else {}
            answer = self._once("GET", url, None, headers, None)
            if answer.status != 200:
                raise PushError(f"token server refused: {answer.status} {answer.body[:200]!r}")
            body = json.loads(answer.body)
            self._tokens[scope] = body.get("token") or body["access_token"]
        return f"Bearer {self._tokens[scope]}"


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def _split_params(text: str) -> list[str]:
    """Split ``a="x,y",b=z`` on commas outside quotes."""
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current] if current else parts


# --- primitives ---------------------------------------------------------------------------


def push_blob(pusher: Pusher, repo: str, data: bytes) -> str:
    """Monolithic upload: POST to start, PUT the bytes with ``?digest=``."""
    start = pusher.request("POST", f"/v2/{repo}/blobs/uploads/")
    if start.status != 202:
        raise PushError(f"starting upload to {repo}: {start.status} {start.body[:300]!r}")
    location = start.headers["location"]
    digest = digest_of(data)
    separator = "&" if "?" in location else "?"
    put = pusher.request(
        "PUT",
        f"{location}{separator}digest={urllib.parse.quote(digest)}",
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    if put.status != 201:
        raise PushError(f"uploading {digest} to {repo}: {put.status} {put.body[:300]!r}")
    return digest


def put_manifest(pusher: Pusher, repo: str, ref: str, raw: bytes, media_type: str) -> str:
    answer = pusher.request(
        "PUT", f"/v2/{repo}/manifests/{ref}", data=raw, headers={"Content-Type": media_type}
    )
    if answer.status != 201:
        raise PushError(f"PUT manifest {repo}:{ref}: {answer.status} {answer.body[:300]!r}")
    return digest_of(raw)


def delete_manifest(pusher: Pusher, repo: str, digest: str) -> None:
    """Delete by digest (the only way on 2.8): every tag on that digest goes with it."""
    answer = pusher.request("DELETE", f"/v2/{repo}/manifests/{digest}")
    if answer.status != 202:
        raise PushError(f"DELETE {repo}@{digest}: {answer.status} {answer.body[:300]!r}")


def raw_get(pusher: Pusher, path: str, accept: str) -> Answer:
    """A GET with a chosen Accept header: for showing what a careless client sees."""
    return pusher.request("GET", path, headers={"Accept": accept})


def _encode(document: Mapping[str, object]) -> bytes:
    # Indented like buildx writes them: the digest is over these exact bytes.
    return json.dumps(document, indent=2).encode()


def _split_platform(platform: str) -> dict[str, str]:
    os_name, arch, *variant = platform.split("/")
    fields = {"architecture": arch, "os": os_name}
    return fields | ({"variant": variant[0]} if variant else {})


def _tiny_layer(text: str) -> tuple[bytes, str]:
    """A real gzipped tar with one file; (compressed bytes, diff_id of the tar)."""
    payload = text.encode()
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("swarmdeck.txt")
        info.size, info.mtime = len(payload), 0
        tar.addfile(info, io.BytesIO(payload))
    tar_bytes = tar_buffer.getvalue()
    return gzip.compress(tar_bytes, mtime=0), digest_of(tar_bytes)


def _descriptor(media_type: str, raw: bytes, digest: str | None = None) -> dict[str, object]:
    return {"mediaType": media_type, "digest": digest or digest_of(raw), "size": len(raw)}


# --- images ----------------------------------------------------------------------------------


def push_single(
    pusher: Pusher,
    repo: str,
    tag: str | None,
    platform: str = "linux/amd64",
    *,
    oci: bool = False,
    salt: str = "",
) -> PushedImage:
    """One platform image; pushed by digest when ``tag`` is None."""
    layer, diff_id = _tiny_layer(f"{repo} {platform} {salt}")
    config = {
        **_split_platform(platform),
        "created": "2024-05-01T12:00:00Z",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    config_raw = _encode(config)
    config_digest = push_blob(pusher, repo, config_raw)
    layer_digest = push_blob(pusher, repo, layer)
    media_type = MEDIA_TYPE_OCI_MANIFEST if oci else MEDIA_TYPE_DOCKER_MANIFEST
    manifest = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": _descriptor(OCI_CONFIG if oci else DOCKER_CONFIG, config_raw),
        "layers": [_descriptor(OCI_LAYER if oci else DOCKER_LAYER, layer)],
    }
    raw = _encode(manifest)
    digest = put_manifest(pusher, repo, tag or digest_of(raw), raw, media_type)
    return PushedImage(repo, tag, digest, media_type, raw, platform, config_digest, (layer_digest,))


def push_attestation(pusher: Pusher, repo: str, subject: PushedImage) -> PushedImage:
    """A buildx-style provenance manifest describing ``subject``, pushed by digest."""
    statement = _encode({"_type": "https://in-toto.io/Statement/v0.1", "subject": subject.digest})
    statement_digest = push_blob(pusher, repo, statement)
    config_raw = _encode(
        {"architecture": "unknown", "os": "unknown", "config": {},
         "rootfs": {"type": "layers", "diff_ids": [statement_digest]}}
    )  # fmt: skip
    config_digest = push_blob(pusher, repo, config_raw)
    layer = _descriptor(IN_TOTO, statement) | {
        "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": MEDIA_TYPE_OCI_MANIFEST,
        "config": _descriptor(OCI_CONFIG, config_raw),
        "layers": [layer],
    }
    raw = _encode(manifest)
    digest = put_manifest(pusher, repo, digest_of(raw), raw, MEDIA_TYPE_OCI_MANIFEST)
    return PushedImage(
        repo, None, digest, MEDIA_TYPE_OCI_MANIFEST, raw, "unknown/unknown", config_digest,
        (statement_digest,), attests=subject.digest,
    )  # fmt: skip


def _index_entry(child: PushedImage) -> dict[str, object]:
    entry = _descriptor(child.media_type, child.raw, child.digest)
    if child.attests is not None:
        entry["annotations"] = {
            ANNOTATION_REFERENCE_DIGEST: child.attests,
            ANNOTATION_REFERENCE_TYPE: ATTESTATION_MANIFEST,
        }
    entry["platform"] = _split_platform(child.platform or "unknown/unknown")
    return entry


def push_index(
    pusher: Pusher, repo: str, tag: str, children: Sequence[PushedImage], *, oci: bool
) -> PushedImage:
    """An index (OCI) or manifest list (Docker) over children already in ``repo``."""
    media_type = MEDIA_TYPE_OCI_INDEX if oci else MEDIA_TYPE_DOCKER_LIST
    index = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "manifests": [_index_entry(child) for child in children],
    }
    raw = _encode(index)
    digest = put_manifest(pusher, repo, tag, raw, media_type)
    return PushedImage(repo, tag, digest, media_type, raw, children=tuple(children))


def push_docker_list(
    pusher: Pusher, repo: str, tag: str, platforms: Sequence[str] = ("linux/amd64", "linux/arm64")
) -> PushedImage:
    children = [push_single(pusher, repo, None, platform, salt=tag) for platform in platforms]
    return push_index(pusher, repo, tag, children, oci=False)


def push_oci_index(
    pusher: Pusher,
    repo: str,
    tag: str,
    platforms: Sequence[str] = ("linux/amd64", "linux/arm64"),
    *,
    attestations: bool = True,
) -> PushedImage:
    """What ``docker buildx build --push`` makes: images, then one attestation per image."""
    images = [push_single(pusher, repo, None, p, oci=True, salt=tag) for p in platforms]
    proofs = [push_attestation(pusher, repo, image) for image in images] if attestations else []
    return push_index(pusher, repo, tag, [*images, *proofs], oci=True)


def push_three_platform_index(pusher: Pusher, repo: str, tag: str) -> PushedImage:
    return push_oci_index(pusher, repo, tag, THREE_PLATFORMS, attestations=False)
