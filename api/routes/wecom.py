"""WeCom callbacks over HTTP: intelligent bot at /wecom/bot, self-built app at /wecom/app.

Protocol logic lives in ``wecom/``; this module only maps it to HTTP: 404 when a channel is
not configured, 403 for signature/receive id/timestamp, 400 for malformed payloads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep, SettingsDep
from rag.errors import PayloadError, SignatureError
from rag.settings import Settings
from wecom import app as app_channel
from wecom import bot as bot_channel
from wecom.callback import CallbackQuery, verify_url
from wecom.crypto import WeComCrypto
from wecom.state import WeComState, state_of

router = APIRouter()


@contextmanager
def _http_errors() -> Iterator[None]:
    try:
        yield
    except SignatureError as err:
        raise HTTPException(status_code=403, detail=str(err)) from None
    except PayloadError as err:
        raise HTTPException(status_code=400, detail=str(err)) from None


def _crypto(
    token: str | None, aes_key: str | None, receive_id: str | None, settings: Settings
) -> WeComCrypto:
    if not (token and aes_key and receive_id is not None):
        raise HTTPException(status_code=404, detail="this WeCom channel is not configured")
    return WeComCrypto.create(token, aes_key, receive_id, settings.wecom_replay_window)


def _bot_crypto(settings: Settings) -> WeComCrypto:
    # API-mode bots sign with an empty receive id.
    return _crypto(settings.wecom_bot_token, settings.wecom_bot_aes_key, "", settings)


def _app_crypto(settings: Settings) -> WeComCrypto:
    return _crypto(settings.wecom_token, settings.wecom_aes_key, settings.wecom_corp_id or None, settings)


def _state(request: Request, settings: Settings) -> WeComState:
    return state_of(request.app.state, settings.wecom_msgid_ttl)


async def _body(request: Request, settings: Settings) -> bytes:
    body = await request.body()
    if len(body) > settings.max_body_bytes:
        detail = f"body of {len(body)} bytes exceeds {settings.max_body_bytes}"
        raise HTTPException(status_code=413, detail=detail)
    return body


@router.get("/wecom/bot", response_class=PlainTextResponse)
def bot_verify(request: Request, settings: SettingsDep) -> PlainTextResponse:
    """URL verification of the intelligent bot: the decrypted echostr, alone."""
    crypto = _bot_crypto(settings)
    with _http_errors():
        return PlainTextResponse(verify_url(crypto, request.query_params))


@router.post("/wecom/bot")
async def bot_callback(request: Request, settings: SettingsDep, service: ServiceDep) -> Response:
    """A bot message or stream refresh; the reply is an encrypted stream message."""
    crypto = _bot_crypto(settings)
    body = await _body(request, settings)
    with _http_errors():
        query = CallbackQuery.from_params(request.query_params)
        reply = await run_in_threadpool(
            bot_channel.handle, crypto, _state(request, settings), query, body, service.ask
        )
    return Response(reply, media_type="application/json")


@router.get("/wecom/app", response_class=PlainTextResponse)
def app_verify(request: Request, settings: SettingsDep) -> PlainTextResponse:
    """URL verification of the self-built app: the decrypted echostr, alone."""
    crypto = _app_crypto(settings)
    with _http_errors():
        return PlainTextResponse(verify_url(crypto, request.query_params))


@router.post("/wecom/app")
async def app_callback(request: Request, settings: SettingsDep, service: ServiceDep) -> Response:
    """An app message: a passive encrypted text reply, or an empty 200 for events."""
    crypto = _app_crypto(settings)
    body = await _body(request, settings)
    with _http_errors():
        query = CallbackQuery.from_params(request.query_params)
        reply = await run_in_threadpool(
            app_channel.handle, crypto, _state(request, settings), query, body, service.ask
        )
    return Response(reply, media_type="application/xml" if reply else "text/plain")
