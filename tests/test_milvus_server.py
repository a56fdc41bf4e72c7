"""Two `policy-qa serve` workers sharing one Milvus Lite TCP server: answers, reload by the live
pointer under load, Milvus lost and back, Milvus unreachable at start."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from eval.launcher import free_port, start
from eval.load import variants
from rag.retrieval.milvus import MilvusConfig, MilvusStore

from milvus_support import QUESTIONS
from retrieval_support import cli_env, run_cli
from server_support import START_TIMEOUT

pytestmark = [pytest.mark.slow, pytest.mark.server]


@pytest.fixture(scope="module")
def milvus_env(lite_server, tmp_path_factory):
    """The environment of a `policy-qa build` into the Lite server (run once here)."""
    env = cli_env(tmp_path_factory.mktemp("milvus-cli") / "index", POLICY_QA_STORE="milvus",
                  POLICY_QA_MILVUS_URI=lite_server.uri, POLICY_QA_MILVUS_TIMEOUT="2")
    done = run_cli(["build", "--quiet"], env)
    assert done.returncode == 0, done.stderr
    return env


@pytest.fixture(scope="module")
def two_workers(milvus_env):
    server = start(milvus_env, workers=2, timeout=START_TIMEOUT)
    yield server
    server.stop()


def _versions(url: str, checks: int = 16) -> set[str]:
    """Index versions reported by health checks (each a new connection, so both workers answer)."""
    return {httpx.get(f"{url}/api/health", timeout=10).json()["index"]["version"] for _ in range(checks)}


def test_workers_rank_as_faiss_does(two_workers, real_pipeline):
    for question in QUESTIONS:
        found = httpx.post(f"{two_workers.url}/api/search", json={"query": question, "top_k": 5}, timeout=30)
        assert found.status_code == 200, found.text
        assert [r["chunk_id"] for r in found.json()["results"]] == [h.chunk.id for h in real_pipeline.search(question)]
    answer = httpx.post(f"{two_workers.url}/api/ask", json={"question": QUESTIONS[0]}, timeout=30).json()
    assert answer["found"] and answer["citations"]


def test_a_build_switches_both_workers_under_load(two_workers, milvus_env, lite_server):
    before = _versions(two_workers.url)
    statuses: list[int] = []
    stop = threading.Event()

    def load() -> None:
        for question in variants(QUESTIONS):  # distinct, so no answer comes from the cache
            if stop.is_set():
                return
            statuses.append(httpx.post(f"{two_workers.url}/api/ask", json={"question": question}, timeout=60)
                            .status_code)

    thread = threading.Thread(target=load)
    thread.start()
    try:
        done = run_cli(["build", "--quiet"], milvus_env)
        assert done.returncode == 0, done.stderr
        live = MilvusStore(MilvusConfig(lite_server.uri)).current_version()
        assert live not in before
        deadline = time.monotonic() + 30
        while _versions(two_workers.url) != {live}:
            assert time.monotonic() < deadline, "the workers did not follow the live pointer"
            time.sleep(0.5)
    finally:
        stop.set()
        thread.join()
    assert statuses and set(statuses) == {200}


def test_milvus_lost_is_503_with_the_reason_then_recovers(two_workers, lite_server):
    lite_server.stop()
    try:
        lost = httpx.post(f"{two_workers.url}/api/ask", json={"question": "科技型企业贷款贴息有哪些？"}, timeout=60)
        assert lost.status_code == 503, lost.text
        assert "Milvus" in lost.json()["detail"]
    finally:
        lite_server.start()
    deadline = time.monotonic() + 60
    while (back := httpx.post(f"{two_workers.url}/api/ask", json={"question": "台资企业有哪些融资支持？"},
                              timeout=60)).status_code != 200:
        assert back.status_code == 503 and time.monotonic() < deadline, back.text
        time.sleep(1)
    assert back.json()["citations"]


def test_milvus_unreachable_at_start_is_one_line_and_exit_1(milvus_env):
    env = {**milvus_env, "POLICY_QA_MILVUS_URI": f"http://127.0.0.1:{free_port()}", "POLICY_QA_MILVUS_TIMEOUT": "1"}
    done = run_cli(["serve", "--port", str(free_port())], env, timeout=60)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "StoreUnavailableError" in lines[0] and "Milvus at" in lines[0], done.stderr


def test_several_workers_on_a_lite_file_are_refused_in_one_line(milvus_env, tmp_path):
    env = {**milvus_env, "POLICY_QA_MILVUS_URI": str(tmp_path / "one.db")}
    done = run_cli(["serve", "--workers", "2", "--port", str(free_port())], env, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and "over TCP" in done.stderr, done.stderr
    assert not (tmp_path / "one.db").exists()
