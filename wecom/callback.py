"""What every WeCom callback carries in its query string, and the GET URL verification."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rag.errors import PayloadError
from wecom.crypto import WeComCrypto


def _param(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise PayloadError(f"query parameter {name!r} is missing or empty")
    return value


@dataclass(frozen=True)
class CallbackQuery:
    """``msg_signature``, ``timestamp`` and ``nonce`` of one callback."""

    msg_signature: str
    timestamp: str
    nonce: str

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> CallbackQuery:
        return cls(_param(params, "msg_signature"), _param(params, "timestamp"), _param(params, "nonce"))


def verify_url(crypto: WeComCrypto, params: Mapping[str, str], now: float | None = None) -> str:
    """Answer WeCom's GET check: verify the signature over ``echostr``, return its plaintext."""
    query = CallbackQuery.from_params(params)
    # A '+' left unescaped by a proxy arrives as a space; base64 never contains spaces.
    echostr = _param(params, "echostr").replace(" ", "+")
    return crypto.open(query.msg_signature, query.timestamp, query.nonce, echostr, now)
