"""No record lost: 200 concurrent answers on a real server, SIGTERM in the middle, then every answer a client
received is in the database (SQLite and PostgreSQL), because shutdown flushes the log's queue."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select

from db.engine import make_engine, upgrade
from db.models import AnswerRow

from db_support import fresh_url, wait_until
from retrieval_support import QUESTIONS
from server_support import launch

pytestmark = [pytest.mark.server, pytest.mark.slow]

CONCURRENT = 200


def questions() -> list[str]:
    base = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line]
    # numbered so that none is answered from the cache: each one costs a real retrieval
    return [f"{base[i % len(base)]}（第{i}问）" for i in range(CONCURRENT)]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_sigterm_under_200_concurrent_answers_loses_no_record(kind, request, tmp_path, server_index):
    url = fresh_url(kind, request, tmp_path)
    engine = make_engine(url)
    upgrade(engine)
    server = launch(server_index, POLICY_QA_DATABASE_URL=url)
    answered: list[str] = []
    enough = threading.Event()

    def ask(question: str) -> None:
        try:
            r = httpx.post(server.url + "/api/ask", json={"question": question}, timeout=120)
        except httpx.HTTPError:
            return  # refused once the server stopped accepting: never answered, so nothing to record
        if r.status_code == 200:
            answered.append(r.json()["answer_id"])
            if len(answered) >= CONCURRENT // 4:
                enough.set()

    try:
        with ThreadPoolExecutor(CONCURRENT) as pool:
            for q in questions():
                pool.submit(ask, q)
            assert enough.wait(180), "the server answered too few questions"
            before = len(answered)
            code = server.stop()
    finally:
        server.stop()
    assert code == 0, server.output()
    # answers finished after the signal were still sent, and must be in the log like the others
    assert before < len(answered), "SIGTERM came after the last answer: nothing was in flight"
    with engine.connect() as c:
        stored = set(c.scalars(select(AnswerRow.id)))
    assert set(answered) <= stored, f"{len(set(answered) - stored)} answers missing from the log"
    assert len(stored) <= CONCURRENT
    print(f"{kind}: {before} answered before SIGTERM, {len(answered)} in all, {len(stored)} recorded")
    engine.dispose()


def test_answers_go_on_while_postgres_is_down_and_are_recorded_once_it_is_back(postgres, server_index):
    url = postgres.create_database("outage_http")
    engine = make_engine(url)
    upgrade(engine)
    server = launch(server_index, POLICY_QA_DATABASE_URL=url)
    try:
        postgres.stop()
        try:
            replies = [httpx.post(server.url + "/api/ask", json={"question": q}, timeout=60) for q in questions()[:20]]
            assert [r.status_code for r in replies] == [200] * 20
            waiting = httpx.get(server.url + "/api/health").json()["log"]
            assert waiting["pending"] > 0 and waiting["written"] == 0
        finally:
            postgres.start()
        ids = {r.json()["answer_id"] for r in replies}

        def recorded() -> set[str]:
            with engine.connect() as c:
                return set(c.scalars(select(AnswerRow.id)))

        assert wait_until(lambda: ids <= recorded(), timeout=60)
        assert "wait for the database" in server.output()
        back = httpx.get(server.url + "/api/health").json()["log"]
        assert back["written"] == 20 and back["pending"] == 0 and back["failures"] > 0
    finally:
        server.stop()
        engine.dispose()
