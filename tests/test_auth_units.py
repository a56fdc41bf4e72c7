"""Session cookies, caller identification and the chat's access rules, in-process on a real SQLite database."""

from __future__ import annotations

import gradio as gr
import pytest

from api.auth import AuthConfig, Authenticator
from api.sessions import COOKIE, SessionSigner, session_secret
from db.accounts import add_user, create_key
from db.log import ConversationLog
from db.report import build_report
from db.writer import LogWriter
from ui.access import ChatAccess
from ui.app import ChatHandlers

QUESTION = "科技型企业有哪些融资支持？"


def test_a_session_cookie_reads_back_until_it_expires_and_not_after_tampering():
    signer = SessionSigner(b"k" * 32, max_age=60)
    token = signer.issue("alice", now=1000.0)
    assert signer.read(token, now=1059.0) == "alice"
    assert signer.read(token, now=1061.0) is None  # expired
    assert signer.read(token, now=900.0) is None  # from the future
    payload, _, signature = token.partition(".")
    assert SessionSigner(b"other-key", 60).read(token, now=1001.0) is None
    forged = SessionSigner(b"k" * 32, 60).issue("mallory", now=1000.0).partition(".")[0] + "." + signature
    assert signer.read(forged, now=1001.0) is None
    for junk in ("", ".", "a.b", "名字.签名", "x" * 10_000, payload):
        assert signer.read(junk, now=1001.0) is None


def test_the_generated_secret_is_kept_private_and_reused(tmp_path):
    first = session_secret(None, tmp_path)
    assert first == session_secret(None, tmp_path) and len(first) == 64
    assert (tmp_path / "session.key").stat().st_mode & 0o077 == 0
    assert session_secret("configured", tmp_path) == b"configured"


@pytest.fixture()
def authenticator(database):
    add_user(database, "alice", "admin", "password-1")
    key = create_key(database, "alice", "crm")
    config = AuthConfig(required=True, signer=SessionSigner(b"s" * 32, 3600), static_keys=("shared-key",),
                        trusted_header="X-Remote-User", trusted_networks=AuthConfig.networks(["10.0.0.0/8", "::1"]))
    return Authenticator(database, config), key


def test_callers_are_identified_by_cookie_key_shared_key_or_trusted_header(authenticator):
    auth, key = authenticator
    cookie = f"{COOKIE}={auth.config.signer.issue('alice')}"
    assert auth.identify({"cookie": cookie}, "1.2.3.4").name == "alice"
    assert auth.identify({"cookie": f"{COOKIE}={auth.config.signer.issue('ghost')}"}, None) is None
    assert auth.identify({"authorization": f"Bearer {key}"}, None).name == "alice/crm"
    assert auth.identify({"authorization": "Bearer shared-key"}, None).via == "static-key"
    assert auth.identify({"authorization": "Bearer nope"}, None) is None
    sso = {"x-remote-user": "bob"}
    assert auth.identify(sso, "10.1.2.3").name == "bob" and auth.identify(sso, "10.1.2.3").role == "staff"
    assert auth.identify({"x-remote-user": "alice"}, "::1").role == "admin"  # an account of that name decides
    for host in ("11.0.0.1", None, "not-an-ip"):
        assert auth.identify(sso, host) is None
    for name in ("bob'--", "x" * 65, "a b"):
        assert auth.identify({"x-remote-user": name}, "10.0.0.1") is None
    assert auth.identify({"cookie": "garbage;;=="}, None) is None


class FakeClient:
    host = "192.0.2.1"


def request() -> gr.Request:
    return gr.Request(headers={}, client=FakeClient())


def test_the_chat_refuses_anonymous_callers_when_sign_in_is_required():
    handlers = ChatHandlers(lambda: pytest.fail("must not answer"), 500, ChatAccess(required=True))
    ((_, messages, _, _, _),) = list(handlers.respond(QUESTION, [], {}, request()))
    assert messages[-1]["content"] == "请先登录后再提问。"


def test_the_chat_honours_the_rate_limit():
    handlers = ChatHandlers(lambda: pytest.fail("must not answer"), 500, ChatAccess(admit=lambda caller: 12.3))
    ((_, messages, _, _, _),) = list(handlers.respond(QUESTION, [], {}, request()))
    assert messages[-1]["content"] == "提问过于频繁，请 13 秒后再试。"


def test_a_chat_answer_is_logged_and_rated(database, real_pipeline):
    from rag.assistant import Assistant

    assistant = Assistant(real_pipeline)
    log = ConversationLog(database, LogWriter(database, interval=0.02), keep_text=True)
    handlers = ChatHandlers(lambda: assistant, 500, ChatAccess(log=log))
    outputs = list(handlers.respond(QUESTION, [], {}, request()))
    ids = outputs[0][4]
    assert list(ids) == ["1"] and len(ids["1"]) == 32
    rated, row = handlers.rate(ids, gr.LikeData(None, {"index": 1, "value": "…", "liked": False}), request())
    assert rated == {"answer_id": ids["1"], "up": False} and row["visible"] is True
    handlers.comment(rated, "没有说明额度", request())
    log.close()
    report = build_report(database)
    assert report.questions == 1 and report.days[0].channel == "chat"
    assert [(d.question, d.comment) for d in report.disliked] == [(QUESTION, "没有说明额度")]


def test_an_unreachable_accounts_database_means_anonymous_in_the_chat_and_an_error_for_the_gate():
    from sqlalchemy.exc import SQLAlchemyError

    from db.engine import make_engine

    engine = make_engine("postgresql+psycopg://u@127.0.0.1:1/nowhere")
    config = AuthConfig(required=False, signer=SessionSigner(b"s" * 32, 60), static_keys=(), trusted_header=None,
                        trusted_networks=())
    auth = Authenticator(engine, config)
    cookie = {"cookie": f"{COOKIE}={config.signer.issue('alice')}"}
    with pytest.raises(SQLAlchemyError):
        auth.identify(cookie, None)
    assert auth.identify_or_anonymous(cookie, None) is None
    assert auth.identify({}, None) is None  # nobody presenting anything needs no database


def test_with_sign_in_required_and_the_accounts_database_down_the_gate_answers_503(tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from rag.settings import Settings

    settings = Settings(home=tmp_path, index_dir=tmp_path / "index", auth=True, session_secret="s",
                        database_url="postgresql+psycopg://u@127.0.0.1:1/nowhere")
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    cookie = SessionSigner(b"s", 3600).issue("alice")
    r = client.post("/api/ask", json={"question": QUESTION}, cookies={COOKIE: cookie})
    assert r.status_code == 503 and "accounts database" in r.json()["detail"]
    assert client.post("/api/ask", json={"question": QUESTION}).status_code == 401  # no credentials: no lookup
