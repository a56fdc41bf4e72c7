"""Auth, rate limit and input limits on a real server started with API keys and a rate limit.

One server (keys k1,k2; 60 requests per minute per key) serves every test here; the
bad-input tests use k1, the rate-limit test exhausts k2 and then checks k1 still works.
"""

from __future__ import annotations

import httpx
import pytest

KEYS = ("k1", "k2")
RATE = 60
GOOD = {"question": "科技型企业有哪些融资支持？"}

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(servers):
    return servers(POLICY_QA_API_KEYS=",".join(KEYS), POLICY_QA_RATE_LIMIT=str(RATE))


@pytest.fixture(scope="module")
def anon(server):
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60, headers={"Authorization": "Bearer k1"}) as c:
        yield c


def assert_serving(client: httpx.Client) -> None:
    assert client.get("/api/health").status_code == 200
    r = client.post("/api/ask", json=GOOD)
    assert r.status_code == 200 and r.json()["found"] is True


def test_health_and_the_ui_need_no_key(anon):
    assert anon.get("/api/health").json()["status"] == "ok"
    ui = anon.get("/")  # the chat calls the assistant in-process, not through the guarded API
    assert ui.status_code == 200 and "text/html" in ui.headers["content-type"]


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/api/ask", GOOD),
    ("POST", "/api/search", {"query": "绿色金融"}),
    ("GET", "/api/measures", None),
    ("GET", "/api/measures/6", None),
    ("GET", "/v1/models", None),
    ("POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": "绿色金融"}]}),
])
@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Bearer k1x", "Bearer k", "Basic k1", "k1"])
def test_protected_paths_refuse_a_missing_or_wrong_key(anon, method, path, body, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    r = anon.request(method, path, json=body, headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert "API key" in r.json()["detail"]


@pytest.mark.parametrize("key", KEYS)
def test_every_configured_key_is_accepted(anon, key):
    r = anon.get("/v1/models", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200 and r.json()["data"][0]["id"] == "policy-qa"


def test_a_bad_body_without_a_key_is_still_401(anon):
    r = anon.post("/api/ask", content="科技".encode("gbk"), headers={"Content-Type": "application/json"})
    assert r.status_code == 401


def _detail(r: httpx.Response) -> str:
    return str(r.json()["detail"])


@pytest.mark.parametrize("body,needle", [
    ({"question": ""}, "at least 1 character"),
    ({"question": " \u3000\n\t "}, "at least 1 character"),
    ({"question": "问" * 501}, "at most 500"),
    ({"question": 123}, "valid string"),
    ({"question": "绿色金融", "top_k": "many"}, "integer"),
    ({"question": "绿色金融", "top_k": 0}, "greater than or equal to 1"),
    ({"question": "绿色金融", "top_k": 21}, "less than or equal to 20"),
    ({"question": "绿色金融", "history": [{"role": "robot", "content": "x"}]}, "'user' or 'assistant'"),
    ({}, "Field required"),
    (["question"], "valid dictionary"),
])
def test_ask_rejects_invalid_requests_with_422(client, body, needle):
    r = client.post("/api/ask", json=body)
    assert r.status_code == 422, r.text
    assert needle in _detail(r)


def test_a_500_character_question_is_accepted(client):
    assert client.post("/api/ask", json={"question": "科技企业融资" + "问" * 494}).status_code == 200


@pytest.mark.parametrize("path,body,needle", [
    ("/api/search", {"query": "绿色金融", "mode": "magic"}, "'hybrid', 'dense' or 'bm25'"),
    ("/api/search", {"query": "  "}, "at least 1 character"),
    ("/v1/chat/completions", {"messages": []}, "at least 1 item"),
    ("/v1/chat/completions", {"messages": [{"role": "system", "content": "x"}]}, "user message"),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "问" * 501}]}, "at most 500"),
])
def test_other_endpoints_validate_with_422(client, path, body, needle):
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    assert needle in _detail(r)


@pytest.mark.parametrize("raw", [b'{"question": "x"', b"{question: 1}", b"", b"\xff\xfe"])
def test_malformed_json_is_422_with_a_clear_message(client, raw):
    r = client.post("/api/ask", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert any(word in _detail(r) for word in ("malformed JSON", "Field required", "UTF-8"))


def test_gbk_body_is_422_not_400_or_500(client):
    raw = '{"question": "科技型企业有哪些融资支持？"}'.encode("gbk")
    r = client.post("/api/ask", content=raw, headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 422
    assert "UTF-8" in _detail(r)


@pytest.mark.parametrize("path", ["/api/ask", "/v1/chat/completions", "/wecom/bot", "/api/health"])
def test_oversized_body_is_413_on_every_path(client, path):
    big = ('{"question": "' + "a" * (64 * 1024) + '"}').encode()
    r = client.post(path, content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert "65536" in _detail(r)


def test_oversized_chunked_body_is_413(client):
    def pieces():
        yield b'{"question": "'
        for _ in range(70):
            yield b"a" * 1024
        yield b'"}'

    r = client.post("/api/ask", content=pieces(), headers={"Content-Type": "application/json"})
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert r.status_code == 413


def test_a_chunked_body_under_the_limit_is_served(client):
    def pieces():
        yield b'{"question": '
        yield '"科技型企业有哪些融资支持？"}'.encode()

    r = client.post("/api/ask", content=pieces(), headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["found"] is True


def test_service_keeps_serving_after_bad_input(client):
    client.post("/api/ask", content=b"\x00" * 100, headers={"Content-Type": "application/json"})
    client.post("/api/ask", content=b"[" * 5000, headers={"Content-Type": "application/json"})
    assert_serving(client)


def test_rate_limit_answers_429_with_retry_after_then_other_keys_still_work(anon, client):
    k2 = {"Authorization": "Bearer k2"}
    statuses = [anon.get("/v1/models", headers=k2).status_code for _ in range(RATE + 3)]
    assert statuses.count(429) >= 3 and statuses.index(429) <= RATE
    assert 200 in statuses
    r = anon.get("/v1/models", headers=k2)
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert "per minute" in _detail(r)
    assert_serving(client)


def test_sigterm_shuts_down_cleanly(server, client):
    assert_serving(client)
    assert server.stop() == 0
    log = server.output()
    assert "Application shutdown complete" in log
    assert "Traceback" not in log
