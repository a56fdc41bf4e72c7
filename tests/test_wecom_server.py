"""The WeCom callbacks against a real ``policy-qa serve`` on 127.0.0.1.

Every request is built by the tests' own peer (tests/wecom_support.py) with the published
vector keys: the app runs on set A (receive id = its corp id), the bot on set C's token and
key (receive id ""). All tests share one server environment, ``wecom_support.SERVER_ENV``,
whose replay window reaches back to the 2014 samples. The tests that use the ``server``
fixture are marked ``server`` by conftest.py (it reaches ``servers``); the rest run in the fast loop.
"""

from __future__ import annotations

import base64
import json
import random
import re
import secrets
import time
import uuid
import xml.etree.ElementTree as ET

import httpx
import pytest

from wecom.replies import UNSUPPORTED

import server_support
from wecom_support import (
    A_CORP_ID,
    A_MESSAGE_ENCRYPT,
    A_MESSAGE_PLAINTEXT,
    A_MESSAGE_QUERY,
    A_VERIFY,
    A_VERIFY_PLAINTEXT,
    APP,
    BOT,
    C_AES_KEY,
    C_KAT_ENCRYPT,
    C_KAT_NONCE,
    C_KAT_PLAINTEXT,
    C_KAT_PREFIX,
    C_KAT_SIGNATURE,
    C_KAT_TIMESTAMP,
    C_RECEIVE_ID,
    C_TOKEN,
    C_VERIFY,
    REPLAY_WINDOW,
    SERVER_ENV,
    Peer,
)

QUESTION = "科技型企业有哪些融资支持？"
LONG_QUESTION = "省金融监管局负责哪些措施？"  # one line per measure: more than 2,048 bytes with sources
OFF_TOPIC = "今天天气怎么样？"
ORDINAL = r"（[一二三四五六七八九十]+）"
TIMEOUT = 60.0


@pytest.fixture(scope="module")
def server(servers) -> server_support.Server:
    return servers(**SERVER_ENV)


def fresh_id() -> str:
    return uuid.uuid4().hex


# --- the peer itself --------------------------------------------------------------------------


def test_peer_reproduces_the_published_encryption_and_decryption():
    """The tests' sealer agrees with the published samples, so the server tests rest on it."""
    c = Peer(C_TOKEN, C_AES_KEY, C_RECEIVE_ID)
    assert c.encrypt(C_KAT_PLAINTEXT, prefix=C_KAT_PREFIX) == C_KAT_ENCRYPT
    assert c.sign(C_KAT_TIMESTAMP, C_KAT_NONCE, C_KAT_ENCRYPT) == C_KAT_SIGNATURE
    q = A_MESSAGE_QUERY
    assert APP.sign(q["timestamp"], q["nonce"], A_MESSAGE_ENCRYPT) == q["msg_signature"]
    assert APP.decrypt(A_MESSAGE_ENCRYPT) == (A_MESSAGE_PLAINTEXT, A_CORP_ID)


# --- bot helpers ----------------------------------------------------------------------------


def bot_post(server, message: dict, peer: Peer = BOT, timestamp: str | None = None,
             receive_id: str | None = None) -> tuple[httpx.Response, str]:
    """POST one encrypted bot callback; returns the response and the callback's nonce."""
    encrypt = peer.encrypt(json.dumps(message, ensure_ascii=False), receive_id)
    query = peer.query(encrypt, timestamp)
    response = httpx.post(f"{server.url}/wecom/bot", params=query, json={"encrypt": encrypt}, timeout=TIMEOUT)
    return response, query["nonce"]


def open_stream(response: httpx.Response, nonce: str) -> dict:
    """Check the encrypted reply's envelope and signature, then the stream message inside."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"encrypt", "msgsignature", "timestamp", "nonce"}
    assert isinstance(body["timestamp"], int) and body["nonce"] == nonce
    message, receive_id = BOT.open_reply(body["encrypt"], body["msgsignature"], str(body["timestamp"]), nonce)
    assert receive_id == ""
    plain = json.loads(message)
    assert plain["msgtype"] == "stream" and set(plain["stream"]) == {"id", "finish", "content"}
    assert len(plain["stream"]["content"].encode()) <= 20_480
    return plain["stream"]


def bot_text(msgid: str, content: str) -> dict:
    return {"msgid": msgid, "aibotid": "AIBOT", "chattype": "group", "from": {"userid": "zhangsan"},
            "msgtype": "text", "text": {"content": content}}


def bot_ask(server, msgid: str, content: str) -> dict:
    response, nonce = bot_post(server, bot_text(msgid, content))
    return open_stream(response, nonce)


def refresh_until_finished(server, stream_id: str) -> list[dict]:
    """Refresh callbacks, as WeCom polls, until the stream finishes; every state seen."""
    seen: list[dict] = []
    deadline = time.monotonic() + TIMEOUT
    while not seen or not seen[-1]["finish"]:
        assert time.monotonic() < deadline, f"stream {stream_id} did not finish: {seen[-1:]}"
        refresh = {"msgid": fresh_id(), "aibotid": "AIBOT", "chattype": "group", "from": {"userid": "zhangsan"},
                   "msgtype": "stream", "stream": {"id": stream_id}}
        response, nonce = bot_post(server, refresh)
        seen.append(open_stream(response, nonce))
        assert seen[-1]["id"] == stream_id
        if not seen[-1]["finish"]:
            time.sleep(0.3)
    return seen


def bot_answer(server, msgid: str, content: str) -> tuple[dict, dict]:
    """The first reply and the finished stream of one bot question."""
    first = bot_ask(server, msgid, content)
    final = refresh_until_finished(server, first["id"])[-1]
    return first, final


# --- app helpers ----------------------------------------------------------------------------


def app_envelope(encrypt: str) -> bytes:
    return (f"<xml><ToUserName><![CDATA[{A_CORP_ID}]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>").encode()


def app_message(content: str, msg_id: str, msg_type: str = "text") -> str:
    return (f"<xml><ToUserName><![CDATA[{A_CORP_ID}]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>")


def app_post(server, params: dict, body: bytes) -> httpx.Response:
    return httpx.post(f"{server.url}/wecom/app", params=params, content=body, timeout=TIMEOUT)


def app_until_answered(server, params: dict, body: bytes) -> httpx.Response:
    """Re-send the same callback while the reply is empty, as WeCom retries a slow one."""
    for _ in range(10):
        response = app_post(server, params, body)
        assert response.status_code == 200, response.text
        if response.content:
            return response
    raise AssertionError("the app never answered within 10 attempts")


def open_app_reply(response: httpx.Response, nonce: str) -> ET.Element:
    assert response.headers["content-type"] == "application/xml"
    outer = ET.fromstring(response.content)
    assert [child.tag for child in outer] == ["Encrypt", "MsgSignature", "TimeStamp", "Nonce"]
    assert outer.findtext("Nonce") == nonce and outer.findtext("TimeStamp").isdigit()
    message, receive_id = APP.open_reply(outer.findtext("Encrypt"), outer.findtext("MsgSignature"),
                                         outer.findtext("TimeStamp"), nonce)
    assert receive_id == A_CORP_ID
    inner = ET.fromstring(message)
    assert inner.findtext("FromUserName") == A_CORP_ID and inner.findtext("MsgType") == "text"
    assert len(inner.findtext("Content").encode()) <= 2_048
    return inner


def app_ask(server, content: str, msg_id: str, msg_type: str = "text") -> ET.Element:
    encrypt = APP.encrypt(app_message(content, msg_id, msg_type))
    params = APP.query(encrypt)
    return open_app_reply(app_until_answered(server, params, app_envelope(encrypt)), params["nonce"])


# --- URL verification -----------------------------------------------------------------------


def timed_get(url: str, params: dict) -> tuple[httpx.Response, float]:
    start = time.perf_counter()
    response = httpx.get(url, params=params, timeout=TIMEOUT)
    return response, time.perf_counter() - start


def test_app_url_verification_with_the_published_vector(server):
    response, elapsed = timed_get(f"{server.url}/wecom/app", A_VERIFY)
    assert (response.status_code, response.text) == (200, A_VERIFY_PLAINTEXT)
    assert elapsed < 1.0


def test_bot_url_verification_with_the_vector_keys(server):
    # No published sample has the bot's empty receive id, so the peer seals one with set C's keys.
    response, elapsed = timed_get(f"{server.url}/wecom/bot", BOT.verify_query("6158315367409124353"))
    assert (response.status_code, response.text) == (200, "6158315367409124353")
    assert elapsed < 1.0


def test_published_vector_for_another_receive_id_is_refused_by_the_bot(server):
    # Set C's sample verifies under the bot's token and key but carries receive id wx49f0ab532d5d035a.
    response = httpx.get(f"{server.url}/wecom/bot", params=C_VERIFY, timeout=TIMEOUT)
    assert response.status_code == 403 and "receive id" in response.text


# --- the intelligent bot --------------------------------------------------------------------


def test_bot_question_is_answered_as_a_stream_that_cites_a_measure(server):
    first, final = bot_answer(server, fresh_id(), f"@政策助手 {QUESTION}")
    assert final["id"] == first["id"] and final["finish"] is True
    content = final["content"]
    assert content.startswith("**")  # bold summary
    assert re.search(rf"^> \[\d+\] 《[^》]+》 {ORDINAL}", content, re.MULTILINE), content  # a quoted measure, with its document
    assert re.search(r"\[\d+\]$", content.split("\n\n")[0].splitlines()[-1])  # statements keep markers
    # A refresh after the end repeats the finished stream.
    assert refresh_until_finished(server, first["id"]) == [final]


def test_bot_retried_msgid_is_replayed_from_memory(server):
    msgid = fresh_id()
    _, final = bot_answer(server, msgid, QUESTION)
    # A recomputation would start a new stream and answer this (off-topic) text differently.
    retry = bot_ask(server, msgid, OFF_TOPIC)
    assert retry == final


def test_bot_other_message_types_get_a_short_polite_text(server):
    image = {"msgid": fresh_id(), "aibotid": "AIBOT", "chattype": "single", "from": {"userid": "zhangsan"},
             "msgtype": "image", "image": {"url": "https://example.invalid/a.png"}}
    response, nonce = bot_post(server, image)
    stream = open_stream(response, nonce)
    assert stream["finish"] is True and stream["content"] == UNSUPPORTED


def test_bot_wrong_signature_is_refused_and_nothing_is_answered(server):
    msgid = fresh_id()
    encrypt = BOT.encrypt(json.dumps(bot_text(msgid, OFF_TOPIC), ensure_ascii=False))
    query = {**BOT.query(encrypt), "msg_signature": "0" * 40}
    response = httpx.post(f"{server.url}/wecom/bot", params=query, json={"encrypt": encrypt}, timeout=TIMEOUT)
    assert response.status_code == 403 and "msg_signature" in response.text
    # Had the forged callback been answered, its msgid would now replay the off-topic answer.
    _, final = bot_answer(server, msgid, QUESTION)
    assert re.search(rf"^> \[\d+\] 《[^》]+》 {ORDINAL}", final["content"], re.MULTILINE)


def test_bot_question_over_the_length_limit_gets_a_polite_refusal(server):
    stream = bot_ask(server, fresh_id(), "科技" * 300)  # 600 characters; the limit is 500
    assert stream["finish"] is True
    assert stream["content"].startswith("这个问题无法查询：问题有 600 字，最多 500 字")


# --- the self-built app ---------------------------------------------------------------------


def test_app_question_gets_a_passive_encrypted_reply_with_compact_citations(server):
    inner = app_ask(server, QUESTION, str(random.randrange(10**15)))
    assert inner.findtext("ToUserName") == "lisi"
    assert re.search(rf"【{ORDINAL}】", inner.findtext("Content")), inner.findtext("Content")


def test_app_answers_the_published_sample_message(server):
    body = app_envelope(A_MESSAGE_ENCRYPT)
    inner = open_app_reply(app_until_answered(server, A_MESSAGE_QUERY, body), A_MESSAGE_QUERY["nonce"])
    assert inner.findtext("ToUserName") == "ChenJiaShun" and inner.findtext("Content")


def test_app_retried_msgid_is_replayed_from_memory(server):
    msg_id = str(random.randrange(10**15))
    first = app_ask(server, QUESTION, msg_id)
    retry = app_ask(server, OFF_TOPIC, msg_id)  # a recomputation would answer this text instead
    assert retry.findtext("Content") == first.findtext("Content")


def test_app_event_is_answered_200_with_an_empty_body(server):
    event = (f"<xml><ToUserName><![CDATA[{A_CORP_ID}]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName>"
             f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
             "<Event><![CDATA[enter_agent]]></Event><AgentID>1000002</AgentID></xml>")
    encrypt = APP.encrypt(event)
    response = app_post(server, APP.query(encrypt), app_envelope(encrypt))
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["content-type"].startswith("text/plain")


def test_app_other_message_types_get_a_short_polite_text(server):
    inner = app_ask(server, "", str(random.randrange(10**15)), msg_type="image")
    assert inner.findtext("Content") == UNSUPPORTED


def rendered_parts(text: str, marker: str) -> tuple[list[str], list[str]]:
    """(statements with their markers removed, citation blocks) of a rendered answer."""
    body, _, sources = text.partition("\n\n")
    statements = [re.sub(marker, "", line) for line in body.splitlines()[1:] if not line.startswith("……")]
    return statements, [block for block in re.split(r"\n(?=> \[|【)", sources) if block]


def test_app_reply_of_a_long_answer_is_trimmed_without_cutting_a_statement(server):
    inner = app_ask(server, LONG_QUESTION, str(random.randrange(10**15)))
    content = inner.findtext("Content")
    assert len(content.encode()) <= 2_048
    _, final = bot_answer(server, fresh_id(), LONG_QUESTION)  # the bot's limit is ten times larger
    bot_statements, bot_citations = rendered_parts(final["content"], r"\[\d+\]")
    app_statements, app_sources = rendered_parts(content, r"【[^】]*】")
    assert len(app_sources) < len(bot_citations), (
        f"{LONG_QUESTION!r} no longer overflows the app's 2,048 bytes; choose a question with a longer answer")
    assert app_statements == bot_statements[: len(app_statements)] and app_statements  # whole, in order
    assert all(source.startswith("【") for source in app_sources)


# --- refused callbacks ----------------------------------------------------------------------

PEERS = {"bot": BOT, "app": APP}


def channel_message(channel: str) -> str:
    return json.dumps(bot_text(fresh_id(), QUESTION)) if channel == "bot" else app_message(QUESTION, "1")


def post_encrypt(server, channel: str, encrypt: str, params: dict | None = None,
                 timestamp: str | None = None) -> httpx.Response:
    """POST ``encrypt`` in the channel's envelope, signed for itself unless ``params`` are given."""
    params = params or PEERS[channel].query(encrypt, timestamp)
    body = json.dumps({"encrypt": encrypt}).encode() if channel == "bot" else app_envelope(encrypt)
    return httpx.post(f"{server.url}/wecom/{channel}", params=params, content=body, timeout=TIMEOUT)


def tampered(encrypt: str) -> str:
    """Flip bits in the next-to-last block: the last block's padding byte then reads 0x41..0x75."""
    raw = bytearray(base64.b64decode(encrypt))
    raw[-17] ^= 0x55
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("channel", ["bot", "app"])
def test_tampered_ciphertext_is_403_unless_re_signed_then_400(server, channel):
    original = PEERS[channel].encrypt(channel_message(channel))
    forged = tampered(original)
    # With the original signature the tampering is caught before anything is decrypted ...
    assert post_encrypt(server, channel, forged, params=PEERS[channel].query(original)).status_code == 403
    # ... re-signed, it reaches the decryption, whose padding check fails.
    response = post_encrypt(server, channel, forged)
    assert response.status_code == 400 and "padding" in response.text


@pytest.mark.parametrize("encrypt", ["@@not-base64@@", "QUJDREVGR0g=", ""])
@pytest.mark.parametrize("channel", ["bot", "app"])
def test_signed_undecryptable_payload_is_400(server, channel, encrypt):
    assert post_encrypt(server, channel, encrypt).status_code == 400


def test_wrong_receive_id_is_403(server):
    bot_response, _ = bot_post(server, bot_text(fresh_id(), QUESTION), receive_id="ww-another-corp")
    app_response = post_encrypt(server, "app", APP.encrypt(app_message(QUESTION, "2"), receive_id=""))
    for response in (bot_response, app_response):
        assert response.status_code == 403 and "receive id" in response.text


@pytest.mark.parametrize("offset", [-(REPLAY_WINDOW + 3600), REPLAY_WINDOW + 3600], ids=["stale", "future"])
def test_timestamp_outside_the_replay_window_is_403(server, offset):
    ts = str(int(time.time()) + offset)
    bot_response, _ = bot_post(server, bot_text(fresh_id(), QUESTION), timestamp=ts)
    app_response = post_encrypt(server, "app", APP.encrypt(app_message(QUESTION, "3")), timestamp=ts)
    verify = httpx.get(f"{server.url}/wecom/app", params=APP.verify_query("42", timestamp=ts), timeout=TIMEOUT)
    for response in (bot_response, app_response, verify):
        assert response.status_code == 403 and "replay window" in response.text


def test_wrong_signature_on_url_verification_is_403(server):
    params = {**A_VERIFY, "msg_signature": "f" * 40}
    assert httpx.get(f"{server.url}/wecom/app", params=params, timeout=TIMEOUT).status_code == 403
    # Set A's sample is signed with the app's token, not the bot's.
    assert httpx.get(f"{server.url}/wecom/bot", params=A_VERIFY, timeout=TIMEOUT).status_code == 403


RANDOM = random.Random(20240501).randbytes(700)
GARBAGE = {
    "random bytes": RANDOM,
    "not UTF-8": "政策问答".encode("gbk"),
    "empty": b"",
    "broken JSON": b'{"encrypt": "abc',
    "JSON array": b'["encrypt"]',
    "encrypt not a string": b'{"encrypt": {"a": 1}}',
    "deeply nested JSON": b"[" * 60_000,
    "broken XML": b"<xml><Encrypt>abc</Encrypt>",
    "XML of another root": b"<html><Encrypt>abc</Encrypt></html>",
    "XML entity bomb": b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><xml><Encrypt>&b;</Encrypt></xml>',
    "XML in an unknown encoding": b'<?xml version="1.0" encoding="x-unknown"?><xml><Encrypt>abc</Encrypt></xml>',
    "oversized": b"<xml>" + b"a" * 70_000 + b"</xml>",
}


@pytest.mark.parametrize("channel", ["bot", "app"])
@pytest.mark.parametrize("name", list(GARBAGE))
def test_garbage_body_is_a_client_error(server, channel, name):
    params = PEERS[channel].query("abc")
    response = httpx.post(f"{server.url}/wecom/{channel}", params=params, content=GARBAGE[name], timeout=TIMEOUT)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)


@pytest.mark.parametrize("channel", ["bot", "app"])
@pytest.mark.parametrize(
    "plaintext",
    ["not json, not xml", "[1, 2]", "<xml><MsgType>text</xml>", "<xml></xml>",
     '{"msgtype": "stream", "stream": {"id": "\\ud800"}}', '{"msgtype": "text", "text": {"content": 5}}'],
)
def test_signed_but_malformed_message_is_400(server, channel, plaintext):
    response = post_encrypt(server, channel, PEERS[channel].encrypt(plaintext))
    assert response.status_code == 400, response.text


def test_missing_query_parameters_are_400(server):
    for channel in ("bot", "app"):
        assert httpx.get(f"{server.url}/wecom/{channel}", timeout=TIMEOUT).status_code == 400
        assert httpx.post(f"{server.url}/wecom/{channel}", content=b"{}", timeout=TIMEOUT).status_code == 400


def test_the_server_keeps_serving_after_bad_input(server):
    for name in ("random bytes", "deeply nested JSON", "XML entity bomb"):
        httpx.post(f"{server.url}/wecom/bot", params=BOT.query("x"), content=GARBAGE[name], timeout=TIMEOUT)
        httpx.post(f"{server.url}/wecom/app", params=APP.query("x"), content=GARBAGE[name], timeout=TIMEOUT)
    assert server.process.poll() is None
    assert httpx.get(f"{server.url}/api/health", timeout=TIMEOUT).status_code == 200
    response = httpx.get(f"{server.url}/wecom/app", params=A_VERIFY, timeout=TIMEOUT)
    assert (response.status_code, response.text) == (200, A_VERIFY_PLAINTEXT)
    log = server.output()
    assert "Traceback" not in log, log[-4000:]


# --- rendering details (unit level; byte limits are in test_wecom_format.py) ----------------


def test_refusal_names_related_measures_and_app_sources_are_listed_once():
    from rag.types import Answer, Chunk, Citation
    from wecom.format import app_text, bot_stream

    refusal = Answer("天气？", "政策未涉及该问题。", (), (), False, "refusal", ("（六）提高金融服务科技创新能力",))
    assert bot_stream(refusal) == "**政策未涉及该问题。**\n相关措施：（六）提高金融服务科技创新能力"
    assert app_text(refusal) == "政策未涉及该问题。\n相关措施：（六）提高金融服务科技创新能力"
    cites = tuple(Citation(i, Chunk(f"c{i}", "d", None, "（七）支持产业结构优化升级", f"{i}.", "原文", ("省商务厅",), ()), 0.5)
                  for i in (1, 2))
    text = app_text(Answer("q", "两条。", ("甲[1]", "乙[2]"), cites, True))
    assert text == "两条。\n甲【（七）】\n乙【（七）】\n\n【（七）】《d》支持产业结构优化升级 · 责任单位：省商务厅"


# --- configuration --------------------------------------------------------------------------


@pytest.mark.server
def test_unconfigured_channels_are_404(live_server):
    plain = live_server
    for channel in ("bot", "app"):
        url = f"{plain.url}/wecom/{channel}"
        assert httpx.get(url, params=A_VERIFY, timeout=TIMEOUT).status_code == 404
        assert httpx.post(url, params=A_MESSAGE_QUERY, content=app_envelope(A_MESSAGE_ENCRYPT),
                          timeout=TIMEOUT).status_code == 404


def test_malformed_encoding_aes_key_is_503_and_logged_once(caplog):
    from fastapi import HTTPException

    from api.routes import wecom as routes
    from rag.settings import Settings

    settings = Settings(wecom_bot_token="t", wecom_bot_aes_key="not-a-43-character-key-" + secrets.token_hex(4))
    with caplog.at_level("ERROR", logger=routes.__name__):
        for _ in range(3):
            with pytest.raises(HTTPException) as info:
                routes._bot_crypto(settings)
            assert (info.value.status_code, info.value.detail) == (503, "WeCom channel misconfigured")
    assert len([r for r in caplog.records if "misconfigured" in r.getMessage()]) == 1
    assert settings.wecom_bot_aes_key not in caplog.text  # the key is a secret
