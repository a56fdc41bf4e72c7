"""WeCom callbacks over HTTP: intelligent bot at /wecom/bot, self-built app at /wecom/app.

Protocol logic lives in ``wecom/``; this module only maps it to HTTP: 404 when a channel is
not configured, 503 when its EncodingAESKey is malformed, 403 for signature/receive
id/timestamp, 400 for malformed payloads. (An oversized body is refused with 413 before it
gets here, by ``api.limits.BodySizeLimit``.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep, SettingsDep
from api.recording import recorded_ask
from rag.settings import Settings
from wecom import app as app_channel
from wecom import bot as bot_channel
from wecom.callback import CallbackQuery, Channel, verify_url
from wecom.crypto import WeComCrypto
from wecom.errors import PayloadError, SignatureError
from wecom.state import state_of

log = logging.getLogger(__name__)

router = APIRouter()

MISCONFIGURED = "WeCom channel misconfigured"


@contextmanager
def _http_errors() -> Iterator[None]:
    try:
        yield
    except SignatureError as err:
        raise HTTPException(status_code=403, detail=str(err)) from None
    except PayloadError as err:
        raise HTTPException(status_code=400, detail=str(err)) from None


@lru_cache(maxsize=8)
def _load_crypto(token: str, aes_key: str, receive_id: str, window: int) -> WeComCrypto | None:
    """Parse a channel's key once; ``None`` (logged once) when the configured key is malformed.

    A bad key is an operator error, not a client's: the endpoint answers 503 rather than
    failing every callback with a 500 traceback, and the log names the problem.
    """
    try:
        return WeComCrypto.create(token, aes_key, receive_id, window)
    except ValueError as err:
        log.error("%s: %s", MISCONFIGURED, err)
        return None


def _crypto(token: str | None, aes_key: str | None, receive_id: str | None, settings: Settings) -> WeComCrypto:
    if not (token and aes_key and receive_id is not None):
        raise HTTPException(status_code=404, detail="this WeCom channel is not configured")
    crypto = _load_crypto(token, aes_key, receive_id, settings.wecom_replay_window)
    if crypto is None:
        raise HTTPException(status_code=503, detail=MISCONFIGURED)
    return crypto


def _bot_crypto(settings: SettingsDep) -> WeComCrypto:
    # API-mode bots sign with an empty receive id.
    return _crypto(settings.wecom_bot_token, settings.wecom_bot_aes_key, "", settings)


def _app_crypto(settings: SettingsDep) -> WeComCrypto:
    return _crypto(settings.wecom_token, settings.wecom_aes_key, settings.wecom_corp_id or None, settings)


def _add_channel(name: str, channel: Channel, crypto_of: Callable[[Settings], WeComCrypto]) -> None:
    """Route GET (URL verification) and POST (messages) of ``/wecom/<name>`` to ``channel``."""
    path = f"/wecom/{name}"
    # The crypto dependency comes first in each endpoint, so an unconfigured channel is a 404
    # even while the assistant is still loading (ServiceDep would answer 503).
    crypto_dep = Depends(crypto_of)

    # Named per channel: OpenAPI derives each operation's id and summary from the route name.
    @router.get(path, response_class=PlainTextResponse, name=f"{name}_verify")
    def verify(*, crypto: WeComCrypto = crypto_dep, request: Request) -> PlainTextResponse:
        """URL verification: the decrypted echostr, alone."""
        with _http_errors():
            return PlainTextResponse(verify_url(crypto, request.query_params))

    @router.post(path, name=f"{name}_callback")
    async def callback(
        *, crypto: WeComCrypto = crypto_dep, request: Request, settings: SettingsDep, service: ServiceDep
    ) -> Response:
        """A message: its encrypted reply, or an empty 200 when there is nothing to send."""
        body = await request.body()
        with _http_errors():
            query = CallbackQuery.from_params(request.query_params)
            state = state_of(request.app.state, settings.wecom_msgid_ttl)
            # The handler blocks (crypto, waiting for the answer), so it runs off the event loop.
            ask = recorded_ask(request, service, "wecom")
            reply = await run_in_threadpool(channel.handle, crypto, state, query, body, ask)
        return Response(reply, media_type=channel.envelope.media_type if reply else "text/plain")


_add_channel("bot", bot_channel.CHANNEL, _bot_crypto)
_add_channel("app", app_channel.CHANNEL, _app_crypto)
