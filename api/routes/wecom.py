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
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep, SettingsDep
from rag.assistant import Assistant
from rag.errors import PayloadError, SignatureError
from rag.settings import Settings
from wecom import app as app_channel
from wecom import bot as bot_channel
from wecom.replies import Ask, limited
from wecom.callback import CallbackQuery, verify_url
from wecom.crypto import WeComCrypto
from wecom.state import WeComState, state_of

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


# Listed first in each endpoint, so an unconfigured channel is a 404 even while the
# assistant is still loading (ServiceDep would answer 503).
BotCrypto = Annotated[WeComCrypto, Depends(_bot_crypto)]
AppCrypto = Annotated[WeComCrypto, Depends(_app_crypto)]


def _state(request: Request, settings: Settings) -> WeComState:
    return state_of(request.app.state, settings.wecom_msgid_ttl)


def _ask(service: Assistant, settings: Settings) -> Ask:
    return limited(service.ask, settings.max_question_chars)


async def _reply(handle: Callable[..., str], crypto: WeComCrypto, request: Request, settings: Settings, service: Assistant) -> str:
    """Run a channel's blocking handler off the event loop, with its HTTP error mapping."""
    body = await request.body()
    with _http_errors():
        query = CallbackQuery.from_params(request.query_params)
        return await run_in_threadpool(handle, crypto, _state(request, settings), query, body, _ask(service, settings))


def _verified(crypto: WeComCrypto, request: Request) -> PlainTextResponse:
    with _http_errors():
        return PlainTextResponse(verify_url(crypto, request.query_params))


@router.get("/wecom/bot", response_class=PlainTextResponse)
def bot_verify(crypto: BotCrypto, request: Request) -> PlainTextResponse:
    """URL verification of the intelligent bot: the decrypted echostr, alone."""
    return _verified(crypto, request)


@router.post("/wecom/bot")
async def bot_callback(crypto: BotCrypto, request: Request, settings: SettingsDep, service: ServiceDep) -> Response:
    """A bot message or stream refresh; the reply is an encrypted stream message."""
    reply = await _reply(bot_channel.handle, crypto, request, settings, service)
    return Response(reply, media_type="application/json")


@router.get("/wecom/app", response_class=PlainTextResponse)
def app_verify(crypto: AppCrypto, request: Request) -> PlainTextResponse:
    """URL verification of the self-built app: the decrypted echostr, alone."""
    return _verified(crypto, request)


@router.post("/wecom/app")
async def app_callback(crypto: AppCrypto, request: Request, settings: SettingsDep, service: ServiceDep) -> Response:
    """An app message: a passive encrypted text reply, or an empty 200 for events."""
    reply = await _reply(app_channel.handle, crypto, request, settings, service)
    return Response(reply, media_type="application/xml" if reply else "text/plain")
