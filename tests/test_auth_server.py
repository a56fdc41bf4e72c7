"""POLICY_QA_AUTH=on on a real `policy-qa serve`: nothing answers without a session or a key, the chat's
own /gradio_api/ included; sessions, keys, SSO from a trusted proxy, lockout, chat rate limit, feedback."""

from __future__ import annotations

import sqlite3
import time

import httpx
import pytest
from gradio_client import Client

from db.accounts import add_user, create_key
from db.engine import make_engine, upgrade

from db_support import wait_until
from server_support import launch

pytestmark = pytest.mark.server

PASSWORD = "staff-password-1"
QUESTION = "科技型企业有哪些融资支持？"
CHAT_LIMIT = 8  # POLICY_QA_RATE_LIMIT: per user and minute, chat and API alike
# The SSO proxy is 127.0.0.2: the whole of 127/8 is loopback, so a client can come from either address.
PROXY = "127.0.0.2"


@pytest.fixture(scope="module")
def setup(server_index, tmp_path_factory):
    folder = tmp_path_factory.mktemp("auth-db")
    path = folder / "policy-qa.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    for name, role in (("staff1", "staff"), ("admin1", "admin"), ("locked1", "staff"), ("chatty", "staff"),
                       ("fuzzer", "staff")):
        add_user(engine, name, role, PASSWORD)
    # one caller per test that counts against the rate limit
    key, fuzz_key = create_key(engine, "staff1", "crm"), create_key(engine, "fuzzer", "fuzz")
    engine.dispose()
    server = launch(server_index, POLICY_QA_AUTH="on", POLICY_QA_DATABASE_URL=f"sqlite:///{path}",
                    POLICY_QA_RATE_LIMIT=str(CHAT_LIMIT), POLICY_QA_LOGIN_RATE_LIMIT="1000",
                    POLICY_QA_LOGIN_ATTEMPTS="3", POLICY_QA_TRUSTED_USER_HEADER="X-Remote-User",
                    POLICY_QA_TRUSTED_PROXIES=PROXY, POLICY_QA_SESSION_SECRET="test-secret")
    yield server, path, key, fuzz_key
    server.stop()


@pytest.fixture(scope="module")
def url(setup) -> str:
    return setup[0].url


def session_cookie(url: str, name: str, password: str = PASSWORD) -> str:
    r = httpx.post(url + "/auth/login", data={"username": name, "password": password})
    assert r.status_code == 303, r.text
    return r.cookies["policy_qa_session"]


def rows(path, where: str = "1=1") -> list[tuple]:
    with sqlite3.connect(path) as c:
        return c.execute(f"SELECT channel, user_name, question, found FROM answers WHERE {where}").fetchall()


@pytest.mark.parametrize("method,path", [
    ("GET", "/"), ("GET", "/gradio_api/info"), ("POST", "/gradio_api/queue/join"), ("GET", "/config"),
    ("POST", "/api/ask"), ("POST", "/api/search"), ("GET", "/api/measures"), ("POST", "/api/feedback"),
    ("GET", "/v1/models"), ("POST", "/v1/chat/completions"), ("GET", "/docs"), ("GET", "/openapi.json"),
])
def test_nothing_answers_an_anonymous_caller(url, method, path):
    r = httpx.request(method, url + path, json={"question": QUESTION})
    assert r.status_code == 401 and "sign in" in r.json()["detail"]


def test_wecom_callbacks_stay_open_to_wecom_which_signs_them_itself(url):
    assert httpx.get(url + "/wecom/bot").status_code == 404  # not configured here: 404, not 401
    assert httpx.post(url + "/wecom/app", content=b"<xml/>").status_code == 404


def test_a_browser_is_sent_to_the_sign_in_page_and_health_stays_open(url):
    r = httpx.get(url + "/", headers={"Accept": "text/html"})
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2F"
    page = httpx.get(url + "/login")
    assert page.status_code == 200 and 'name="password"' in page.text
    assert httpx.get(url + "/api/health").json()["status"] == "ok"


def test_gradio_client_is_refused_without_a_session_and_answered_with_one(setup, url):
    with pytest.raises(Exception, match="credentials"):
        Client(url, verbose=False)
    client = Client(url, headers={"Cookie": f"policy_qa_session={session_cookie(url, 'staff1')}"}, verbose=False)
    _, messages, _, copy = client.predict(QUESTION, [], api_name="/respond")
    assert "投贷联动" in str(messages[-1]["content"]) and "[1]" in copy
    assert wait_until(lambda: ("chat", "staff1", QUESTION, 1) in rows(setup[1]))


def test_a_forged_or_foreign_cookie_is_refused(url):
    good = session_cookie(url, "staff1")
    payload, _, signature = good.partition(".")
    for cookie in (payload + ".AAAA", "x" * 2000, "garbage", good[:-2]):
        r = httpx.post(url + "/api/ask", json={"question": QUESTION}, cookies={"policy_qa_session": cookie})
        assert r.status_code == 401


@pytest.mark.parametrize("username,password", [
    ("staff1", "wrong-password"), ("' OR '1'='1", "' OR '1'='1"), ("staff1'--", PASSWORD),
    ("x" * 150, PASSWORD), ("staff1", "x" * 2000), ("staff1\x00", PASSWORD),
])
def test_wrong_hostile_or_oversized_sign_ins_get_401_and_no_cookie(url, username, password):
    r = httpx.post(url + "/auth/login", data={"username": username, "password": password})
    assert r.status_code == 401 and "policy_qa_session" not in r.cookies and "用户名或密码错误" in r.text


def test_oversized_form_fields_are_422(url):
    r = httpx.post(url + "/auth/login", data={"username": "a" * 300, "password": "p"})
    assert r.status_code == 422


def test_an_account_locks_after_three_failures_and_says_so(url):
    for _ in range(2):
        assert httpx.post(url + "/auth/login", data={"username": "locked1", "password": "bad-1234"}).status_code == 401
    r = httpx.post(url + "/auth/login", data={"username": "locked1", "password": "bad-1234"})
    assert r.status_code == 429 and "锁定" in r.text and int(r.headers["retry-after"]) > 60
    r = httpx.post(url + "/auth/login", data={"username": "locked1", "password": PASSWORD})
    assert r.status_code == 429 and "锁定" in r.text


def test_a_user_key_answers_and_feedback_is_recorded_by_answer_id(setup, url):
    _, path, key, _ = setup
    headers = {"Authorization": f"Bearer {key}"}
    r = httpx.post(url + "/api/ask", json={"question": "政府性融资担保机构的担保费率要降到多少？"}, headers=headers,
                   timeout=60)
    assert r.status_code == 200
    answer_id = r.json()["answer_id"]
    assert len(answer_id) == 32
    r = httpx.post(url + "/api/feedback", json={"answer_id": answer_id, "rating": "down",
                                                "comment": "'); DROP TABLE feedback;-- 没说费率"}, headers=headers)
    assert r.status_code == 202
    assert wait_until(lambda: _feedback(path) == [(answer_id, "staff1/crm", -1, "'); DROP TABLE feedback;-- 没说费率")])
    assert ("api", "staff1/crm") in [(c, u) for c, u, _, _ in rows(path)]


@pytest.mark.parametrize("body,status", [
    ({"answer_id": "0" * 32, "rating": "up"}, 404),
    ({"answer_id": "' OR 1=1 --", "rating": "up"}, 422),
    ({"answer_id": "a" * 10_000, "rating": "up"}, 422),
    ({"answer_id": "0" * 32, "rating": "meh"}, 422),
    ({"answer_id": "0" * 32, "rating": "up", "comment": "长" * 1001}, 422),
    ({"answer_id": "0" * 32, "rating": "up", "extra": 1}, 422),
])
def test_bad_feedback_is_refused_with_the_reason(setup, url, body, status):
    r = httpx.post(url + "/api/feedback", json=body, headers={"Authorization": f"Bearer {setup[3]}"})
    assert r.status_code == status


def _feedback(path) -> list[tuple]:
    with sqlite3.connect(path) as c:
        return c.execute("SELECT answer_id, user_name, rating, comment FROM feedback").fetchall()


def test_sso_header_is_believed_only_from_the_trusted_proxy(setup, url):
    header = {"X-Remote-User": "sso.user"}
    direct = httpx.post(url + "/api/ask", json={"question": QUESTION}, headers=header)
    assert direct.status_code == 401
    with httpx.Client(transport=httpx.HTTPTransport(local_address=PROXY), timeout=60) as proxy:
        r = proxy.post(url + "/api/ask", json={"question": QUESTION}, headers=header)
        assert r.status_code == 200
        assert proxy.post(url + "/api/ask", json={"question": QUESTION},
                          headers={"X-Remote-User": "bad name'--"}).status_code == 401
    assert wait_until(lambda: ("api", "sso.user") in [(c, u) for c, u, _, _ in rows(setup[1])])


def test_the_rate_limit_covers_chat_calls(url):
    client = Client(url, headers={"Cookie": f"policy_qa_session={session_cookie(url, 'chatty')}"}, verbose=False)
    replies = [str(client.predict(QUESTION, [], api_name="/respond")[1][-1]["content"]) for _ in range(CHAT_LIMIT + 1)]
    assert all("投贷联动" in r for r in replies[:CHAT_LIMIT])
    assert "提问过于频繁" in replies[-1]


def test_the_dashboard_answers_admins_only(setup, url):
    staff = Client(url, headers={"Cookie": f"policy_qa_session={session_cookie(url, 'staff1')}"}, verbose=False)
    with pytest.raises(Exception, match="仅管理员"):
        staff.predict("全部", api_name="/refresh")
    admin = Client(url, headers={"Cookie": f"policy_qa_session={session_cookie(url, 'admin1')}"}, verbose=False)
    time.sleep(0.5)  # the writer's batch interval
    summary, *_ , gaps = admin.predict("全部", api_name="/refresh")
    assert "个问题" in summary
    exported = admin.predict("全部", api_name="/export")
    with open(exported, encoding="utf-8-sig") as f:
        assert f.readline().startswith("id,created_at,channel,user")
