"""A fault-injecting HTTP proxy in front of a real registry, for the failures a registry
cannot produce on cue.

It runs aiohttp.web on its own event loop in a daemon thread, on a free loopback port, and
forwards everything (Host header included, so upload ``Location`` URLs point back at the
proxy). ``set_fault`` switches one fault on for requests whose path contains a substring,
for a number of requests or until ``clear``:

- ``500``: an Internal Server Error with a distribution-style error body;
- ``429``: Too Many Requests with ``Retry-After`` (use ``times=1`` for "429 once, then OK");
- ``503``: Service Unavailable;
- ``slow``: wait ``slow_seconds`` before answering (past the client's timeout);
- ``bad_digest``: a body one byte longer than the one ``Docker-Content-Digest`` names;
- ``bad_json``: a truncated JSON body;
- ``tags_null``: ``{"name": ..., "tags": null}`` for a tags list;
- ``reset``: drop the connection without answering.

"Registry down" needs no proxy: ``closed_port_url()`` names a port nobody listens on.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from tests.components import free_port

FAULTS = frozenset({"500", "429", "503", "slow", "bad_digest", "bad_json", "tags_null", "reset"})
# Not forwarded: per-connection headers, and lengths that aiohttp recomputes.
_HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding",
     "accept-encoding", "upgrade", "te", "trailer"}
)  # fmt: skip


@dataclass
class _FaultRule:
    fault: str
    path_contains: str
    times: int | None  # None: until cleared


def closed_port_url() -> str:
    """A loopback URL where nothing listens: connection refused, like a registry that is down."""
    return f"http://127.0.0.1:{free_port()}"


class FaultProxy:
    def __init__(self, upstream: str, *, slow_seconds: float = 3.0, retry_after: str = "0"):
        self.upstream = upstream.rstrip("/")
        self.slow_seconds = slow_seconds
        self.retry_after = retry_after
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.seen: list[str] = []  # "METHOD /path?query" of every request, faulted or not
        self.faulted: list[str] = []
        self._rule: _FaultRule | None = None
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        self._session: aiohttp.ClientSession | None = None
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)

    # --- control (test thread) -------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fault proxy did not start within 10 s")
        return self

    def stop(self) -> None:
        if self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(10)

    def set_fault(self, fault: str, *, path_contains: str = "", times: int | None = None) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(sorted(FAULTS))}")
        with self._lock:
            self._rule = _FaultRule(fault, path_contains, times)

    def clear(self) -> None:
        with self._lock:
            self._rule = None
            self.seen.clear()
            self.faulted.clear()

    # --- server (proxy thread) ---------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stopped = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port)
        async with aiohttp.ClientSession(auto_decompress=False) as session:
            self._session = session
            await site.start()
            self._ready.set()
            await self._stopped.wait()
            await runner.cleanup()

    def _take_fault(self, request: web.Request) -> str | None:
        with self._lock:
            self.seen.append(f"{request.method} {request.path_qs}")
            rule = self._rule
            if rule is None or rule.path_contains not in request.path:
                return None
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self._rule = None
            self.faulted.append(f"{rule.fault} {request.method} {request.path_qs}")
            return rule.fault

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        fault = self._take_fault(request)
        early = self._early_answer(fault, request)
        if early is not None:
            return early
        if fault == "slow":
            await asyncio.sleep(self.slow_seconds)
        status, headers, body = await self._forward(request)
        body = _mangle(fault, request, body)
        return web.Response(status=status, headers=headers, body=body if body else None)

    def _early_answer(self, fault: str | None, request: web.Request) -> web.Response | None:
        """Faults answered without asking the registry."""
        if fault == "500":
            errors = {"errors": [{"code": "UNKNOWN", "message": "injected internal error"}]}
            return web.json_response(errors, status=500)
        if fault == "429":
            errors = {"errors": [{"code": "TOOMANYREQUESTS", "message": "injected rate limit"}]}
            return web.json_response(errors, status=429, headers={"Retry-After": self.retry_after})
        if fault == "503":
            return web.Response(status=503, text="injected: service unavailable")
        if fault == "reset":
            assert request.transport is not None
            request.transport.abort()
            return web.Response()  # never written: the connection is gone
        return None

    async def _forward(self, request: web.Request) -> tuple[int, dict[str, str], bytes]:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        data = await request.read()
        async with self._session.request(
            request.method,
            f"{self.upstream}{request.path_qs}",
            headers=headers,
            data=data or None,
            allow_redirects=False,
        ) as upstream:
            body = await upstream.read()
            # HEAD keeps the registry's Content-Length: that is the manifest size.
            keep = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_HEADERS}
            if request.method == "HEAD" and "Content-Length" in upstream.headers:
                keep["Content-Length"] = upstream.headers["Content-Length"]
            return upstream.status, keep, body


def _mangle(fault: str | None, request: web.Request, body: bytes) -> bytes:
    if fault == "bad_digest":
        return body + b"\n"  # still valid JSON, different bytes
    if fault == "bad_json":
        return body[: max(1, len(body) // 2)]
    if fault == "tags_null" and request.path.endswith("/tags/list"):
        name = request.path.removeprefix("/v2/").removesuffix("/tags/list")
        return json.dumps({"name": name, "tags": None}).encode()
    return body
