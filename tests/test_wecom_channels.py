"""Bot and app callback flows end to end below HTTP: real crypto, real threads, replies decrypted."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET

import pytest

from rag.errors import QuestionError
from rag.types import Answer, Chunk, Citation
from wecom import app, appmsg, bot, replies
from wecom.callback import CallbackQuery
from wecom.crypto import WeComCrypto, signature
from wecom.errors import PayloadError, SignatureError
from wecom.state import WeComState

KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
CORP_ID = "ww1436e0e65a779aee"
CITATION = Citation(1, Chunk("c1", "doc", None, "（六）提高金融服务科技创新能力", None, "支持科技型企业上市融资。", ("省金融监管局",), ()), 0.9)


class Asker:
    """A stand-in for Service.ask that counts calls and can be held back."""

    def __init__(self, hold: bool = False, error: Exception | None = None) -> None:
        self.calls: list[str] = []
        self.release = threading.Event()
        self.error = error
        if not hold:
            self.release.set()

    def __call__(self, question: str) -> Answer:
        self.calls.append(question)
        self.release.wait(5)
        if self.error:
            raise self.error
        return Answer(question, "有明确支持。", ("支持科技型企业上市融资[1]",), (CITATION,), True)


@pytest.fixture
def state():
    s = WeComState.create(msgid_ttl=600)
    yield s
    s.close()


def callback(crypto: WeComCrypto, plaintext: str, nonce: str = "nonce-1") -> tuple[CallbackQuery, str]:
    """What WeCom would send: the encrypted payload and its signed query."""
    sealed = crypto.seal(plaintext, nonce)
    return CallbackQuery(sealed.signature, sealed.timestamp, sealed.nonce), sealed.encrypt


# --- intelligent bot -------------------------------------------------------------------

BOT = WeComCrypto.create("bot-token", KEY, "", replay_window=600)


def bot_call(state, ask, message: dict, wait: float = 1.0) -> dict:
    query, encrypt = callback(BOT, json.dumps(message, ensure_ascii=False))
    body = json.dumps({"encrypt": encrypt}).encode()
    reply = json.loads(bot.CHANNEL.handle(BOT, state, query, body, ask, wait=wait))
    assert reply["nonce"] == query.nonce and isinstance(reply["timestamp"], int)
    expected = signature("bot-token", str(reply["timestamp"]), reply["nonce"], reply["encrypt"])
    assert reply["msgsignature"] == expected
    ts = str(reply["timestamp"])
    plain = json.loads(BOT.open(reply["msgsignature"], ts, reply["nonce"], reply["encrypt"]))
    assert plain["msgtype"] == "stream"
    return plain["stream"]


def text(msgid: str, content: str) -> dict:
    sender = {"aibotid": "B", "chattype": "single", "from": {"userid": "u"}}
    return {"msgid": msgid, **sender, "msgtype": "text", "text": {"content": content}}


def test_bot_answers_a_quick_question_in_the_first_reply(state):
    ask = Asker()
    stream = bot_call(state, ask, text("m1", "@政策助手 科技企业有什么支持？"))
    assert ask.calls == ["科技企业有什么支持？"]
    assert stream["finish"] is True
    assert stream["content"].startswith("**有明确支持。**\n支持科技型企业上市融资[1]")
    assert "> [1] 《doc》 （六）提高金融服务科技创新能力" in stream["content"]


def test_bot_slow_answer_streams_pending_then_refresh_gets_it(state):
    ask = Asker(hold=True)
    first = bot_call(state, ask, text("m2", "问题"), wait=0.05)
    assert (first["finish"], first["content"]) == (False, replies.PENDING)
    refresh = {"msgid": "r1", "msgtype": "stream", "stream": {"id": first["id"]}}
    assert bot_call(state, ask, refresh)["finish"] is False
    ask.release.set()
    state.executor.shutdown(wait=True)  # let the worker store the finished answer
    done = bot_call(state, ask, refresh)
    assert done["id"] == first["id"] and done["finish"] is True
    assert "有明确支持" in done["content"]


def test_bot_retry_of_a_msgid_replays_without_asking_again(state):
    ask = Asker()
    first = bot_call(state, ask, text("m3", "问题"))
    again = bot_call(state, ask, text("m3", "问题"))
    assert ask.calls == ["问题"]
    assert again == first


def test_bot_unknown_stream_is_finished_as_expired(state):
    stream = bot_call(state, Asker(), {"msgid": "r", "msgtype": "stream", "stream": {"id": "gone"}})
    assert stream == {"id": "gone", "finish": True, "content": replies.EXPIRED}


@pytest.mark.parametrize("msgtype", ["image", "voice", "mixed", "event"])
def test_bot_other_msgtypes_get_a_polite_finished_reply(state, msgtype):
    ask = Asker()
    stream = bot_call(state, ask, {"msgid": "x", "msgtype": msgtype})
    assert (stream["finish"], stream["content"]) == (True, replies.UNSUPPORTED)
    assert ask.calls == []


def test_bot_mention_without_question_asks_for_one(state):
    stream = bot_call(state, Asker(), text("m4", "@政策助手"))
    assert (stream["finish"], stream["content"]) == (True, replies.EMPTY_QUESTION)


@pytest.mark.parametrize(
    ("error", "content"),
    [(QuestionError("too long", "too_long", 600, 500), "这个问题无法查询：问题有 600 字，最多 500 字，请精简后再问。"),
     (RuntimeError("boom"), replies.FAILED)],
)
def test_bot_failing_answer_becomes_polite_text(state, error, content):
    stream = bot_call(state, Asker(error=error), text("m5", "问题"))
    assert (stream["finish"], stream["content"]) == (True, content)


def test_bot_wrong_signature_asks_nothing(state):
    ask = Asker()
    query, encrypt = callback(BOT, json.dumps(text("m6", "问题")))
    forged = CallbackQuery("0" * 40, query.timestamp, query.nonce)
    with pytest.raises(SignatureError):
        bot.CHANNEL.handle(BOT, state, forged, json.dumps({"encrypt": encrypt}).encode(), ask)
    assert ask.calls == [] and len(state.bot_msgids) == 0


def test_bot_rejects_a_payload_for_another_receive_id(state):
    app_crypto = WeComCrypto.create("bot-token", KEY, CORP_ID)
    query, encrypt = callback(app_crypto, json.dumps(text("m7", "问题")))
    with pytest.raises(SignatureError, match="receive id"):
        bot.CHANNEL.handle(BOT, state, query, json.dumps({"encrypt": encrypt}).encode(), Asker())


def test_bot_malformed_body_is_a_payload_error(state):
    query, _ = callback(BOT, "{}")
    with pytest.raises(PayloadError):
        bot.CHANNEL.handle(BOT, state, query, b"<xml/>", Asker())


# --- self-built app --------------------------------------------------------------------

APP = WeComCrypto.create("app-token", KEY, CORP_ID, replay_window=600)


def app_message(msg_type: str = "text", content: str = "科技企业有什么支持？", msg_id: str = "1456453720") -> str:
    fields = [("ToUserName", CORP_ID), ("FromUserName", "ChenJiaShun"), ("CreateTime", 1476422779)]
    fields += [("MsgType", msg_type), ("Content", content), ("MsgId", msg_id), ("AgentID", 1000002)]
    return appmsg.build_xml(fields)


def app_call(state, ask, plaintext: str, wait: float = 4.0) -> str:
    query, encrypt = callback(APP, plaintext)
    body = appmsg.build_xml([("ToUserName", CORP_ID), ("AgentID", 1000002), ("Encrypt", encrypt)]).encode()
    return app.CHANNEL.handle(APP, state, query, body, ask, wait=wait)


def open_app_reply(reply: str) -> ET.Element:
    outer = appmsg.parse_xml(reply)
    plain = APP.open(outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"], outer["Encrypt"])
    return ET.fromstring(plain)


def test_app_text_gets_an_encrypted_passive_reply(state):
    ask = Asker()
    inner = open_app_reply(app_call(state, ask, app_message()))
    assert ask.calls == ["科技企业有什么支持？"]
    assert inner.findtext("ToUserName") == "ChenJiaShun"
    assert inner.findtext("FromUserName") == CORP_ID
    assert inner.findtext("MsgType") == "text"
    assert inner.findtext("Content") == (
        "有明确支持。\n支持科技型企业上市融资【（六）】\n\n【（六）】《doc》提高金融服务科技创新能力 · 责任单位：省金融监管局"
    )


def test_app_retry_of_a_msgid_replays_the_stored_answer(state):
    ask = Asker()
    first = open_app_reply(app_call(state, ask, app_message()))
    again = open_app_reply(app_call(state, ask, app_message()))
    assert ask.calls == ["科技企业有什么支持？"]
    assert again.findtext("Content") == first.findtext("Content")


def test_app_slow_answer_replies_empty_and_the_retry_gets_it(state):
    ask = Asker(hold=True)
    assert app_call(state, ask, app_message(msg_id="77"), wait=0.05) == ""
    ask.release.set()
    inner = open_app_reply(app_call(state, ask, app_message(msg_id="77")))
    assert "有明确支持" in inner.findtext("Content") and len(ask.calls) == 1


def test_app_event_is_answered_with_an_empty_body(state):
    ask = Asker()
    assert app_call(state, ask, "<xml><MsgType>event</MsgType><Event>enter_agent</Event></xml>") == ""
    assert ask.calls == []


def test_app_image_gets_a_polite_text(state):
    inner = open_app_reply(app_call(state, Asker(), app_message(msg_type="image", content="")))
    assert inner.findtext("Content") == replies.UNSUPPORTED


def test_app_wrong_signature_asks_nothing(state):
    ask = Asker()
    _, encrypt = callback(APP, app_message())
    body = appmsg.build_xml([("Encrypt", encrypt)]).encode()
    with pytest.raises(SignatureError):
        app.CHANNEL.handle(APP, state, CallbackQuery("f" * 40, "1", "n"), body, ask)
    assert ask.calls == []


def test_app_expired_timestamp_is_refused(state):
    sealed = APP.seal(app_message(), "n", timestamp="1476422779")
    body = appmsg.build_xml([("Encrypt", sealed.encrypt)]).encode()
    with pytest.raises(SignatureError, match="replay window"):
        app.CHANNEL.handle(APP, state, CallbackQuery(sealed.signature, sealed.timestamp, sealed.nonce), body, Asker())


def test_app_tampered_inner_xml_is_a_payload_error(state):
    with pytest.raises(PayloadError, match="malformed XML"):
        app_call(state, Asker(), "<xml><MsgType>text</xml>")
