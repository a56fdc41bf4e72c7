"""Who is calling: a signed session cookie, a trusted SSO header, or an API key; and the gate that,
with ``POLICY_QA_AUTH=on``, refuses everything else on every path (the chat, /gradio_api/, the API)."""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Receive, Scope, Send

from api.security import key_matches
from api.sessions import COOKIE, SessionSigner
from db.accounts import NAME, Identity, find_user, identify_key
from db.models import NAME_CHARS

log = logging.getLogger("policy_qa.auth")

# reachable without signing in: the sign-in page itself, the load balancer's health check, and the
# WeCom callbacks, which WeCom's servers call and which check WeCom's own signature instead
OPEN_PATHS = frozenset({"/login", "/auth/login", "/auth/logout", "/api/health", "/favicon.ico",
                        "/wecom/bot", "/wecom/app"})
USER_CACHE_SECONDS = 30.0  # a removed user or a changed role takes effect within this


@dataclass(frozen=True)
class AuthConfig:
    required: bool
    signer: SessionSigner
    static_keys: tuple[str, ...]
    trusted_header: str | None
    trusted_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @staticmethod
    def networks(values: list[str]) -> tuple:
        return tuple(ipaddress.ip_network(v, strict=False) for v in values)


class Authenticator:
    def __init__(self, engine: Engine, config: AuthConfig):
        self.engine = engine
        self.config = config
        self._users: dict[str, tuple[float, Identity | None]] = {}
        self._lock = threading.Lock()

    def identify(self, headers: Mapping[str, str], client_host: str | None) -> Identity | None:
        """The caller behind these request headers, or None; SQLAlchemyError when the accounts are unreadable."""
        return self._sso(headers, client_host) or self._session(headers) or self._key(headers)

    def identify_or_anonymous(self, headers: Mapping[str, str], client_host: str | None) -> Identity | None:
        """As ``identify``, but None while the accounts are unreadable: for the chat's own checks, behind
        the gate (which has already answered 503 when sign-in is required and the database is down)."""
        try:
            return self.identify(headers, client_host)
        except SQLAlchemyError as err:
            log.warning("accounts unreadable, caller treated as anonymous: %s", str(err).splitlines()[0][:200])
            return None

    def _sso(self, headers: Mapping[str, str], client_host: str | None) -> Identity | None:
        header = self.config.trusted_header
        name = headers.get(header.lower(), "").strip() if header else ""
        if not name or not self._trusted(client_host) or len(name) > NAME_CHARS or not NAME.fullmatch(name):
            return None
        known = self._user(name)
        return Identity(name, known.role if known else "staff", "sso")

    def _trusted(self, host: str | None) -> bool:
        try:
            address = ipaddress.ip_address(host or "")
        except ValueError:
            return False
        return any(address in network for network in self.config.trusted_networks)

    def _session(self, headers: Mapping[str, str]) -> Identity | None:
        try:
            morsel = SimpleCookie(headers.get("cookie", "")).get(COOKIE)
        except CookieError:
            return None
        name = self.config.signer.read(morsel.value) if morsel else None
        return self._user(name) if name else None

    def _key(self, headers: Mapping[str, str]) -> Identity | None:
        scheme, _, key = headers.get("authorization", "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return None
        if self.config.static_keys and key_matches(key, list(self.config.static_keys)):
            return Identity("api-key", "staff", "static-key")
        return identify_key(self.engine, key)

    def _user(self, name: str) -> Identity | None:
        now = time.monotonic()
        with self._lock:
            cached = self._users.get(name)
        if cached and cached[0] > now:
            return cached[1]
        user = find_user(self.engine, name)
        with self._lock:
            if len(self._users) > 10_000:
                self._users.clear()
            self._users[name] = (now + USER_CACHE_SECONDS, user)
        return user


class AuthGate:
    """ASGI middleware: puts the caller's Identity in ``request.state.identity`` on every request, and
    with auth required refuses anonymous ones — 401, or a redirect to /login for a page — before any
    route, the mounted chat and its /gradio_api/ included, sees them."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator):
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        client = scope.get("client")
        try:
            identity = self.authenticator.identify(headers, client[0] if client else None)
        except SQLAlchemyError:
            identity = None
            if self.authenticator.config.required:
                await _reply(send, 503, {"detail": "the accounts database is unavailable; try again shortly"})
                return
        scope.setdefault("state", {})["identity"] = identity
        if identity is None and self.authenticator.config.required and scope["path"] not in OPEN_PATHS:
            await self._refuse(scope, send, headers)
            return
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, headers: dict[str, str]) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        wants_page = scope["method"] == "GET" and "text/html" in headers.get("accept", "")
        if wants_page:
            target = scope["path"] + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
            await _reply(send, 303, b"", [(b"location", f"/login?next={quote(target, safe='')}".encode("ascii"))])
            return
        await _reply(send, 401, {"detail": "sign in first (POST /auth/login) or send Authorization: Bearer <key>"},
                     [(b"www-authenticate", b"Bearer")])


async def _reply(send: Send, status: int, body: dict | bytes, headers: list[tuple[bytes, bytes]] = ()) -> None:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": payload})
