"""Request-body limits: size (413, ASGI middleware on every path) and well-formed UTF-8 JSON (422, API routes)."""

from __future__ import annotations

import json

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """ASGI middleware: 413 for any request whose body exceeds ``max_bytes``, on every path.

    A declared Content-Length is refused before reading. Otherwise the body (chunked ones
    included) is read, at most ``max_bytes`` plus one message, and replayed to the app as one
    message: the app never starts on a body that turns out too large, and every route,
    the mounted UI and the WeCom callbacks included, is covered.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, uploads: dict[str, int] | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = uploads or {}  # POST path → its own, larger limit (document uploads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.uploads.get(scope["path"], self.max_bytes) if scope["method"] == "POST" else self.max_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(send, f"request body of {declared} bytes exceeds the limit of {limit}")
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # client went away before sending the body
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await self._refuse(send, f"request body exceeds the limit of {limit} bytes")
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    @staticmethod
    async def _refuse(send: Send, detail: str) -> None:
        payload = json.dumps({"detail": detail}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": payload})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later calls wait for the disconnect, as the app expects

    return replay


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _invalid(kind: str, position: int, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": ("body", position), "msg": message}])


async def check_json_body(request: Request) -> None:
    """Parse a JSON body before FastAPI does, which reuses the parse (Starlette caches it).

    FastAPI answers a body in another encoding (GBK, say) or nested too deeply with a bare
    400; those are invalid input like any other malformed JSON, so they get a 422 that says why.
    """
    body = await request.body()
    if not body or not _is_json(request.headers.get("content-type")):
        return
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _invalid("utf8_invalid", err.start,
                       f"request body is not valid UTF-8 (byte {err.start}); send JSON encoded as UTF-8") from None
    try:
        await request.json()
    except json.JSONDecodeError as err:
        raise _invalid("json_invalid", err.pos, f"malformed JSON: {err.msg}") from None
    except RecursionError:
        raise _invalid("json_invalid", 0, "malformed JSON: nested too deeply") from None
