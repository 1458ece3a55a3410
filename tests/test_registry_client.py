"""swarm/registry.py against real registries: Debian's docker-registry (distribution 2.8)
without auth, with htpasswd Basic auth and with token auth (tests/token_issuer.py), plus
tests/registry_faults.py in front of it for the failures a registry cannot make on cue.
What the client sees is checked against what was pushed and against ``skopeo inspect``."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from swarm.manifests import (
    MEDIA_TYPE_DOCKER_LIST,
    MEDIA_TYPE_DOCKER_MANIFEST,
    MEDIA_TYPE_OCI_INDEX,
    MEDIA_TYPE_OCI_MANIFEST,
    ManifestKind,
    digest_of,
    parse_config_platform,
)
from swarm.platforms import normalize_arch
from swarm.registry import (
    CachedContent,
    MemoryDigestCache,
    RegistryAuthError,
    RegistryClient,
    RegistryNotFound,
    RegistryProtocolError,
    RegistryTimeout,
    RegistryUnreachable,
)
from tests.components import need_executable
from tests.registry_faults import FaultProxy, closed_port_url
from tests.registry_images import (
    PushedImage,
    Pusher,
    delete_manifest,
    push_docker_list,
    push_oci_index,
    push_single,
    push_three_platform_index,
    put_manifest,
    raw_get,
)
from tests.registry_server import RegistryServer
from tests.token_issuer import TokenIssuer

pytestmark = pytest.mark.component("docker-registry")

PASSWORD = "s3cret-Pa55word"
CATALOG_REPOS = 120


def _registry_binary() -> str:
    return need_executable("docker-registry", "/usr/bin/docker-registry", package="docker-registry")


def _started(server: RegistryServer) -> RegistryServer:
    server.start()
    return server


# --- fixtures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Images:
    docker_single: PushedImage
    oci_single: PushedImage
    docker_list: PushedImage
    oci_index: PushedImage  # with buildx-style attestations
    three: PushedImage  # amd64, arm64, arm/v7

    def by_name(self, name: str) -> PushedImage:
        return getattr(self, name)


KINDS = {
    "docker_single": ManifestKind.DOCKER_MANIFEST,
    "oci_single": ManifestKind.OCI_MANIFEST,
    "docker_list": ManifestKind.DOCKER_LIST,
    "oci_index": ManifestKind.OCI_INDEX,
    "three": ManifestKind.OCI_INDEX,
}


@pytest.fixture(scope="module")
def images(registry: RegistryServer) -> Images:
    pusher = Pusher(registry.url)
    return Images(
        docker_single=push_single(pusher, "rc/single-docker", "v1", "linux/arm64"),
        oci_single=push_single(pusher, "rc/single-oci", "v1", "linux/amd64", oci=True),
        docker_list=push_docker_list(pusher, "rc/list", "v1"),
        oci_index=push_oci_index(pusher, "rc/index", "v1"),
        three=push_three_platform_index(pusher, "rc/three", "v1"),
    )


@pytest.fixture(scope="module")
def basic_registry() -> Iterator[RegistryServer]:
    need_executable("htpasswd", "htpasswd", package="apache2-utils")
    server = _started(RegistryServer(_registry_binary(), htpasswd={"alice": PASSWORD}))
    push_single(Pusher(server.url, "alice", PASSWORD), "team/app", "v1")
    yield server
    server.stop()


@dataclass
class TokenSetup:
    server: RegistryServer
    issuer: TokenIssuer


@pytest.fixture(scope="module")
def token_setup() -> Iterator[TokenSetup]:
    binary = _registry_binary()
    issuer = TokenIssuer({"alice": PASSWORD, "reader": PASSWORD}, grants={"reader": {"pull"}})
    issuer.start()
    server = _started(RegistryServer(binary, token_auth=issuer.registry_config()))
    pusher = Pusher(server.url, "alice", PASSWORD)
    push_oci_index(pusher, "team/app", "v1")
    push_single(pusher, "team/other", "v1")
    yield TokenSetup(server, issuer)
    server.stop()
    issuer.stop()


@pytest.fixture
def issuer(token_setup: TokenSetup) -> Iterator[TokenIssuer]:
    """The token issuer with its knobs reset after each test."""
    yield token_setup.issuer
    token_setup.issuer.expires_in = 300
    token_setup.issuer.token_field = "token"
    token_setup.issuer.withhold_access(0)


@pytest.fixture(scope="module")
def catalog_registry() -> Iterator[tuple[RegistryServer, list[str]]]:
    """A registry holding exactly CATALOG_REPOS repositories with a tiny image each."""
    server = _started(RegistryServer(_registry_binary()))
    pusher = Pusher(server.url)
    names = sorted(f"cat/repo-{i:03d}" for i in range(CATALOG_REPOS))
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda name: push_single(pusher, name, "v1"), names))
    yield server, names
    server.stop()


@pytest.fixture(scope="module")
def fault_proxy(registry: RegistryServer) -> Iterator[FaultProxy]:
    proxy = FaultProxy(registry.url, slow_seconds=2.0).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxy(fault_proxy: FaultProxy, images: Images) -> Iterator[FaultProxy]:
    fault_proxy.clear()
    fault_proxy.retry_after = "0"
    yield fault_proxy
    fault_proxy.clear()


def _skopeo_raw(server: RegistryServer, reference: str) -> bytes:
    skopeo = need_executable("skopeo", "/usr/bin/skopeo", "skopeo", package="skopeo")
    result = subprocess.run(
        [skopeo, "inspect", "--raw", "--tls-verify=false", f"docker://{server.host}/{reference}"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


def _no_secret(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text
        assert "eyJ" not in text  # the start of every JWT
        assert "Basic " not in text and "Bearer " not in text


# --- ping and auth ---------------------------------------------------------------------------


async def test_ping_without_auth(registry: RegistryServer) -> None:
    async with RegistryClient(registry.url) as client:
        result = await client.ping()
    assert (result.api_version, result.auth_kind, result.authenticated) == (
        "registry/2.0", "none", True,
    )  # fmt: skip


async def test_basic_auth_right_password(basic_registry: RegistryServer) -> None:
    async with RegistryClient(basic_registry.url, "alice", PASSWORD) as client:
        ping = await client.ping()
        assert (ping.auth_kind, ping.authenticated, ping.auth_problem) == ("basic", True, None)
        before = client.requests.total
        assert await client.tags("team/app") == ["v1"]
        manifest = await client.get_manifest("team/app", "v1")
        # Basic goes out up front once the kind is known: no 401 round trips.
        assert client.requests.total - before == 2
    assert manifest.media_type == MEDIA_TYPE_DOCKER_MANIFEST


async def test_basic_auth_wrong_password(
    basic_registry: RegistryServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with RegistryClient(basic_registry.url, "alice", "not-" + PASSWORD) as client:
        ping = await client.ping()
        with pytest.raises(RegistryAuthError) as caught:
            await client.tags("team/app")
        assert client.requests.by_kind["tags"] == 1  # a refused Basic is not retried
    assert (ping.auth_kind, ping.authenticated) == ("basic", False)
    expected = f"wrong username or password for {basic_registry.url}"
    assert ping.auth_problem == expected
    assert str(caught.value) == expected
    _no_secret(str(caught.value), repr(caught.value), repr(client), caplog.text)


async def test_basic_auth_missing_credentials(basic_registry: RegistryServer) -> None:
    async with RegistryClient(basic_registry.url) as client:
        ping = await client.ping()
        with pytest.raises(RegistryAuthError, match="needs a username and password"):
            await client.catalog()
    assert (ping.auth_kind, ping.authenticated) == ("basic", False)


async def test_bearer_ping_and_token_cache(token_setup: TokenSetup, issuer: TokenIssuer) -> None:
    url = token_setup.server.url
    async with RegistryClient(url, "alice", PASSWORD) as client:
        ping = await client.ping()
        assert (ping.auth_kind, ping.authenticated) == ("bearer", True)
        before = issuer.token_requests
        assert await client.tags("team/app") == ["v1"]
        index = await client.get_manifest("team/app", "v1")
        await client.head_manifest("team/app", "v1")
        await asyncio.gather(*(client.get_manifest("team/app", c.digest)
                               for c in index.manifest.children))  # fmt: skip
        assert issuer.token_requests - before == 1  # one token for repository:team/app:pull
        await client.tags("team/other")
        assert await client.catalog() == ["team/app", "team/other"]
        assert issuer.token_requests - before == 3  # one more per new scope
        assert client.requests.by_kind["token"] == issuer.token_requests - before + 1
    last_user, last_scopes = issuer.requests[-1]
    assert (last_user, last_scopes) == ("alice", ("registry:catalog:*",))


async def test_bearer_concurrent_requests_share_one_token(
    token_setup: TokenSetup, issuer: TokenIssuer
) -> None:
    before = issuer.token_requests
    async with RegistryClient(token_setup.server.url, "alice", PASSWORD) as client:
        results = await asyncio.gather(*(client.tags("team/app") for _ in range(16)))
    assert results == [["v1"]] * 16
    assert issuer.token_requests - before == 1


async def test_bearer_wrong_password(
    token_setup: TokenSetup, issuer: TokenIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with RegistryClient(token_setup.server.url, "alice", "bad-" + PASSWORD) as client:
        ping = await client.ping()
        with pytest.raises(RegistryAuthError) as caught:
            await client.tags("team/app")
    assert (ping.auth_kind, ping.authenticated) == ("bearer", False)
    message = str(caught.value)
    assert message.startswith(f"wrong username or password for {token_setup.server.url}")
    assert "token server" in message
    _no_secret(message, repr(caught.value), repr(client), caplog.text, ping.auth_problem or "")


async def test_bearer_expired_token_is_renewed(
    token_setup: TokenSetup, issuer: TokenIssuer
) -> None:
    issuer.expires_in = 2
    async with RegistryClient(token_setup.server.url, "alice", PASSWORD) as client:
        before = issuer.token_requests
        await client.tags("team/app")
        await client.tags("team/app")
        assert issuer.token_requests - before == 1
        await asyncio.sleep(2.1)
        await client.tags("team/app")
        assert issuer.token_requests - before == 2


async def test_bearer_insufficient_token_is_fetched_again_once(
    token_setup: TokenSetup, issuer: TokenIssuer
) -> None:
    issuer.withhold_access(1)  # the first token grants nothing: the registry answers 401
    async with RegistryClient(token_setup.server.url, "alice", PASSWORD) as client:
        before = issuer.token_requests
        assert await client.tags("team/app") == ["v1"]
        assert issuer.token_requests - before == 2
        assert client.requests.by_kind["tags"] == 2


async def test_bearer_not_allowed_gives_up_after_one_new_token(
    token_setup: TokenSetup, issuer: TokenIssuer, images: Images
) -> None:
    image = images.docker_single
    async with RegistryClient(token_setup.server.url, "reader", PASSWORD) as client:
        assert await client.tags("team/app") == ["v1"]  # pull is granted
        before = issuer.token_requests
        with pytest.raises(RegistryAuthError) as caught:
            await client.put_manifest("team/app", "v2", image.raw, image.media_type)
    assert issuer.token_requests - before == 2
    assert str(caught.value) == (
        f"user 'reader' is not allowed to pull,push 'team/app' at {token_setup.server.url}"
    )


async def test_bearer_access_token_field(token_setup: TokenSetup, issuer: TokenIssuer) -> None:
    issuer.token_field = "access_token"
    async with RegistryClient(token_setup.server.url, "alice", PASSWORD) as client:
        assert await client.tags("team/other") == ["v1"]


async def test_bearer_mount_needs_both_scopes_in_one_token(
    token_setup: TokenSetup, issuer: TokenIssuer
) -> None:
    async with RegistryClient(token_setup.server.url, "alice", PASSWORD) as client:
        other = (await client.get_manifest("team/other", "v1")).manifest
        assert other.config is not None
        before = issuer.token_requests
        assert await client.mount_blob("team/copy", other.config.digest, "team/other") is True
    assert issuer.requests[-1] == (
        "alice", ("repository:team/copy:pull,push", "repository:team/other:pull"),
    )  # fmt: skip
    assert issuer.token_requests - before == 1


async def test_anonymous_on_token_registry(token_setup: TokenSetup) -> None:
    async with RegistryClient(token_setup.server.url) as client:
        with pytest.raises(RegistryAuthError, match="needs a username and password"):
            await client.tags("team/app")


# --- catalog and tags ------------------------------------------------------------------------


@pytest.mark.parametrize(("page_size", "pages"), [(1000, 1), (100, 2), (50, 3), (7, 18)])
async def test_catalog_follows_relative_links(
    catalog_registry: tuple[RegistryServer, list[str]], page_size: int, pages: int
) -> None:
    server, names = catalog_registry
    async with RegistryClient(server.url) as client:
        assert await client.catalog(page_size=page_size) == names
        assert client.requests.by_kind["catalog"] == pages


def test_catalog_link_is_relative_and_n_is_capped(
    catalog_registry: tuple[RegistryServer, list[str]],
) -> None:
    """The registry facts the client is built around (DOMAIN.md section 4)."""
    server, _ = catalog_registry
    with urllib.request.urlopen(f"{server.url}/v2/_catalog") as response:
        assert len(json.load(response)["repositories"]) == 100  # the default page
        assert response.headers["Link"].startswith("</v2/_catalog?")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{server.url}/v2/_catalog?n=1001")
    assert caught.value.code == 400
    assert b"PAGINATION_NUMBER_INVALID" in caught.value.read()


async def test_catalog_page_size_above_1000_is_refused_locally(registry: RegistryServer) -> None:
    async with RegistryClient(registry.url) as client:
        with pytest.raises(ValueError, match="at most|between 1 and 1000"):
            await client.catalog(page_size=1001)
        assert client.requests.total == 0


async def test_tags_null_after_deleting_every_tag(registry: RegistryServer) -> None:
    pusher = Pusher(registry.url)
    image = push_single(pusher, "rc/emptied", "a")
    put_manifest(pusher, "rc/emptied", "b", image.raw, image.media_type)
    async with RegistryClient(registry.url) as client:
        assert sorted(await client.tags("rc/emptied")) == ["a", "b"]
        delete_manifest(pusher, "rc/emptied", image.digest)  # takes both tags
        raw = raw_get(pusher, "/v2/rc/emptied/tags/list", "application/json")
        assert json.loads(raw.body) == {"name": "rc/emptied", "tags": None}
        assert await client.tags("rc/emptied") == []
        assert "rc/emptied" in await client.catalog()  # still listed


async def test_unknown_repository_and_tag(registry: RegistryServer, images: Images) -> None:
    async with RegistryClient(registry.url) as client:
        with pytest.raises(RegistryNotFound) as caught:
            await client.tags("rc/nope")
        assert str(caught.value) == f"repository 'rc/nope' not found at {registry.url}"
        with pytest.raises(RegistryNotFound) as caught:
            await client.get_manifest("rc/list", "nope")
        assert str(caught.value) == f"manifest 'rc/list:nope' not found at {registry.url}"
        missing = "sha256:" + "0" * 64
        with pytest.raises(RegistryNotFound, match="blob sha256:0+ in 'rc/list' not found"):
            await client.get_blob("rc/list", missing)
        assert await client.blob_exists("rc/list", missing) is False


# --- manifests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(KINDS))
async def test_get_manifest_every_kind(registry: RegistryServer, images: Images, name: str) -> None:
    pushed = images.by_name(name)
    async with RegistryClient(registry.url) as client:
        result = await client.get_manifest(pushed.repo, "v1")
    assert (result.digest, result.raw) == (pushed.digest, pushed.raw)
    assert result.digest == digest_of(result.raw)
    assert result.manifest.kind is KINDS[name]
    assert result.media_type == KINDS[name].media_type
    if result.manifest.is_index:
        platforms = [str(child.platform) for child in result.manifest.images]
        assert platforms == [child.platform for child in pushed.images]
        assert [c.digest for c in result.manifest.children] == [c.digest for c in pushed.children]


async def test_attestations_are_marked_and_linked(registry: RegistryServer, images: Images) -> None:
    async with RegistryClient(registry.url) as client:
        index = (await client.get_manifest("rc/index", "v1")).manifest
    assert [str(c.platform) for c in index.images] == ["linux/amd64", "linux/arm64"]
    assert [c.attests for c in index.attestations] == [c.digest for c in index.images]
    assert all(str(c.platform) == "unknown/unknown" for c in index.attestations)


async def test_docker_list_is_not_rewritten_to_amd64(
    registry: RegistryServer, images: Images
) -> None:
    pushed = images.docker_list
    async with RegistryClient(registry.url) as client:
        result = await client.get_manifest("rc/list", "v1")
    assert (result.media_type, result.digest) == (MEDIA_TYPE_DOCKER_LIST, pushed.digest)
    # The trap the full Accept header avoids: a schema2-only client gets the amd64 child.
    careless = raw_get(Pusher(registry.url), "/v2/rc/list/manifests/v1", MEDIA_TYPE_DOCKER_MANIFEST)
    amd64 = next(c for c in pushed.children if c.platform == "linux/amd64")
    assert careless.headers["docker-content-digest"] == amd64.digest


async def test_head_revalidates_a_tag(registry: RegistryServer) -> None:
    pusher = Pusher(registry.url)
    first = push_single(pusher, "rc/moving", "latest", "linux/amd64")
    async with RegistryClient(registry.url) as client:
        head = await client.head_manifest("rc/moving", "latest")
        assert (head.digest, head.media_type, head.size) == (
            first.digest, MEDIA_TYPE_DOCKER_MANIFEST, len(first.raw),
        )  # fmt: skip
        index = push_three_platform_index(pusher, "rc/moving", "latest")
        head = await client.head_manifest("rc/moving", "latest")
        assert (head.digest, head.media_type) == (index.digest, MEDIA_TYPE_OCI_INDEX)
        assert dict(client.requests.by_kind) == {"ping": 1, "manifest_head": 2}


async def test_config_platform_of_every_child(registry: RegistryServer, images: Images) -> None:
    async with RegistryClient(registry.url) as client:
        index = (await client.get_manifest("rc/three", "v1")).manifest
        platforms = []
        for child in index.images:
            single = (await client.get_manifest("rc/three", child.digest)).manifest
            assert single.config is not None
            config = await client.get_blob("rc/three", single.config.digest)
            os_name, arch, variant = parse_config_platform(config)
            platforms.append("/".join([os_name, *filter(None, normalize_arch(arch, variant))]))
    assert platforms == ["linux/amd64", "linux/arm64", "linux/arm/v7"]


async def test_cache_hits_cost_no_requests(registry: RegistryServer, images: Images) -> None:
    image = images.docker_single
    assert image.config_digest is not None
    cache = MemoryDigestCache()
    async with RegistryClient(registry.url, cache=cache) as client:
        first = await client.get_manifest(image.repo, image.digest)
        config = await client.get_blob(image.repo, image.config_digest)
        before = client.requests.total
        again = await client.get_manifest(image.repo, image.digest)
        assert await client.get_blob(image.repo, image.config_digest) == config
        assert client.requests.total == before
        assert (again.raw, again.media_type, again.digest) == (
            first.raw, first.media_type, first.digest,
        )  # fmt: skip
    assert set(cache.entries) == {image.digest, image.config_digest}
    # A later client (the next scan) reuses the same cache: still no requests.
    async with RegistryClient(registry.url, cache=cache) as client:
        await client.get_manifest(image.repo, image.digest)
        await client.get_blob(image.repo, image.config_digest)
        assert client.requests.total == 0


async def test_pluggable_cache_sees_every_put(registry: RegistryServer, images: Images) -> None:
    class Recording:
        def __init__(self) -> None:
            self.puts: list[str] = []
            self.data: dict[str, CachedContent] = {}

        def get(self, digest: str) -> CachedContent | None:
            return self.data.get(digest)

        def put(self, digest: str, content: CachedContent) -> None:
            self.puts.append(digest)
            self.data[digest] = content

    cache = Recording()
    async with RegistryClient(registry.url, cache=cache) as client:
        await client.get_manifest("rc/list", "v1")
        await client.get_manifest("rc/list", "v1")  # by tag: always asked again
    assert cache.puts == [images.docker_list.digest] * 2


# --- pushing: mount, children by digest, index -------------------------------------------------


async def test_merge_across_repositories(registry: RegistryServer) -> None:
    pusher = Pusher(registry.url)
    sources = [
        push_single(pusher, "rc/src-amd64", "1.0", "linux/amd64"),
        push_single(pusher, "rc/src-arm64", "1.0", "linux/arm64"),
    ]
    index = _index_bytes(sources)
    async with RegistryClient(registry.url) as client:
        with pytest.raises(RegistryProtocolError) as caught:
            await client.put_manifest("rc/merged", "1.0", index, MEDIA_TYPE_DOCKER_LIST)
        assert caught.value.code == "MANIFEST_BLOB_UNKNOWN"
        assert "MANIFEST_BLOB_UNKNOWN" in str(caught.value)
        assert "push each child manifest by digest first" in str(caught.value)
        for source in sources:
            for blob in (source.config_digest, *source.layer_digests):
                assert blob is not None
                assert await client.blob_exists("rc/merged", blob) is False
                assert await client.mount_blob("rc/merged", blob, source.repo) is True
                assert await client.blob_exists("rc/merged", blob) is True
            digest = await client.put_manifest(
                "rc/merged", source.digest, source.raw, source.media_type
            )
            assert digest == source.digest
        assert await client.put_manifest("rc/merged", "1.0", index, MEDIA_TYPE_DOCKER_LIST) == (
            digest_of(index)
        )
        fetched = await client.get_manifest("rc/merged", "1.0")
    assert [str(c.platform) for c in fetched.manifest.images] == ["linux/amd64", "linux/arm64"]
    assert _skopeo_raw(registry, "rc/merged:1.0") == index


def _index_bytes(children: list[PushedImage]) -> bytes:
    entries = []
    for child in children:
        assert child.platform is not None
        os_name, arch = child.platform.split("/")[:2]
        entries.append({"mediaType": child.media_type, "digest": child.digest,
                        "size": len(child.raw),
                        "platform": {"architecture": arch, "os": os_name}})  # fmt: skip
    document = {"schemaVersion": 2, "mediaType": MEDIA_TYPE_DOCKER_LIST, "manifests": entries}
    return json.dumps(document, indent=3).encode()


async def test_mount_of_unknown_blob_is_reported_and_upload_cancelled(
    registry: RegistryServer, images: Images
) -> None:
    missing = digest_of(b"never pushed anywhere")
    async with RegistryClient(registry.url) as client:
        assert await client.mount_blob("rc/mount-target", missing, "rc/list") is False
        assert client.requests.by_kind["blob_upload_cancel"] == 1
        assert await client.blob_exists("rc/mount-target", missing) is False


async def test_put_manifest_refuses_bytes_that_do_not_match_the_digest(
    registry: RegistryServer, images: Images
) -> None:
    image = images.docker_single
    async with RegistryClient(registry.url) as client:
        with pytest.raises(ValueError, match="refusing to push"):
            await client.put_manifest(image.repo, images.oci_single.digest, image.raw,
                                      image.media_type)  # fmt: skip
        assert client.requests.total == 0


# --- the same bytes skopeo sees ----------------------------------------------------------------


@pytest.mark.component("skopeo")
@pytest.mark.parametrize("name", ["oci_index", "docker_list", "three", "oci_single"])
async def test_client_sees_what_skopeo_sees(
    registry: RegistryServer, images: Images, name: str
) -> None:
    pushed = images.by_name(name)
    skopeo_raw = _skopeo_raw(registry, f"{pushed.repo}:v1")
    async with RegistryClient(registry.url) as client:
        result = await client.get_manifest(pushed.repo, "v1")
    assert result.raw == skopeo_raw
    assert result.digest == digest_of(skopeo_raw)


# --- faults ----------------------------------------------------------------------------------


async def _still_works(client: RegistryClient) -> None:
    """After any fault the same client keeps working: nothing crashed, nothing stuck."""
    assert await client.tags("rc/list") == ["v1"]


async def test_registry_down() -> None:
    url = closed_port_url()
    async with RegistryClient(url) as client:
        with pytest.raises(RegistryUnreachable) as caught:
            await client.ping()
    assert str(caught.value).startswith(f"cannot connect to the registry at {url}: ")
    assert "is it running" in str(caught.value)


async def test_internal_server_error_is_not_retried(proxy: FaultProxy) -> None:
    proxy.set_fault("500", path_contains="/tags/list")
    async with RegistryClient(proxy.url) as client:
        with pytest.raises(RegistryProtocolError) as caught:
            await client.tags("rc/list")
        assert len(proxy.faulted) == 1
        assert caught.value.status == 500
        assert str(caught.value) == (
            f"the registry at {proxy.url} answered HTTP 500 Internal Server Error for "
            "repository 'rc/list' (/v2/rc/list/tags/list): UNKNOWN: injected internal error"
        )
        proxy.clear()
        await _still_works(client)


async def test_slow_answer_times_out(proxy: FaultProxy) -> None:
    proxy.set_fault("slow", path_contains="/manifests/")
    async with RegistryClient(proxy.url, timeout=0.5) as client:
        started = time.monotonic()
        with pytest.raises(RegistryTimeout) as caught:
            await client.get_manifest("rc/list", "v1")
        assert time.monotonic() - started < 1.5
        assert str(caught.value) == (
            f"the registry at {proxy.url} did not answer within 0.5 s "
            "(GET /v2/rc/list/manifests/v1)"
        )
        proxy.clear()
        await _still_works(client)


@pytest.mark.parametrize("ref", ["v1", "digest"])
async def test_manifest_digest_mismatch(proxy: FaultProxy, images: Images, ref: str) -> None:
    pushed = images.docker_list
    reference = pushed.digest if ref == "digest" else ref
    proxy.set_fault("bad_digest", path_contains="/manifests/")
    async with RegistryClient(proxy.url) as client:
        with pytest.raises(RegistryProtocolError, match="corrupt or was changed on the way"):
            await client.get_manifest("rc/list", reference)
        assert client.cache.get(pushed.digest) is None  # nothing bad is cached
        proxy.clear()
        assert (await client.get_manifest("rc/list", reference)).digest == pushed.digest


async def test_blob_digest_mismatch(proxy: FaultProxy, images: Images) -> None:
    config = images.docker_single.config_digest
    assert config is not None
    proxy.set_fault("bad_digest", path_contains="/blobs/")
    async with RegistryClient(proxy.url) as client:
        with pytest.raises(RegistryProtocolError, match=f"blob {config} in 'rc/single-docker'"):
            await client.get_blob("rc/single-docker", config)
        proxy.clear()
        await _still_works(client)


@pytest.mark.parametrize("path", ["/tags/list", "/_catalog", "/manifests/"])
async def test_malformed_json(proxy: FaultProxy, path: str) -> None:
    proxy.set_fault("bad_json", path_contains=path)
    async with RegistryClient(proxy.url) as client:
        with pytest.raises(RegistryProtocolError) as caught:
            if path == "/_catalog":
                await client.catalog()
            elif path == "/tags/list":
                await client.tags("rc/list")
            else:
                await client.get_manifest("rc/list", "v1")
        message = str(caught.value)
        assert message.startswith(f"the registry at {proxy.url} sent ")
        assert "invalid JSON" in message or "corrupt" in message
        proxy.clear()
        await _still_works(client)


async def test_tags_null_through_proxy(proxy: FaultProxy) -> None:
    proxy.set_fault("tags_null", path_contains="/tags/list")
    async with RegistryClient(proxy.url) as client:
        assert await client.tags("rc/list") == []


async def test_429_once_then_ok_honours_retry_after(proxy: FaultProxy) -> None:
    proxy.retry_after = "1"
    proxy.set_fault("429", path_contains="/tags/list", times=1)
    async with RegistryClient(proxy.url) as client:
        started = time.monotonic()
        assert await client.tags("rc/list") == ["v1"]
        assert time.monotonic() - started >= 1.0
        assert client.requests.by_kind["tags"] == 2


async def test_503_until_retries_run_out(proxy: FaultProxy) -> None:
    proxy.set_fault("503", path_contains="/tags/list")
    async with RegistryClient(proxy.url, backoff=0.01) as client:
        with pytest.raises(RegistryUnreachable) as caught:
            await client.tags("rc/list")
        assert client.requests.by_kind["tags"] == 3
        assert "is not available: it answered HTTP 503 Service Unavailable 3 times" in str(
            caught.value
        )
        proxy.clear()
        await _still_works(client)


async def test_connection_reset_once_is_retried(proxy: FaultProxy) -> None:
    proxy.set_fault("reset", path_contains="/manifests/", times=1)
    async with RegistryClient(proxy.url, backoff=0.01) as client:
        assert (await client.get_manifest("rc/list", "v1")).media_type == MEDIA_TYPE_DOCKER_LIST
    # Counted at the proxy: aiohttp itself resends an idempotent request once when a reused
    # keep-alive connection turns out dead, so our counter may see only one.
    assert proxy.seen.count("GET /v2/rc/list/manifests/v1") == 2


async def test_connection_reset_every_time(proxy: FaultProxy) -> None:
    proxy.set_fault("reset", path_contains="/manifests/")
    async with RegistryClient(proxy.url, backoff=0.01) as client:
        with pytest.raises(RegistryUnreachable, match="kept dropping the connection"):
            await client.get_manifest("rc/list", "v1")
        proxy.clear()
        await _still_works(client)


async def test_oci_single_has_oci_media_type(registry: RegistryServer, images: Images) -> None:
    async with RegistryClient(registry.url) as client:
        head = await client.head_manifest("rc/single-oci", "v1")
    assert head.media_type == MEDIA_TYPE_OCI_MANIFEST
    assert head.digest == images.oci_single.digest
