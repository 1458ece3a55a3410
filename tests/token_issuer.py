"""A test token server for distribution's ``auth.token`` (realm, service, issuer,
rootcertbundle).

It issues RS256 JWTs the way distribution 2.8 verifies them (registry/auth/token/token.go):
the header carries an ``x5c`` chain whose leaf must verify against ``rootcertbundle`` (here a
self-signed certificate that is its own root), ``iss`` must equal the configured issuer,
``aud`` the service, and the ``access`` claim lists ``{type, name, actions}`` per resource.
Tokens are only issued for correct Basic credentials. The key and certificate come from the
``cryptography`` package (installed with daphne's dependencies).

Knobs for tests: ``expires_in``, ``token_field`` (``token`` or ``access_token``), per-user
``grants`` (allowed actions), and ``withhold_access(n)`` to issue the next n tokens with no
access at all (the registry then answers 401 ``insufficient_scope``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import shutil
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

ALL_ACTIONS = frozenset({"pull", "push", "delete", "*"})


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _self_signed(common_name: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def parse_scope(scope: str) -> tuple[str, str, list[str]] | None:
    """``repository:name:pull,push`` -> (type, name, actions); names may contain ':'."""
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if not kind or not name or not actions:
        return None
    return kind, name, actions.split(",")


class TokenIssuer:
    def __init__(
        self,
        users: dict[str, str],
        *,
        service: str = "swarmdeck-test-registry",
        issuer: str = "swarmdeck-test-issuer",
        expires_in: int = 300,
        grants: dict[str, set[str]] | None = None,
    ) -> None:
        self.users = users
        self.service = service
        self.issuer = issuer
        self.expires_in = expires_in
        self.grants = grants or {}
        self.token_field = "token"
        self.requests: list[tuple[str | None, tuple[str, ...]]] = []  # (user, scopes)
        self.refused = 0
        self._withhold = 0
        self._lock = threading.Lock()
        self.root = Path(tempfile.mkdtemp(prefix="sd-token-issuer-"))
        self._key, self._cert = _self_signed("swarmdeck test token issuer")
        self.cert_path = self.root / "root.pem"
        self.cert_path.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.realm = f"{self.url}/token"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> TokenIssuer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        shutil.rmtree(self.root, ignore_errors=True)

    def registry_config(self) -> dict[str, str]:
        """The ``auth.token`` section for RegistryServer(token_auth=...)."""
        return {
            "realm": self.realm,
            "service": self.service,
            "issuer": self.issuer,
            "rootcertbundle": str(self.cert_path),
        }

    @property
    def token_requests(self) -> int:
        return len(self.requests)

    def withhold_access(self, times: int = 1) -> None:
        with self._lock:
            self._withhold = times

    # --- issuing -------------------------------------------------------------------------

    def issue(self, user: str, scopes: list[str]) -> dict[str, object]:
        with self._lock:
            withhold = self._withhold > 0
            self._withhold -= 1 if withhold else 0
        access = [] if withhold else self._access(user, scopes)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": user,
            "aud": self.service,
            "exp": now + self.expires_in,
            "nbf": now - 5,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        token = self._sign(claims)
        return {self.token_field: token, "expires_in": self.expires_in,
                "issued_at": dt.datetime.now(dt.UTC).isoformat()}  # fmt: skip

    def _access(self, user: str, scopes: list[str]) -> list[dict[str, object]]:
        allowed = self.grants.get(user, ALL_ACTIONS)
        access = []
        for scope in scopes:
            parsed = parse_scope(scope)
            if parsed is None:
                continue
            kind, name, actions = parsed
            granted = [action for action in actions if action in allowed]
            access.append({"type": kind, "name": name, "actions": granted})
        return access

    def _sign(self, claims: dict[str, object]) -> str:
        der = self._cert.public_bytes(serialization.Encoding.DER)
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        signing_input = f"{_b64url(json.dumps(header).encode())}." + _b64url(
            json.dumps(claims).encode()
        )
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def check_basic(self, header: str | None) -> str | None:
        """The user name for correct Basic credentials, else None."""
        if not header or not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        expected = self.users.get(user)
        if expected is None or not secrets.compare_digest(expected, password):
            return None
        return user

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                user = issuer.check_basic(self.headers.get("Authorization"))
                scopes = [s for value in query.get("scope", []) for s in value.split(" ") if s]
                with issuer._lock:
                    issuer.requests.append((user, tuple(scopes)))
                if url.path != "/token":
                    self._reply(404, {"details": "not found"})
                elif user is None or query.get("service", [""])[0] != issuer.service:
                    issuer.refused += 1
                    self._reply(401, {"details": "incorrect username or password"},
                                {"WWW-Authenticate": 'Basic realm="swarmdeck-test"'})  # fmt: skip
                else:
                    self._reply(200, issuer.issue(user, scopes))

            def _reply(
                self, status: int, body: dict[str, object], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the test output is for failures

        return Handler
