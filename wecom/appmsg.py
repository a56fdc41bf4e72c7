"""XML of the self-built app (自建应用): callbacks in, passive replies out."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from wecom.envelope import Envelope, Fields
from wecom.errors import PayloadError
from wecom.format import APP_TEXT_LIMIT, cut_utf8


class _NoDoctype(ET.TreeBuilder):
    """Refuse any DTD: expat expands internal entities, so one could blow a tiny body up."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        # Called at the start of <!DOCTYPE>, before any entity it declares can be used;
        # checking here rather than in the bytes also covers UTF-16 bodies.
        raise PayloadError(f"XML with a DOCTYPE ({name!r}) is refused")


def parse_xml(body: str | bytes) -> dict[str, str]:
    """The text of each child of a flat ``<xml>`` document, by tag."""
    parser = ET.XMLParser(target=_NoDoctype())
    try:
        parser.feed(body)
        root = parser.close()
    except ET.ParseError as err:
        raise PayloadError(f"malformed XML: {err}") from None
    except LookupError as err:
        # expat looks up the declared encoding (<?xml encoding="…"?>) in Python's codecs.
        raise PayloadError(f"XML declares an unknown encoding: {err}") from None
    if root.tag != "xml":
        raise PayloadError(f"XML root is <{root.tag}>, expected <xml>")
    return {child.tag: (child.text or "").strip() for child in root}


@dataclass(frozen=True)
class AppMessage:
    """A decrypted app callback; ``event`` is set for MsgType event."""

    to_user: str
    from_user: str
    create_time: str
    msg_type: str
    content: str
    msg_id: str
    agent_id: str
    event: str = ""


def parse_message(plaintext: str) -> AppMessage:
    """Parse decrypted callback XML."""
    f = parse_xml(plaintext)
    if not f.get("MsgType"):
        raise PayloadError("app message has no <MsgType>")
    return AppMessage(
        to_user=f.get("ToUserName", ""),
        from_user=f.get("FromUserName", ""),
        create_time=f.get("CreateTime", ""),
        msg_type=f["MsgType"],
        content=f.get("Content", ""),
        msg_id=f.get("MsgId", ""),
        agent_id=f.get("AgentID", ""),
        event=f.get("Event", ""),
    )


def _cdata(text: str) -> str:
    # "]]>" would end the section early; split it across two sections.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def build_xml(fields: Fields) -> str:
    """``<xml>`` with strings in CDATA and integers bare, in the given order."""
    inner = "".join(f"<{tag}>{v if isinstance(v, int) else _cdata(v)}</{tag}>" for tag, v in fields)
    return f"<xml>{inner}</xml>"


def text_message(to_user: str, from_user: str, content: str, create_time: int) -> str:
    """Plaintext of a passive text reply; content is capped at 2,048 bytes."""
    return build_xml(
        [
            ("ToUserName", to_user),
            ("FromUserName", from_user),
            ("CreateTime", create_time),
            ("MsgType", "text"),
            ("Content", cut_utf8(content, APP_TEXT_LIMIT)),
        ]
    )


# A POST body is <xml><ToUserName/><AgentID/><Encrypt/></xml>; only Encrypt is needed.
ENVELOPE = Envelope(
    encrypt_of=lambda body: parse_xml(body).get("Encrypt", ""),
    missing="request XML has no <Encrypt> element",
    reply_names=("Encrypt", "MsgSignature", "TimeStamp", "Nonce"),
    dump=build_xml,
    media_type="application/xml",
)
