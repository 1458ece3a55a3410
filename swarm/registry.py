"""A small async client for the registry HTTP API (distribution 2.8 / 3.x, OCI distribution).

Built on aiohttp, chosen by measurement (``bench/registry_http_libs.py``, 2000 manifest GETs
8 at a time against distribution 2.8: aiohttp 2.0 s wall and 0.26 ms client CPU per request,
httpx 5.4 s and 2.5 ms). Facts it relies on are in DOMAIN.md section 4; the ones that shape
this code:

- manifests are always requested with all four media types in ``Accept``, and their
  ``Docker-Content-Digest`` is checked against the exact bytes;
- content-addressed things never change, so manifests and config blobs are cached by digest
  forever (``DigestCache``); only tag -> digest is asked again, with ``HEAD``;
- ``Link`` headers are relative and ``n`` above 1000 is an error, not a clamp;
- Bearer tokens are asked for per scope and kept until they expire.

Every failure leaves as one of the ``RegistryError`` subclasses, with a message a person can
act on. Passwords and tokens never appear in a message, a log line or a repr.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Literal, Protocol, Self

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from swarm.manifests import ACCEPT, Manifest, ManifestError, digest_of, is_digest, parse_manifest
from swarm.references import validate_repository, validate_tag

log = logging.getLogger(__name__)

AuthKind = Literal["none", "basic", "bearer"]

MAX_PAGE_SIZE = 1000  # distribution answers 400 PAGINATION_NUMBER_INVALID above this
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER = 30.0  # seconds; a registry asking for longer is treated as unavailable
CATALOG_SCOPE = "registry:catalog:*"
_BARE_MANIFEST_TYPES = frozenset(part.strip() for part in ACCEPT.split(","))
_CHALLENGE_PARAM_RE = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')

# Hints for registry error codes whose fix is not obvious from the code itself.
_CODE_HINTS = {
    "MANIFEST_BLOB_UNKNOWN": (
        "every child manifest and blob must already exist in the same repository: "
        "mount the blobs and push each child manifest by digest first"
    ),
    "BLOB_UNKNOWN": "the blob is not in this repository; push or mount it first",
    "PAGINATION_NUMBER_INVALID": f"ask for at most {MAX_PAGE_SIZE} entries per page",
    "UNSUPPORTED": "this registry does not support the operation",
}


# --- errors ------------------------------------------------------------------------------


class RegistryError(Exception):
    """A registry operation failed; the message says what to do about it."""

    def __init__(
        self, message: str, *, url: str = "", status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.code = code


class RegistryUnreachable(RegistryError):
    """No connection, a dropped connection, or a registry that keeps saying "not now"."""


class RegistryAuthError(RegistryError):
    """Missing, wrong or insufficient credentials."""


class RegistryNotFound(RegistryError):
    """The repository, manifest or blob does not exist."""


class RegistryProtocolError(RegistryError):
    """An answer we cannot use: bad JSON, digest mismatch, unexpected status."""


class RegistryTimeout(RegistryError):
    """The registry did not answer within the timeout."""


# --- results and the cache ---------------------------------------------------------------


@dataclass(frozen=True)
class PingResult:
    api_version: str | None  # Docker-Distribution-API-Version, e.g. "registry/2.0"
    auth_kind: AuthKind
    authenticated: bool  # credentials accepted, or none needed
    auth_problem: str | None = None  # why not, in words


@dataclass(frozen=True)
class ManifestResult:
    raw: bytes  # exactly as served: the digest is over these bytes
    media_type: str
    digest: str
    manifest: Manifest = field(repr=False)


@dataclass(frozen=True)
class ManifestHead:
    digest: str
    media_type: str
    size: int | None


@dataclass(frozen=True)
class CachedContent:
    raw: bytes
    media_type: str


class DigestCache(Protocol):
    """Content-addressed storage: an entry, once put, is valid forever.

    Synchronous on purpose: the scan job backs it with the database by preloading the
    registry's known digests and saving what was put after the scan, not per request.
    """

    def get(self, digest: str) -> CachedContent | None: ...

    def put(self, digest: str, content: CachedContent) -> None: ...


class MemoryDigestCache:
    def __init__(self) -> None:
        self.entries: dict[str, CachedContent] = {}

    def get(self, digest: str) -> CachedContent | None:
        return self.entries.get(digest)

    def put(self, digest: str, content: CachedContent) -> None:
        self.entries[digest] = content


@dataclass
class RequestCounter:
    """Every HTTP exchange, retries and 401s included, for benchmarks and scan summaries.

    (aiohttp may silently resend an idempotent request once on a dead keep-alive
    connection; that resend is not seen here.)
    """

    total: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)

    def add(self, kind: str) -> None:
        self.total += 1
        self.by_kind[kind] += 1


# --- internals: one exchange, challenges, tokens ---------------------------------------


@dataclass(frozen=True)
class _Reply:
    status: int
    reason: str
    headers: CIMultiDictProxy[str]
    body: bytes
    url: URL
    next_link: URL | None


@dataclass(frozen=True)
class _Challenge:
    scheme: str  # lower case: "basic" or "bearer"
    params: dict[str, str]


@dataclass
class _Token:
    value: str = field(repr=False)
    expires_at: float  # time.monotonic()


class _ConnectionDropped(Exception):
    """A connection reset or closed mid-answer: worth a retry."""


# How each registry wants to be asked (none, Basic, or Bearer with its realm), learnt once
# per process: a worker's next job skips the GET /v2/ round trip. A registry that changes
# its mind answers 401, which is handled as it always is.
_DISCOVERED: dict[str, tuple[AuthKind, _Challenge | None]] = {}


def parse_challenge(header: str | None) -> _Challenge | None:
    """The first challenge of a ``WWW-Authenticate`` header (registries send one)."""
    if not header:
        return None
    scheme, _, rest = header.strip().partition(" ")
    params = {
        match.group(1).lower(): (
            match.group(2).replace('\\"', '"') if match.group(2) is not None else match.group(3)
        )
        for match in _CHALLENGE_PARAM_RE.finditer(rest)
    }
    return _Challenge(scheme=scheme.lower(), params=params)


def _content_digest(raw: bytes, algorithm: str) -> str:
    if algorithm == "sha256":
        return digest_of(raw)
    try:
        return f"{algorithm}:{hashlib.new(algorithm, raw).hexdigest()}"
    except ValueError:
        raise RegistryProtocolError(f"unsupported digest algorithm '{algorithm}'") from None


def _bare_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _registry_errors(body: bytes) -> tuple[str | None, str]:
    """(first error code, readable text) from a distribution error body, if there is one."""
    try:
        errors = json.loads(body).get("errors")
        first = errors[0]
        code, text = str(first.get("code", "")), str(first.get("message", ""))
        detail = first.get("detail")
    except (ValueError, AttributeError, IndexError, KeyError, TypeError):
        return None, ""
    if isinstance(detail, str) and detail:
        text = f"{text} ({detail})"
    elif isinstance(detail, dict | list) and detail:
        text = f"{text} ({json.dumps(detail, separators=(',', ':'))[:200]})"
    return code or None, f"{code}: {text}" if code else text


def _check_ref(ref: str) -> None:
    if is_digest(ref):
        return
    try:
        validate_tag(ref)
    except ValueError as exc:
        raise ValueError(f"'{ref}' is neither a tag nor a digest: {exc}") from None


def _repo_scope(repo: str, actions: str) -> str:
    return f"repository:{repo}:{actions}"


def _describe_scope(scope: str) -> str:
    """``repository:app:pull,push`` -> ``pull,push 'app'``, for error messages."""
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if kind == "registry" and name == "catalog":
        return "list the catalog"
    return f"{actions} '{name}'" if name else scope


# --- the client ----------------------------------------------------------------------------


class RegistryClient:
    """One registry, one aiohttp session; use as ``async with RegistryClient(...) as c``."""

    def __init__(
        self,
        base_url: str,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        verify_tls: bool = True,
        timeout: float = 10,
        concurrency: int = 8,
        *,
        cache: DigestCache | None = None,
        retries: int = 2,
        backoff: float = 0.25,
        share_discovery: bool = False,
    ) -> None:
        base = URL(base_url.rstrip("/"))
        if base.user or base.password:  # checked first: never echo such a URL back
            raise ValueError("put the username and password in their own fields, not the URL")
        if base.scheme not in ("http", "https") or not base.host:
            raise ValueError(f"registry URL must look like http://host:port, got '{base_url}'")
        self.url = str(base)
        self._base = base
        self.username = username
        self._password = password or ""
        self._static_token = token
        self.verify_tls = verify_tls
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.cache: DigestCache = cache if cache is not None else MemoryDigestCache()
        self.requests = RequestCounter()
        self.share_discovery = share_discovery  # reuse what other clients learnt of auth
        self._semaphore = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None
        self._auth_kind: AuthKind | None = None
        self._bearer: _Challenge | None = None
        self._discover_lock = asyncio.Lock()
        self._tokens: dict[tuple[str, ...], _Token] = {}
        self._token_locks: dict[tuple[str, ...], asyncio.Lock] = {}

    def __repr__(self) -> str:
        return (
            f"RegistryClient({self.url!r}, username={self.username!r}, "
            f"auth={self._auth_kind or 'unknown'})"
        )

    async def __aenter__(self) -> Self:
        connector = aiohttp.TCPConnector(
            limit=self._concurrency, ssl=None if self.verify_tls else False
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            cookie_jar=aiohttp.DummyCookieJar(),
            headers={"User-Agent": "swarmdeck"},
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- public API ----------------------------------------------------------------------

    async def ping(self) -> PingResult:
        """Reachability, API version and whether our credentials (if any) are accepted."""
        reply = await self._send_with_retries("ping", "GET", self._v2(""), {}, None)
        version = reply.headers.get("Docker-Distribution-API-Version")
        if reply.status == 200:
            self._auth_kind = self._auth_kind or "none"
            return PingResult(version, "none", True)
        if reply.status != 401:
            raise self._status_error(reply, "GET /v2/", "")
        kind = self._learn_challenge(reply)
        if not self._has_credentials():
            problem = f"the registry at {self.url} needs a username and password"
            return PingResult(version, kind, False, problem)
        try:
            await self._request("ping", "GET", self._v2(""), scopes=())
        except RegistryAuthError as exc:
            return PingResult(version, kind, False, str(exc))
        return PingResult(version, kind, True)

    async def catalog(self, page_size: int = MAX_PAGE_SIZE) -> list[str]:
        """Every repository, following the registry's pagination."""
        pages = self._pages("catalog", self._v2("_catalog"), page_size, (CATALOG_SCOPE,), "")
        return [name async for body in pages for name in self._names(body, "repositories")]

    async def tags(self, repo: str, page_size: int = MAX_PAGE_SIZE) -> list[str]:
        """Every tag of ``repo``; ``[]`` when all were deleted (``"tags": null``)."""
        validate_repository(repo)
        url = self._v2(f"{repo}/tags/list")
        pages = self._pages("tags", url, page_size, (_repo_scope(repo, "pull"),), repo)
        return [tag async for body in pages for tag in self._names(body, "tags")]

    async def get_manifest(self, repo: str, ref: str) -> ManifestResult:
        """The manifest for a tag or digest; by digest it comes from the cache when known."""
        validate_repository(repo)
        _check_ref(ref)
        if is_digest(ref) and (cached := self.cache.get(ref)) is not None:
            return self._manifest_result(cached.raw, cached.media_type, ref, repo, ref)
        reply = await self._request(
            "manifest_get", "GET", self._v2(f"{repo}/manifests/{ref}"),
            scopes=(_repo_scope(repo, "pull"),), headers={"Accept": ACCEPT},
        )  # fmt: skip
        self._expect(reply, (200,), repo, f"manifest '{self._ref_text(repo, ref)}'")
        digest = self._verified_digest(reply, ref, f"manifest '{self._ref_text(repo, ref)}'")
        result = self._manifest_result(
            reply.body, reply.headers.get("Content-Type"), digest, repo, ref
        )
        self.cache.put(digest, CachedContent(result.raw, result.media_type))
        return result

    async def head_manifest(self, repo: str, ref: str) -> ManifestHead:
        """Digest and media type of a tag without its body: the cheap revalidation."""
        validate_repository(repo)
        _check_ref(ref)
        reply = await self._request(
            "manifest_head", "HEAD", self._v2(f"{repo}/manifests/{ref}"),
            scopes=(_repo_scope(repo, "pull"),), headers={"Accept": ACCEPT},
        )  # fmt: skip
        self._expect(reply, (200,), repo, f"manifest '{self._ref_text(repo, ref)}'")
        digest = reply.headers.get("Docker-Content-Digest") or (ref if is_digest(ref) else None)
        if digest is None:  # some registries omit it on HEAD; the GET computes it
            full = await self.get_manifest(repo, ref)
            return ManifestHead(full.digest, full.media_type, len(full.raw))
        if not is_digest(digest):
            raise RegistryProtocolError(
                f"registry at {self.url} sent a malformed digest {digest!r} for "
                f"'{self._ref_text(repo, ref)}'"
            )
        length = reply.headers.get("Content-Length")
        size = int(length) if length and length.isdigit() else None
        return ManifestHead(digest, _bare_type(reply.headers.get("Content-Type")), size)

    async def get_blob(self, repo: str, digest: str) -> bytes:
        """A (small) blob such as an image config, digest verified, cached forever."""
        validate_repository(repo)
        self._check_digest_arg(digest)
        if (cached := self.cache.get(digest)) is not None:
            return cached.raw
        reply = await self._request(
            "blob_get", "GET", self._v2(f"{repo}/blobs/{digest}"),
            scopes=(_repo_scope(repo, "pull"),),
        )  # fmt: skip
        self._expect(reply, (200,), repo, f"blob {digest} in '{repo}'")
        actual = _content_digest(reply.body, digest.split(":", 1)[0])
        if actual != digest:
            raise self._mismatch(f"blob {digest} in '{repo}'", digest, actual)
        media_type = _bare_type(reply.headers.get("Content-Type"))
        self.cache.put(digest, CachedContent(reply.body, media_type))
        return reply.body

    async def blob_exists(self, repo: str, digest: str) -> bool:
        validate_repository(repo)
        self._check_digest_arg(digest)
        reply = await self._request(
            "blob_head", "HEAD", self._v2(f"{repo}/blobs/{digest}"),
            scopes=(_repo_scope(repo, "pull"),),
        )  # fmt: skip
        if reply.status == 404:
            return False
        self._expect(reply, (200,), repo, f"blob {digest} in '{repo}'")
        return True

    async def put_manifest(self, repo: str, ref: str, raw: bytes, media_type: str) -> str:
        """Push exact bytes under a tag or their digest; returns the (verified) digest."""
        validate_repository(repo)
        _check_ref(ref)
        digest = digest_of(raw)
        if is_digest(ref) and ref != digest:
            raise ValueError(f"bytes have digest {digest}, not {ref}: refusing to push")
        reply = await self._request(
            "manifest_put", "PUT", self._v2(f"{repo}/manifests/{ref}"),
            scopes=(_repo_scope(repo, "pull,push"),),
            headers={"Content-Type": media_type}, data=raw,
        )  # fmt: skip
        self._expect(reply, (201,), repo, f"manifest '{self._ref_text(repo, ref)}'")
        claimed = reply.headers.get("Docker-Content-Digest")
        if claimed and claimed != digest:
            raise self._mismatch(f"pushed manifest '{self._ref_text(repo, ref)}'", claimed, digest)
        self.cache.put(digest, CachedContent(raw, _bare_type(media_type)))
        return digest

    async def mount_blob(self, repo: str, digest: str, from_repo: str) -> bool:
        """Cross-repository mount; False (upload cancelled) when the registry did not mount."""
        validate_repository(repo)
        validate_repository(from_repo)
        self._check_digest_arg(digest)
        url = self._v2(f"{repo}/blobs/uploads/").with_query(mount=digest, **{"from": from_repo})
        scopes = (_repo_scope(repo, "pull,push"), _repo_scope(from_repo, "pull"))
        reply = await self._request("blob_mount", "POST", url, scopes=scopes)
        if reply.status == 201:
            return True
        self._expect(reply, (202,), repo, f"blob {digest} in '{from_repo}'")
        # 202: the registry started an ordinary upload instead (blob unknown or not allowed).
        await self._cancel_upload(repo, reply)
        return False

    # --- requests: auth, retries, one exchange ------------------------------------------

    async def _request(
        self,
        kind: str,
        method: str,
        url: URL,
        *,
        scopes: tuple[str, ...],
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> _Reply:
        """One logical request: auth header, retries, and one new token after a 401."""
        await self._discover_auth()
        sent = await self._auth_headers(scopes)
        reply = await self._send_with_retries(kind, method, url, {**(headers or {}), **sent}, data)
        if reply.status != 401:
            return reply
        await self._answer_challenge(reply, scopes, sent)
        sent = await self._auth_headers(scopes)
        reply = await self._send_with_retries(kind, method, url, {**(headers or {}), **sent}, data)
        if reply.status == 401:
            raise self._auth_refused(reply, scopes)
        return reply

    async def _send_with_retries(
        self, kind: str, method: str, url: URL, headers: dict[str, str], data: bytes | None
    ) -> _Reply:
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                reply = await self._exchange(kind, method, url, headers, data)
            except _ConnectionDropped as exc:
                if last:
                    raise RegistryUnreachable(
                        f"{self._who(url)} kept dropping the connection "
                        f"({method} {url.path}, {self.retries + 1} attempts): {exc}",
                        url=self.url,
                    ) from None
                await asyncio.sleep(self.backoff * 2**attempt)
                continue
            if reply.status not in RETRY_STATUSES or last:
                return reply
            delay = _retry_after(reply.headers.get("Retry-After"))
            if delay is not None and delay > MAX_RETRY_AFTER:
                return reply  # give up now rather than hang a scan for minutes
            await asyncio.sleep(self.backoff * 2**attempt if delay is None else delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _exchange(
        self, kind: str, method: str, url: URL, headers: dict[str, str], data: bytes | None
    ) -> _Reply:
        """One HTTP exchange under the concurrency bound, body read in full."""
        if self._session is None:
            raise RuntimeError("use RegistryClient as 'async with RegistryClient(...) as client'")
        async with self._semaphore:
            self.requests.add(kind)
            try:
                async with self._session.request(
                    method, url, headers=headers, data=data
                ) as response:
                    body = b"" if method == "HEAD" else await response.read()
                    next_link = response.links.get("next", {}).get("url")
                    log.debug("%s %s -> %s", method, url.path, response.status)
                    return _Reply(
                        status=response.status,
                        reason=response.reason or "",
                        headers=response.headers,
                        body=body,
                        url=response.url,
                        next_link=next_link if isinstance(next_link, URL) else None,
                    )
            except TimeoutError:
                raise RegistryTimeout(
                    f"{self._who(url)} did not answer within {self.timeout:g} s "
                    f"({method} {url.path})",
                    url=self.url,
                ) from None
            except aiohttp.ClientConnectorCertificateError:
                raise RegistryUnreachable(
                    f"the TLS certificate of {self._who(url)} is not trusted; for a "
                    "self-signed certificate, turn TLS verification off for this registry",
                    url=self.url,
                ) from None
            except aiohttp.ClientConnectorError as exc:
                raise RegistryUnreachable(
                    f"cannot connect to {self._who(url)}: {exc.os_error.strerror or exc}; "
                    "is it running, and are the address and port right?",
                    url=self.url,
                ) from None
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
                raise _ConnectionDropped(str(exc) or type(exc).__name__) from None
            except aiohttp.ClientPayloadError as exc:
                raise _ConnectionDropped(f"incomplete answer: {exc}") from None
            except aiohttp.ClientError as exc:
                raise RegistryProtocolError(
                    f"{self._who(url)} answered {method} {url.path} with something that is "
                    f"not valid HTTP: {type(exc).__name__}",
                    url=self.url,
                ) from None

    def _who(self, url: URL) -> str:
        if url.origin() == self._base.origin():
            return f"the registry at {self.url}"
        return f"the token server at {url.origin()}"

    # --- authentication ------------------------------------------------------------------

    def _has_credentials(self) -> bool:
        return self.username is not None or self._static_token is not None

    async def _discover_auth(self) -> None:
        """Learn the auth kind once with ``GET /v2/``, so later requests send it up front
        instead of each collecting a 401 first."""
        if self._auth_kind is not None or self._static_token is not None:
            return
        async with self._discover_lock:
            if self._auth_kind is not None:
                return
            if self.share_discovery and (known := _DISCOVERED.get(self.url)) is not None:
                self._auth_kind, self._bearer = known  # learnt by an earlier client
                return
            reply = await self._send_with_retries("ping", "GET", self._v2(""), {}, None)
            if reply.status == 401:
                self._learn_challenge(reply)
            else:
                self._auth_kind = "none"  # other statuses surface on the real request
            _DISCOVERED[self.url] = (self._auth_kind, self._bearer)

    def _learn_challenge(self, reply: _Reply) -> AuthKind:
        challenge = parse_challenge(reply.headers.get("WWW-Authenticate"))
        if challenge is None or challenge.scheme not in ("basic", "bearer"):
            raise RegistryAuthError(
                f"the registry at {self.url} refused access (401) without a usable "
                "WWW-Authenticate challenge",
                url=self.url,
                status=401,
            )
        if challenge.scheme == "bearer":
            if not challenge.params.get("realm"):
                raise RegistryProtocolError(
                    f"the registry at {self.url} asks for a token but names no realm",
                    url=self.url,
                )
            self._bearer = challenge
            self._auth_kind = "bearer"
        else:
            self._auth_kind = "basic"
        return self._auth_kind

    async def _auth_headers(self, scopes: tuple[str, ...]) -> dict[str, str]:
        if self._static_token is not None:
            return {"Authorization": f"Bearer {self._static_token}"}
        if self._auth_kind == "basic" and self.username is not None:
            return {"Authorization": self._basic()}
        if self._auth_kind == "bearer":
            return {"Authorization": f"Bearer {await self._token_for(scopes)}"}
        return {}

    def _basic(self) -> str:
        pair = f"{self.username}:{self._password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    async def _answer_challenge(
        self, reply: _Reply, scopes: tuple[str, ...], sent: dict[str, str]
    ) -> None:
        """After a 401: decide whether one more try can succeed, and prepare it."""
        if self._static_token is not None:
            raise self._auth_refused(reply, scopes)
        kind = self._learn_challenge(reply)
        if kind == "basic":
            if self.username is None or sent.get("Authorization", "").startswith("Basic "):
                raise self._auth_refused(reply, scopes)
            return
        challenge = parse_challenge(reply.headers.get("WWW-Authenticate"))
        extra = tuple((challenge.params.get("scope") or "").split()) if challenge else ()
        rejected = sent.get("Authorization", "").removeprefix("Bearer ") or None
        await self._token_for(scopes, extra=extra, rejected=rejected)

    def _auth_refused(self, reply: _Reply, scopes: tuple[str, ...]) -> RegistryAuthError:
        """The error for a 401 that one more try (new token, Basic header) did not fix."""
        if self._static_token is not None:
            message = f"the registry at {self.url} refused the configured token"
        elif self._auth_kind == "bearer":
            # The token server accepted us (else _fetch_token raised), the registry did not.
            who = f"user '{self.username}'" if self.username is not None else "anonymous access"
            wanted = " and ".join(_describe_scope(scope) for scope in scopes) or "log in"
            message = f"{who} is not allowed to {wanted} at {self.url}"
        elif self.username is None:
            message = f"the registry at {self.url} needs a username and password"
        else:
            message = f"wrong username or password for {self.url}"
        return RegistryAuthError(message, url=self.url, status=reply.status)

    async def _token_for(
        self, scopes: tuple[str, ...], *, extra: tuple[str, ...] = (), rejected: str | None = None
    ) -> str:
        """A cached token for these scopes, or a new one when missing, expired or rejected."""
        key = tuple(sorted(set(scopes)))
        lock = self._token_locks.setdefault(key, asyncio.Lock())
        async with lock:
            token = self._tokens.get(key)
            fresh = token is not None and token.expires_at > time.monotonic()
            if token is not None and fresh and token.value != rejected:
                return token.value
            token = await self._fetch_token(tuple(sorted(set(key + extra))))
            self._tokens[key] = token
            return token.value

    async def _fetch_token(self, scopes: tuple[str, ...]) -> _Token:
        assert self._bearer is not None
        realm = URL(self._bearer.params["realm"])
        service = self._bearer.params.get("service")
        query = [("service", service)] if service else []
        query += [("scope", scope) for scope in scopes]
        headers = {"Authorization": self._basic()} if self.username is not None else {}
        reply = await self._send_with_retries(
            "token", "GET", realm.extend_query(query), headers, None
        )
        where = f"the token server at {realm.origin()}"
        if reply.status in (401, 403):
            problem = (
                f"wrong username or password for {self.url} ({where} refused them)"
                if self.username is not None
                else f"the registry at {self.url} needs a username and password"
            )
            raise RegistryAuthError(problem, url=self.url, status=reply.status)
        if reply.status != 200:
            raise RegistryProtocolError(
                f"{where} answered HTTP {reply.status} {reply.reason} to a token request",
                url=self.url,
                status=reply.status,
            )
        return self._parse_token(reply.body, where)

    def _parse_token(self, body: bytes, where: str) -> _Token:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        value = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(value, str) or not value:
            raise RegistryProtocolError(f"{where} answered without a token", url=self.url)
        expires_in = data.get("expires_in") if isinstance(data, dict) else None
        if not isinstance(expires_in, int | float) or expires_in <= 0:
            expires_in = 60  # the token spec's default
        # Renew a little early so a token does not expire between check and use.
        lifetime = expires_in - min(10.0, expires_in * 0.1)
        return _Token(value=value, expires_at=time.monotonic() + lifetime)

    # --- pagination ------------------------------------------------------------------------

    async def _pages(
        self, kind: str, url: URL, page_size: int, scopes: tuple[str, ...], repo: str
    ) -> AsyncIterator[dict[str, object]]:
        """The JSON bodies of every page, following relative ``Link: <...>; rel="next"``."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
        next_url: URL | None = url.with_query(n=str(page_size))
        seen: set[str] = set()
        while next_url is not None and str(next_url) not in seen:
            seen.add(str(next_url))
            reply = await self._request(kind, "GET", next_url, scopes=scopes)
            self._expect(reply, (200,), repo, f"repository '{repo}'" if repo else "catalog")
            body = self._json_object(reply, kind)
            yield body
            next_url = self._next_page(reply, page_size)

    def _next_page(self, reply: _Reply, page_size: int) -> URL | None:
        link = reply.next_link
        if link is None:
            return None
        if link.origin() != self._base.origin():
            raise RegistryProtocolError(
                f"the registry at {self.url} sent a next-page link to another host "
                f"({link.origin()}); not following it with our credentials",
                url=self.url,
            )
        n = link.query.get("n")
        if n is not None and (not n.isdigit() or int(n) > MAX_PAGE_SIZE):
            link = link.update_query(n=str(page_size))
        return link

    def _json_object(self, reply: _Reply, what: str) -> dict[str, object]:
        try:
            body = json.loads(reply.body)
        except ValueError as exc:
            raise RegistryProtocolError(
                f"the registry at {self.url} sent invalid JSON for {reply.url.path}: {exc}",
                url=self.url,
            ) from None
        if not isinstance(body, dict):
            raise RegistryProtocolError(
                f"the registry at {self.url} sent a {type(body).__name__} instead of an "
                f"object for {reply.url.path}",
                url=self.url,
            )
        return body

    def _names(self, body: dict[str, object], key: str) -> list[str]:
        names = body.get(key)
        if names is None:  # a repository whose tags were all deleted answers "tags": null
            return []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise RegistryProtocolError(
                f"the registry at {self.url} sent '{key}' that is not a list of names",
                url=self.url,
            )
        return names

    # --- checks and error mapping --------------------------------------------------------

    def _v2(self, path: str) -> URL:
        return URL(f"{self.url}/v2/{path}")

    @staticmethod
    def _ref_text(repo: str, ref: str) -> str:
        return f"{repo}@{ref}" if is_digest(ref) else f"{repo}:{ref}"

    @staticmethod
    def _check_digest_arg(digest: str) -> None:
        if not is_digest(digest):
            raise ValueError(f"'{digest}' is not a digest (sha256:<64 hex characters>)")

    def _verified_digest(self, reply: _Reply, ref: str, what: str) -> str:
        """The body's digest, which must equal the header's and, by digest, the request's."""
        claimed = reply.headers.get("Docker-Content-Digest")
        expected = ref if is_digest(ref) else claimed
        if expected is not None and not is_digest(expected):
            raise RegistryProtocolError(
                f"the registry at {self.url} sent a malformed digest {expected!r} for {what}",
                url=self.url,
            )
        algorithm = expected.split(":", 1)[0] if expected else "sha256"
        actual = _content_digest(reply.body, algorithm)
        for wanted in (expected, claimed):
            if wanted is not None and wanted != actual:
                raise self._mismatch(what, wanted, actual)
        return actual

    def _mismatch(self, what: str, claimed: str, actual: str) -> RegistryProtocolError:
        return RegistryProtocolError(
            f"the registry at {self.url} sent {what} with digest {claimed}, but the bytes "
            f"received hash to {actual}: the content is corrupt or was changed on the way",
            url=self.url,
        )

    def _manifest_result(
        self, raw: bytes, content_type: str | None, digest: str, repo: str, ref: str
    ) -> ManifestResult:
        bare = _bare_type(content_type)
        try:
            manifest = parse_manifest(raw, bare if bare in _BARE_MANIFEST_TYPES else None)
        except ManifestError as exc:
            raise RegistryProtocolError(
                f"the registry at {self.url} sent an unusable manifest for "
                f"'{self._ref_text(repo, ref)}': {exc}",
                url=self.url,
            ) from None
        return ManifestResult(raw, manifest.media_type, digest, manifest)

    def _expect(self, reply: _Reply, ok: tuple[int, ...], repo: str, what: str) -> None:
        if reply.status not in ok:
            raise self._status_error(reply, what, repo)

    def _status_error(self, reply: _Reply, what: str, repo: str) -> RegistryError:
        code, text = _registry_errors(reply.body)
        status = f"HTTP {reply.status} {reply.reason}".strip()
        cls: type[RegistryError] = RegistryProtocolError
        if reply.status == 404:
            cls = RegistryNotFound
            name = f"repository '{repo}'" if code == "NAME_UNKNOWN" and repo else what
            message = f"{name} not found at {self.url}"
        elif reply.status == 403:
            cls = RegistryAuthError
            message = f"the registry at {self.url} denied access to {what}"
            message += f": {text}" if text else ""
        elif reply.status in RETRY_STATUSES:
            cls = RegistryUnreachable
            message = (
                f"the registry at {self.url} is not available: it answered {status} "
                f"{self.retries + 1} times for {reply.url.path}; try again later"
            )
        else:
            hint = _CODE_HINTS.get(code or "")
            message = f"the registry at {self.url} answered {status} for {what}"
            message += f" ({reply.url.path})"
            message += f": {text}" if text else ""
            message += f"; {hint}" if hint else ""
        return cls(message, url=self.url, status=reply.status, code=code)

    async def _cancel_upload(self, repo: str, reply: _Reply) -> None:
        """Best effort: cancel the upload a refused mount started (else it is purged later)."""
        location = reply.headers.get("Location")
        if not location:
            return
        url = reply.url.join(URL(location))
        if url.origin() != self._base.origin():
            log.info("not cancelling upload at another host: %s", url.origin())
            return
        try:
            answer = await self._request(
                "blob_upload_cancel", "DELETE", url, scopes=(_repo_scope(repo, "delete"),)
            )
        except RegistryError as exc:
            log.info("could not cancel the upload a refused mount started: %s", exc)
            return
        if answer.status not in (200, 202, 204, 404):
            log.info("cancelling the upload a refused mount started answered %s", answer.status)
