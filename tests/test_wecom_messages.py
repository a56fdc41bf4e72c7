"""Bot JSON and app XML: parsing callbacks safely and building replies."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from wecom import appmsg, botmsg
from wecom.callback import CallbackQuery
from wecom.crypto import Sealed
from wecom.errors import PayloadError

BOT_TEXT = {
    "msgid": "CAIQ16HMjQYY",
    "aibotid": "AIBOTID",
    "chatid": "CHATID",
    "chattype": "group",
    "from": {"userid": "zhangsan"},
    "msgtype": "text",
    "text": {"content": "@政策助手 科技企业有什么支持？"},
}
APP_TEXT = (
    "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName><FromUserName><![CDATA[ChenJiaShun]]></FromUserName>"
    "<CreateTime>1476422779</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[科技企业有什么支持？]]></Content>"
    "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
)


@pytest.mark.parametrize(
    ("parse", "plaintext", "expected"),
    [
        (
            botmsg.parse_message,
            json.dumps(BOT_TEXT, ensure_ascii=False),
            botmsg.BotMessage(msgid="CAIQ16HMjQYY", aibotid="AIBOTID", chattype="group", userid="zhangsan",
                              msgtype="text", text="@政策助手 科技企业有什么支持？"),
        ),
        (
            appmsg.parse_message,
            APP_TEXT,
            appmsg.AppMessage(to_user="ww1436e0e65a779aee", from_user="ChenJiaShun", create_time="1476422779",
                              msg_type="text", content="科技企业有什么支持？", msg_id="1456453720", agent_id="1000002"),
        ),
    ],
    ids=["bot", "app"],
)
def test_text_message_is_parsed(parse, plaintext, expected):
    assert parse(plaintext) == expected


@pytest.mark.parametrize(
    ("envelope", "body"),
    [
        (botmsg.ENVELOPE, b'{"encrypt": "abc=="}'),
        (appmsg.ENVELOPE, b"<xml><ToUserName>ww1</ToUserName><AgentID>1</AgentID><Encrypt><![CDATA[abc==]]></Encrypt></xml>"),
    ],
    ids=["bot", "app"],
)
def test_envelope_gives_the_encrypt_field(envelope, body):
    assert envelope.parse(body) == "abc=="


def test_bot_stream_refresh_is_parsed():
    m = botmsg.parse_message(json.dumps({"msgid": "x", "msgtype": "stream", "stream": {"id": "abc"}}))
    assert (m.msgtype, m.stream_id, m.text) == ("stream", "abc", "")


@pytest.mark.parametrize(
    ("content", "question"),
    [
        ("@政策助手 科技企业有什么支持？", "科技企业有什么支持？"),
        ("@政策助手\u3000科技企业有什么支持？", "科技企业有什么支持？"),
        ("  科技企业有什么支持？ ", "科技企业有什么支持？"),
        ("邮箱a@b.com 是什么", "邮箱a@b.com 是什么"),
        ("@政策助手", ""),
    ],
)
def test_leading_mention_is_removed(content, question):
    assert botmsg.question_of(content) == question


@pytest.mark.parametrize(
    ("plaintext", "message"),
    [
        ("not json", "bot message is not valid JSON"),
        ("[1, 2]", "bot message is a JSON list"),
        ('{"msgid": "1"}', "no 'msgtype'"),
        ('{"msgtype": 5}', "'msgtype' is 5"),
        ('{"msgtype": "text", "text": {"content": ["x"]}}', "'content' is \\['x'\\]"),
    ],
)
def test_malformed_bot_message_is_a_payload_error(plaintext, message):
    with pytest.raises(PayloadError, match=message):
        botmsg.parse_message(plaintext)


@pytest.mark.parametrize("body", [b"", b"{", b'{"other": 1}', b'{"encrypt": ""}', b'"x"', b"\xff\xfe"])
def test_malformed_bot_envelope_is_a_payload_error(body):
    with pytest.raises(PayloadError):
        botmsg.ENVELOPE.parse(body)


def test_stream_message_shape_and_cap():
    plain = json.loads(botmsg.stream_message("sid", "政" * 10_000, finish=False))
    assert plain["msgtype"] == "stream"
    assert plain["stream"]["id"] == "sid" and plain["stream"]["finish"] is False
    assert len(plain["stream"]["content"].encode()) <= 20_480


def test_bot_encrypted_reply_has_an_integer_timestamp():
    body = json.loads(botmsg.ENVELOPE.reply(Sealed("ENC", "SIG", "1700000000", "n1")))
    assert body == {"encrypt": "ENC", "msgsignature": "SIG", "timestamp": 1700000000, "nonce": "n1"}


def test_app_event_is_parsed():
    m = appmsg.parse_message("<xml><MsgType>event</MsgType><Event>enter_agent</Event></xml>")
    assert (m.msg_type, m.event, m.msg_id) == ("event", "enter_agent", "")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "malformed XML"),
        (b"<xml><Encrypt>x</xml>", "malformed XML"),
        (b"<root><Encrypt>x</Encrypt></root>", "root is <root>"),
        (b"<xml><ToUserName>a</ToUserName></xml>", "no <Encrypt>"),
        (b"<xml><Encrypt>&ext;</Encrypt></xml>", "undefined entity"),
    ],
)
def test_malformed_app_envelope_is_a_payload_error(body, message):
    with pytest.raises(PayloadError, match=message):
        appmsg.ENVELOPE.parse(body)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    "<xml><Encrypt>&c;</Encrypt></xml>"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_doctype_and_entities_are_refused_in_any_encoding(encoding):
    body = BILLION_LAUGHS.replace('"1.0"', f'"1.0" encoding="{encoding}"').encode(encoding)
    with pytest.raises(PayloadError, match="DOCTYPE"):
        appmsg.ENVELOPE.parse(body)


def test_build_xml_escapes_cdata_end_and_keeps_integers_bare():
    xml = appmsg.build_xml([("Content", "a]]>b<c>&"), ("CreateTime", 17)])
    assert "<CreateTime>17</CreateTime>" in xml
    assert appmsg.parse_xml(xml) == {"Content": "a]]>b<c>&", "CreateTime": "17"}


def test_text_reply_shape_and_cap():
    xml = appmsg.text_message("ChenJiaShun", "ww1436e0e65a779aee", "政" * 1_000, 1700000000)
    root = ET.fromstring(xml)
    assert [child.tag for child in root] == ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content"]
    assert root.findtext("ToUserName") == "ChenJiaShun"
    assert root.findtext("FromUserName") == "ww1436e0e65a779aee"
    assert root.findtext("MsgType") == "text"
    assert len(root.findtext("Content").encode()) <= 2_048


def test_app_encrypted_reply_fields():
    root = ET.fromstring(appmsg.ENVELOPE.reply(Sealed("ENC", "SIG", "1700000000", "n1")))
    assert [(c.tag, c.text) for c in root] == [
        ("Encrypt", "ENC"),
        ("MsgSignature", "SIG"),
        ("TimeStamp", "1700000000"),
        ("Nonce", "n1"),
    ]


@pytest.mark.parametrize("missing", ["msg_signature", "timestamp", "nonce"])
def test_callback_query_names_the_missing_parameter(missing):
    params = {"msg_signature": "s", "timestamp": "1", "nonce": "n"}
    del params[missing]
    with pytest.raises(PayloadError, match=f"'{missing}' is missing"):
        CallbackQuery.from_params(params)
