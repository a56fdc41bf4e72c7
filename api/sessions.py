"""Signed session cookies: the user's name and the time of sign-in, under an HMAC-SHA256 signature.

Nothing is stored on the server, so every worker accepts a cookie any worker issued (they
share the key); a cookie expires ``max_age`` seconds after sign-in whatever the browser does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

COOKIE = "policy_qa_session"
CLOCK_SKEW = 60.0  # seconds a cookie may appear to come from the future (workers' clocks)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    def __init__(self, secret: bytes, max_age: float):
        self.secret = secret
        self.max_age = max_age

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self.secret, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, name: str, now: float | None = None) -> str:
        issued = time.time() if now is None else now
        payload = _b64(json.dumps({"u": name, "t": int(issued), "n": secrets.token_hex(8)}).encode("utf-8"))
        return f"{payload}.{self._sign(payload)}"

    def read(self, token: str, now: float | None = None) -> str | None:
        """The signed-in name, or None for a forged, malformed or expired cookie."""
        payload, _, signature = token.partition(".")
        if len(token) > 512 or not payload.isascii() or not hmac.compare_digest(self._sign(payload), signature):
            return None
        try:
            data = json.loads(_unb64(payload))
            name, issued = data["u"], float(data["t"])
        except (ValueError, KeyError, TypeError):
            return None
        now = time.time() if now is None else now
        if not isinstance(name, str) or not (now - self.max_age < issued <= now + CLOCK_SKEW):
            return None
        return name


def session_secret(configured: str | None, home: Path) -> bytes:
    """The configured key, else one kept in ``home/session.key`` (created once, readable by its owner only)."""
    if configured:
        return configured.encode("utf-8")
    path = home / "session.key"
    home.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32))
    return path.read_bytes().strip()
