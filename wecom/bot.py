"""The intelligent bot's POST callback: verify, decrypt, answer as a stream, encrypt.

WeCom waits 5 s for a reply and then polls with "stream" refresh callbacks, so the first
callback starts the answer in a worker thread, waits briefly, and replies with whatever
is ready; refreshes read the stored content until it is marked finished.
"""

from __future__ import annotations

import secrets
from concurrent.futures import TimeoutError as FutureTimeout

from wecom import botmsg, replies
from wecom.format import bot_stream
from wecom.callback import CallbackQuery
from wecom.crypto import WeComCrypto
from wecom.state import StreamState, WeComState

ASK_WAIT = 1.0


def new_stream_id() -> str:
    return secrets.token_hex(16)


def handle(
    crypto: WeComCrypto,
    state: WeComState,
    query: CallbackQuery,
    body: bytes,
    ask: replies.Ask,
    now: float | None = None,
    wait: float = ASK_WAIT,
) -> str:
    """The encrypted JSON reply to one POST callback (raises SignatureError / PayloadError)."""
    encrypt = botmsg.parse_envelope(body)
    plaintext = crypto.open(query.msg_signature, query.timestamp, query.nonce, encrypt, now)
    stream = respond(state, botmsg.parse_message(plaintext), ask, wait)
    reply = botmsg.stream_message(stream.stream_id, stream.content, stream.finish)
    return botmsg.encrypted_reply(crypto.seal(reply, query.nonce))


def respond(state: WeComState, message: botmsg.BotMessage, ask: replies.Ask, wait: float) -> StreamState:
    """The stream state to send back for one decrypted callback."""
    if message.msgtype == "stream":
        return state.streams.get(message.stream_id) or StreamState(message.stream_id, replies.EXPIRED, True)
    if message.msgtype != "text":
        return StreamState(new_stream_id(), replies.UNSUPPORTED, True)
    question = botmsg.question_of(message.text)
    if not question:
        return StreamState(new_stream_id(), replies.EMPTY_QUESTION, True)
    return start(state, message.msgid or new_stream_id(), question, ask, wait)


def start(state: WeComState, msgid: str, question: str, ask: replies.Ask, wait: float) -> StreamState:
    """Start answering ``msgid`` once; a retried msgid gets its stream's current content."""
    stream_id, created = state.bot_msgids.setdefault(msgid, new_stream_id)
    if created:
        state.streams.put(stream_id, StreamState(stream_id, replies.PENDING, False))
        future = state.executor.submit(_answer, state, stream_id, question, ask)
        try:
            future.result(timeout=wait)
        except FutureTimeout:
            pass  # the refresh callbacks will pick the answer up
    return state.streams.get(stream_id) or StreamState(stream_id, replies.EXPIRED, True)


def _answer(state: WeComState, stream_id: str, question: str, ask: replies.Ask) -> None:
    content = replies.answer_text(ask, question, bot_stream)
    state.streams.put(stream_id, StreamState(stream_id, content, True))
