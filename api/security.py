"""Bearer-key auth and the per-key rate limit guarding /api/* (except health) and /v1/*."""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import deque

from fastapi import HTTPException, Request
from fastapi.security import HTTPBearer

WINDOW_SECONDS = 60.0

# Declares the scheme in the OpenAPI document (the "Authorize" button of /docs); the check
# itself is check_access, run before the body is parsed so an unauthorised client learns nothing.
bearer_scheme = HTTPBearer(auto_error=False, description="One of the keys in POLICY_QA_API_KEYS (when it is set).")


def key_matches(presented: str, keys: list[str]) -> bool:
    """Compare with every key in constant time, so timing tells neither which key nor how much matched."""
    candidate = presented.encode("utf-8")
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(candidate, key.encode("utf-8"))
    return matched


class RateLimiter:
    """Sliding one-minute window per caller; thread-safe, per process (each worker counts alone)."""

    def __init__(self, per_minute: int, window: float = WINDOW_SECONDS):
        self.per_minute = per_minute
        self.window = window
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, caller: str, now: float | None = None) -> float | None:
        """Record a call; None when allowed, else the seconds until the oldest call leaves the window."""
        if self.per_minute <= 0:
            return None
        now = time.monotonic() if now is None else now
        with self._lock:
            calls = self._calls.setdefault(caller, deque())
            while calls and calls[0] <= now - self.window:
                calls.popleft()
            if len(calls) >= self.per_minute:
                return calls[0] + self.window - now
            calls.append(now)
            if len(self._calls) > 10_000:  # forget idle callers so many client IPs cannot grow memory
                self._calls = {k: v for k, v in self._calls.items() if v and v[-1] > now - self.window}
            return None


def presented_key(request: Request) -> str | None:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    return presented.strip() if scheme.lower() == "bearer" and presented.strip() else None


def check_admin(request: Request) -> None:
    """403 unless admin keys are configured and one is presented (401 when none is)."""
    admins = request.app.state.settings.admin_key_list
    if not admins:
        raise HTTPException(status_code=403, detail="changing the library over HTTP is disabled; "
                                                    "set POLICY_QA_ADMIN_KEYS to allow it")
    presented = presented_key(request)
    if presented is None:
        raise HTTPException(status_code=401, detail="an admin key is required; send Authorization: Bearer <key>",
                            headers={"WWW-Authenticate": "Bearer"})
    if not key_matches(presented, admins):
        raise HTTPException(status_code=403, detail="this key may not change the library")


def check_access(request: Request) -> None:
    """401 without a valid key (when keys are configured), then 429 over the caller's rate.

    A caller the auth gate (api.auth) identified by a session, an SSO header or one of their own
    keys is let in and counted by name; with POLICY_QA_AUTH=on the gate has refused everyone else.
    """
    settings = request.app.state.settings
    keys = settings.api_key_list + settings.admin_key_list if settings.api_key_list else []
    caller = f"ip:{request.client.host if request.client else 'unknown'}"
    identity = getattr(request.state, "identity", None)
    if identity is not None and identity.via != "static-key" and (settings.auth or identity.via == "key"):
        caller = f"user:{identity.name}"
    elif keys:
        presented = presented_key(request)
        if presented is None or not key_matches(presented, keys):
            raise HTTPException(status_code=401, detail="missing or invalid API key; send Authorization: Bearer <key>",
                                headers={"WWW-Authenticate": "Bearer"})
        caller = f"key:{presented}"
    wait = request.app.state.limiter.retry_after(caller)
    if wait is not None:
        raise HTTPException(status_code=429, detail=f"rate limit of {settings.rate_limit} requests per minute exceeded",
                            headers={"Retry-After": str(max(1, math.ceil(wait)))})
