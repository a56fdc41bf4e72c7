"""The self-built app's answers: a passive text reply inside the encrypted XML envelope."""

from __future__ import annotations

import time
from concurrent.futures import TimeoutError as FutureTimeout

from wecom import appmsg, replies
from wecom.callback import Channel, Turn
from wecom.format import app_text
from wecom.state import WeComState


def reply(turn: Turn) -> str | None:
    """The plaintext XML reply to one message; ``None`` for events and answers not ready yet."""
    message = appmsg.parse_message(turn.plaintext)
    if message.msg_type == "event":
        return None
    content = respond(turn.state, message, turn.ask, turn.wait)
    if content is None:
        return None
    created = int(time.time() if turn.now is None else turn.now)
    return appmsg.text_message(message.from_user, turn.receive_id, content, created)


def respond(state: WeComState, message: appmsg.AppMessage, ask: replies.Ask, wait: float) -> str | None:
    """Reply text for a non-event message; ``None`` while the answer is still being computed."""
    question = message.content.strip()
    refusal = replies.refusal(message.msg_type, question)
    if refusal is not None:
        return refusal
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


# WeCom gives up after 5 s and retries; answer empty before that, the retry gets the answer.
CHANNEL = Channel(appmsg.ENVELOPE, reply, wait=4.0)
