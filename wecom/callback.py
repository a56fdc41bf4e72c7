"""The round trip every WeCom callback makes, whichever channel it is for.

A GET verifies the URL by echoing the decrypted ``echostr``; a POST is verified, decrypted,
answered by its channel and sealed again. The bot and the app differ only in their
:class:`~wecom.envelope.Envelope` and in how they answer a decrypted message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from wecom.crypto import WeComCrypto
from wecom.envelope import Envelope
from wecom.errors import PayloadError
from wecom.replies import Ask
from wecom.state import WeComState


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


@dataclass(frozen=True)
class Turn:
    """One verified, decrypted POST callback and what a channel may use to answer it."""

    plaintext: str
    receive_id: str  # the channel's own id, which an app reply names as its sender
    state: WeComState
    ask: Ask
    wait: float  # seconds to wait for an answer before replying without it
    now: float | None  # fixed by tests; None is the current time


@dataclass(frozen=True)
class Channel:
    """The bot or the app: its envelope, how it answers, and how long it waits for an answer."""

    envelope: Envelope
    # The plaintext reply to one callback; None when nothing is to be sent (yet).
    answer: Callable[[Turn], str | None]
    wait: float

    def handle(
        self,
        crypto: WeComCrypto,
        state: WeComState,
        query: CallbackQuery,
        body: bytes,
        ask: Ask,
        now: float | None = None,
        wait: float | None = None,
    ) -> str:
        """The encrypted reply to one POST callback, "" for none; raises SignatureError / PayloadError."""
        plaintext = crypto.open(query.msg_signature, query.timestamp, query.nonce, self.envelope.parse(body), now)
        turn = Turn(plaintext, crypto.receive_id, state, ask, self.wait if wait is None else wait, now)
        reply = self.answer(turn)
        if reply is None:
            return ""
        return self.envelope.reply(crypto.seal(reply, query.nonce))
