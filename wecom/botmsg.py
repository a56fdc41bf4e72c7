"""JSON of the intelligent bot (智能机器人, API mode): callbacks in, stream replies out."""

from __future__ import annotations

import json
import re
import reprlib
from dataclasses import dataclass

from wecom.envelope import Envelope
from wecom.errors import PayloadError
from wecom.format import BOT_STREAM_LIMIT, cut_utf8

# A group message starts with "@botname " (a full-width space counts too).
_MENTION = re.compile(r"^\s*@\S+(?:\s+|$)")


def _object(text: str | bytes, what: str) -> dict:
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise PayloadError(f"{what} is not valid JSON") from None
    except RecursionError:
        # The C decoder recurses once per nested array/object: "[[[[…" exhausts the stack.
        raise PayloadError(f"{what} is nested too deeply") from None
    if not isinstance(value, dict):
        raise PayloadError(f"{what} is a JSON {type(value).__name__}, expected an object")
    return value


def _str(obj: dict, key: str, what: str) -> str:
    value = obj.get(key, "")
    if not isinstance(value, str):
        raise PayloadError(f"{what} field {key!r} is {reprlib.repr(value)}, expected a string")
    try:
        value.encode()
    except UnicodeEncodeError:
        # A JSON escape such as "\ud800" decodes to a lone surrogate that cannot be re-encoded
        # when it is echoed back (a stream id) or hashed.
        raise PayloadError(f"{what} field {key!r} is not valid Unicode") from None
    return value


def _encrypt_of(body: bytes) -> str:
    return _str(_object(body, "request body"), "encrypt", "request body")


# A POST body is {"encrypt": …}.
ENVELOPE = Envelope(
    encrypt_of=_encrypt_of,
    missing="request body has no 'encrypt' field",
    reply_names=("encrypt", "msgsignature", "timestamp", "nonce"),
    dump=lambda fields: json.dumps(dict(fields)),
    media_type="application/json",
)


@dataclass(frozen=True)
class BotMessage:
    """A decrypted bot callback; ``text`` for msgtype text, ``stream_id`` for msgtype stream."""

    msgid: str
    aibotid: str
    chattype: str
    userid: str
    msgtype: str
    text: str = ""
    stream_id: str = ""


def parse_message(plaintext: str) -> BotMessage:
    """Parse decrypted callback JSON."""
    what = "bot message"
    obj = _object(plaintext, what)
    msgtype = _str(obj, "msgtype", what)
    if not msgtype:
        raise PayloadError("bot message has no 'msgtype'")
    sender = obj.get("from") if isinstance(obj.get("from"), dict) else {}
    text = obj.get("text") if isinstance(obj.get("text"), dict) else {}
    stream = obj.get("stream") if isinstance(obj.get("stream"), dict) else {}
    return BotMessage(
        msgid=_str(obj, "msgid", what),
        aibotid=_str(obj, "aibotid", what),
        chattype=_str(obj, "chattype", what),
        userid=_str(sender, "userid", what),
        msgtype=msgtype,
        text=_str(text, "content", what),
        stream_id=_str(stream, "id", what),
    )


def question_of(content: str) -> str:
    """The question in a text message, without a leading ``@botname`` mention."""
    return _MENTION.sub("", content, count=1).strip()


def stream_message(stream_id: str, content: str, finish: bool) -> str:
    """Plaintext of a stream reply; content is capped at the 20,480-byte protocol limit."""
    stream = {"id": stream_id, "finish": finish, "content": cut_utf8(content, BOT_STREAM_LIMIT)}
    return json.dumps({"msgtype": "stream", "stream": stream}, ensure_ascii=False)
