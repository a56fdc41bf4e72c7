"""The intelligent bot's answers: stream messages inside the encrypted JSON envelope.

WeCom waits 5 s for a reply and then polls with "stream" refresh callbacks, so the first
callback starts the answer in a worker thread, waits briefly, and replies with whatever
is ready; refreshes read the stored content until it is marked finished.
"""

from __future__ import annotations

import secrets
from concurrent.futures import TimeoutError as FutureTimeout

from wecom import botmsg, replies
from wecom.callback import Channel, Turn
from wecom.format import bot_stream
from wecom.state import StreamState, WeComState


def new_stream_id() -> str:
    return secrets.token_hex(16)


def reply(turn: Turn) -> str:
    """The plaintext stream message answering one callback."""
    stream = respond(turn.state, botmsg.parse_message(turn.plaintext), turn.ask, turn.wait)
    return botmsg.stream_message(stream.stream_id, stream.content, stream.finish)


def respond(state: WeComState, message: botmsg.BotMessage, ask: replies.Ask, wait: float) -> StreamState:
    """The stream state to send back for one decrypted callback."""
    if message.msgtype == "stream":
        return state.streams.get(message.stream_id) or StreamState(message.stream_id, replies.EXPIRED, True)
    question = botmsg.question_of(message.text)
    refusal = replies.refusal(message.msgtype, question)
    if refusal is not None:
        return StreamState(new_stream_id(), refusal, True)
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


# Short: past it the first reply says PENDING and WeCom's refresh callbacks fetch the rest.
CHANNEL = Channel(botmsg.ENVELOPE, reply, wait=1.0)
