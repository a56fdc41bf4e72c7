"""`policy-qa build` under load: the running server swaps to the new index with no failed request.

The server watches the index folder (POLICY_QA_RELOAD_INTERVAL seconds between checks of
``CURRENT``); a build writes a new version folder and then replaces ``CURRENT``
atomically, so the watcher either sees the old version or the complete new one.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter

import httpx
import pytest

from rag.retrieval import store

import server_support
from retrieval_support import DATA_DIR, run_cli

NEW_TERM = "海丝数据资产贷"
ANCHOR = "加快推动知识产权等质押融资业务。"
ADDED = f"试点推出“{NEW_TERM}”，以企业数据资产作为增信手段。"
LOAD_QUESTIONS = ["台资小微企业贷款到期了能续贷吗？", "科技型企业有哪些融资支持？", "绿色金融有哪些支持措施？"]
TIMEOUT = 60.0

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def served(tmp_path_factory, server_index):
    """A server on private copies of the index and the corpus, checking for new builds every 0.5 s."""
    root = tmp_path_factory.mktemp("reload")
    index_dir, corpus_dir = root / "index", root / "corpus"
    shutil.copytree(server_index, index_dir)
    shutil.copytree(DATA_DIR, corpus_dir)
    server = server_support.launch(index_dir, POLICY_QA_CORPUS_DIR=str(corpus_dir), POLICY_QA_RELOAD_INTERVAL="0.5")
    yield server, index_dir, corpus_dir
    server.stop()


def _version(url: str) -> str:
    response = httpx.get(f"{url}/api/health", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["index"]["version"]


def _search_texts(url: str, query: str) -> list[str]:
    response = httpx.post(f"{url}/api/search", json={"query": query, "top_k": 3}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return [r["text"] for r in response.json()["results"]]


class LoadLoop:
    """Client threads asking questions in a loop; every outcome is recorded, none is raised."""

    def __init__(self, url: str, clients: int = 3):
        self.url = url
        self.outcomes: Counter[str] = Counter()
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(clients)]

    def _run(self, offset: int) -> None:
        with httpx.Client(timeout=TIMEOUT) as client:
            i = offset
            while not self._stop.is_set():
                question = LOAD_QUESTIONS[i % len(LOAD_QUESTIONS)]
                i += 1
                try:
                    response = client.post(f"{self.url}/api/ask", json={"question": question})
                    ok = response.status_code == 200 and response.json()["citations"]
                    outcome = "ok" if ok else f"{response.status_code} {response.text[:200]}"
                except httpx.HTTPError as err:
                    outcome = f"{type(err).__name__}: {err}"
                with self._lock:
                    self.outcomes["ok" if outcome == "ok" else "failed"] += 1
                    if outcome != "ok":
                        self.failures.append(outcome)

    def __enter__(self) -> LoadLoop:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(TIMEOUT)


def test_build_under_load_swaps_the_index_without_a_failed_request(served):
    server, index_dir, corpus_dir = served
    before = _version(server.url)
    assert not any(NEW_TERM in t for t in _search_texts(server.url, NEW_TERM))

    source = next(corpus_dir.glob("*.txt"))
    text = source.read_text(encoding="utf-8")
    assert text.count(ANCHOR) == 1
    source.write_text(text.replace(ANCHOR, ANCHOR + ADDED), encoding="utf-8")

    with LoadLoop(server.url) as load:
        done = run_cli(["build", "--quiet"], server.env)
        assert done.returncode == 0, done.stderr[-2000:]
        built = store.current_version(index_dir)
        assert built != before
        deadline = time.monotonic() + 30
        while _version(server.url) != built:
            assert time.monotonic() < deadline, f"server still on {before}:\n{server.output()[-2000:]}"
            time.sleep(0.2)
        swapped_at = sum(load.outcomes.values())
        while sum(load.outcomes.values()) < swapped_at + 6:  # keep the load on for a while on the new index
            assert time.monotonic() < deadline + 30, load.outcomes
            time.sleep(0.1)

    assert load.failures == [], load.failures[:5]
    assert load.outcomes["ok"] >= 10, load.outcomes

    assert any(NEW_TERM in t for t in _search_texts(server.url, NEW_TERM))
    answer = httpx.post(f"{server.url}/api/ask", json={"question": f"{NEW_TERM}是什么？"}, timeout=TIMEOUT).json()
    assert answer["found"] is True
    assert any(NEW_TERM in c["text"] for c in answer["citations"]), answer
    assert (index_dir / "versions" / before).is_dir(), "the previous version is kept for a lagging reader"


def test_a_broken_build_pointer_keeps_the_live_index_serving(served):
    """If CURRENT names a version that cannot load, the watcher logs it and the old index stays live."""
    server, index_dir, _ = served
    live = _version(server.url)
    (index_dir / "CURRENT").write_text("v999999-20300101T000000-deadbeef\n", encoding="utf-8")
    try:
        deadline = time.monotonic() + 15
        while "index reload failed" not in server.output():
            assert time.monotonic() < deadline, server.output()[-2000:]
            time.sleep(0.2)
        response = httpx.post(f"{server.url}/api/ask", json={"question": LOAD_QUESTIONS[0]}, timeout=TIMEOUT)
        assert response.status_code == 200 and response.json()["found"] is True, response.text
        assert _version(server.url) == live
    finally:
        (index_dir / "CURRENT").write_text(live + "\n", encoding="utf-8")
