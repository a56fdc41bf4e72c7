"""The self-built app's POST callback: verify, decrypt, answer, passive encrypted XML reply."""

from __future__ import annotations

import time
from concurrent.futures import TimeoutError as FutureTimeout

from wecom import appmsg, replies
from wecom.format import app_text
from wecom.callback import CallbackQuery
from wecom.crypto import WeComCrypto
from wecom.state import WeComState

# WeCom gives up after 5 s and retries; answer empty before that, the retry gets the answer.
ASK_WAIT = 4.0


def handle(
    crypto: WeComCrypto,
    state: WeComState,
    query: CallbackQuery,
    body: bytes,
    ask: replies.Ask,
    now: float | None = None,
    wait: float = ASK_WAIT,
) -> str:
    """The encrypted XML reply to one callback, "" for events; raises SignatureError / PayloadError."""
    encrypt = appmsg.parse_envelope(body)
    plaintext = crypto.open(query.msg_signature, query.timestamp, query.nonce, encrypt, now)
    message = appmsg.parse_message(plaintext)
    if message.msg_type == "event":
        return ""
    content = respond(state, message, ask, wait)
    if content is None:
        return ""
    created = int(time.time() if now is None else now)
    reply = appmsg.text_message(message.from_user, crypto.receive_id, content, created)
    return appmsg.encrypted_reply(crypto.seal(reply, query.nonce))


def respond(state: WeComState, message: appmsg.AppMessage, ask: replies.Ask, wait: float) -> str | None:
    """Reply text for a non-event message; ``None`` while the answer is still being computed."""
    if message.msg_type != "text":
        return replies.UNSUPPORTED
    question = message.content.strip()
    if not question:
        return replies.EMPTY_QUESTION
    if not message.msg_id:
        # Nothing to deduplicate on: answer directly.
        return replies.answer_text(ask, question, app_text)
    future, _ = state.app_msgids.setdefault(
        message.msg_id, lambda: state.executor.submit(replies.answer_text, ask, question, app_text)
    )
    try:
        return future.result(timeout=wait)
    except FutureTimeout:
        return None
