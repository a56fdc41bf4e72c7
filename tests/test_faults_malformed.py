"""200 concurrent /api/ask requests, 10% malformed: every good one answered right, every bad one 4xx."""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass

import httpx
import pytest

from wecom_support import SERVER_ENV

TIMEOUT = 180.0

# question -> phrases of which a citation must contain one (None: the policy does not cover it)
KNOWN: dict[str, tuple[str, ...] | None] = {
    "科技型企业有哪些融资支持？": ("投贷联动", "知识产权"),
    "台资小微企业贷款到期了能续贷吗？": ("续贷",),
    "台胞在福建买房能申请按揭贷款吗？": ("住房按揭贷款",),
    "新材料首批次应用有保险支持吗？": ("首批次保险",),
    "今天天气怎么样？": None,
}


@dataclass(frozen=True)
class Malformed:
    name: str
    body: bytes
    status: int  # the code the API documents for it


def _json(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


MALFORMED = [
    Malformed("truncated JSON", '{"question": "科技型企业'.encode(), 422),
    Malformed("empty body", b"", 422),
    Malformed("not JSON", b"question=hello", 422),
    Malformed("JSON array", _json(["科技型企业有哪些融资支持？"]), 422),
    Malformed("JSON string", _json("科技型企业有哪些融资支持？"), 422),
    Malformed("no question", _json({}), 422),
    Malformed("empty question", _json({"question": ""}), 422),
    Malformed("blank question", _json({"question": " \u3000\n"}), 422),
    Malformed("null question", _json({"question": None}), 422),
    Malformed("number question", _json({"question": 123}), 422),
    Malformed("list question", _json({"question": ["科技"]}), 422),
    Malformed("object question", _json({"question": {"text": "科技"}}), 422),
    Malformed("top_k string", _json({"question": "续贷", "top_k": "many"}), 422),
    Malformed("top_k zero", _json({"question": "续贷", "top_k": 0}), 422),
    Malformed("top_k huge", _json({"question": "续贷", "top_k": 10_000}), 422),
    Malformed("top_k fraction", _json({"question": "续贷", "top_k": 2.5}), 422),
    Malformed("history not a list", _json({"question": "续贷", "history": "earlier"}), 422),
    Malformed("history bad role", _json({"question": "续贷", "history": [{"role": "system", "content": "x"}]}), 422),
    Malformed("question too long", _json({"question": "续贷" * 300}), 422),
    Malformed("oversized body", _json({"question": "续" * 70_000}), 413),
    Malformed("not UTF-8", '{"question": "续贷"}'.encode("gbk"), 422),
]

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(servers):
    return servers(**SERVER_ENV)


async def _post(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    return await client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})


async def _burst(url: str, bodies: list[bytes]) -> list[httpx.Response | Exception]:
    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT, limits=limits) as client:
        return await asyncio.gather(*(_post(client, b) for b in bodies), return_exceptions=True)


def _signature(answer: dict) -> tuple:
    return answer["found"], answer["answer"], [c["chunk_id"] for c in answer["citations"]]


def test_200_concurrent_requests_with_10_percent_malformed(server):
    single = {}
    for question in KNOWN:
        response = httpx.post(f"{server.url}/api/ask", json={"question": question}, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        single[question] = response.json()

    good = [q for _ in range(36) for q in KNOWN]  # 180
    bad = MALFORMED[:20]
    requests = [("good", q) for q in good] + [("bad", m) for m in bad]
    assert len(requests) == 200 and len(bad) == 20
    random.Random(6).shuffle(requests)
    bodies = [_json({"question": item}) if kind == "good" else item.body for kind, item in requests]

    responses = asyncio.run(_burst(server.url, bodies))

    problems = []
    for (kind, item), response in zip(requests, responses):
        label = item if kind == "good" else item.name
        if isinstance(response, Exception):
            problems.append(f"{label}: {type(response).__name__} {response}")
            continue
        if kind == "bad":
            if not 400 <= response.status_code < 500 or "detail" not in response.json():
                problems.append(f"{label}: {response.status_code} {response.text[:200]}")
            continue
        if response.status_code != 200:
            problems.append(f"{label}: {response.status_code} {response.text[:200]}")
            continue
        answer, gold = response.json(), KNOWN[item]
        if _signature(answer) != _signature(single[item]):
            problems.append(f"{label}: differs from the single-request answer")
        if gold is None:
            if answer["found"]:
                problems.append(f"{label}: answered an off-topic question")
        elif not answer["found"] or not any(g in c["text"] for c in answer["citations"] for g in gold):
            problems.append(f"{label}: no citation mentions {gold}")
    assert problems == [], "\n".join(problems[:20])


@pytest.mark.parametrize("case", MALFORMED, ids=[m.name for m in MALFORMED])
def test_each_malformed_request_gets_its_documented_status(server, case):
    response = httpx.post(f"{server.url}/api/ask", content=case.body,
                          headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
    assert response.status_code == case.status, response.text[:300]
    assert response.json()["detail"]
