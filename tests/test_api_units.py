"""The API's own machinery without a server: key comparison, the rate window, the reload
watcher, and the error handlers of the real app (in-process, no model needed).

The error-handler tests give the app an assistant that raises on purpose: an internal bug
or a failing index cannot be produced on demand from a healthy server.
"""

from __future__ import annotations

import logging
import threading

import pytest
from starlette.testclient import TestClient

from api.security import RateLimiter, key_matches
from api.service import ReloadWatcher
from rag.errors import IndexCorruptError
from rag.settings import Settings


@pytest.mark.parametrize("presented,expected", [
    ("k1", True), ("second-key", True), ("k", False), ("k1 ", False), ("k12", False), ("", False),
    ("K1", False), ("密钥", False), ("second-ke", False),
])
def test_key_matches_only_exact_keys(presented, expected):
    assert key_matches(presented, ["k1", "second-key"]) is expected


def test_rate_window_slides_per_caller():
    limiter = RateLimiter(per_minute=2)
    assert limiter.retry_after("a", now=0.0) is None
    assert limiter.retry_after("a", now=10.0) is None
    assert limiter.retry_after("a", now=20.0) == pytest.approx(40.0)
    assert limiter.retry_after("b", now=20.0) is None  # callers are counted apart
    assert limiter.retry_after("a", now=60.5) is None  # the call at 0 left the window
    assert limiter.retry_after("a", now=61.0) == pytest.approx(9.0)


def test_rate_limit_zero_is_unlimited():
    limiter = RateLimiter(per_minute=0)
    assert all(limiter.retry_after("a", now=0.0) is None for _ in range(1000))


class _FlakyReloads:
    """Fails its first reloads as a damaged new build would, then succeeds."""

    version = "v1"

    def __init__(self, failures: int):
        self.failures = failures
        self.calls = 0
        self.done = threading.Event()

    def reload_if_changed(self) -> bool:
        self.calls += 1
        if self.calls <= self.failures:
            raise IndexCorruptError("dense.faiss does not match its manifest")
        self.version = "v2"
        self.done.set()
        return True


def test_reload_watcher_survives_failures_and_logs_each_error_once(caplog):
    assistant = _FlakyReloads(failures=3)
    watcher = ReloadWatcher(lambda: assistant, interval=0.01)
    with caplog.at_level(logging.INFO, logger="policy_qa.api"):
        watcher.start()
        assert assistant.done.wait(10), "the watcher stopped after a failed reload"
        watcher.stop()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "IndexCorruptError" in errors[0].getMessage()
    assert any("reloaded index v2" in r.getMessage() for r in caplog.records)


def test_reload_watcher_disabled_by_zero_interval():
    assistant = _FlakyReloads(failures=0)
    watcher = ReloadWatcher(lambda: assistant, interval=0)
    watcher.start()
    watcher.stop()
    assert assistant.calls == 0


class _Failing:
    def __init__(self, error: Exception):
        self.error = error

    def ask(self, *args, **kwargs):
        raise self.error

    search = ask


def _client(tmp_path, assistant=None) -> TestClient:
    from api.main import create_app

    settings = Settings(index_dir=tmp_path / "index", home=tmp_path, api_keys=None, rate_limit=0)
    # Not used as a context manager: the lifespan (background load, watcher) is not under test here.
    return TestClient(create_app(settings, assistant), raise_server_exceptions=False)


def test_unexpected_error_is_500_without_a_trace(tmp_path):
    client = _client(tmp_path, _Failing(RuntimeError("secret internals at /srv/x.py line 3")))
    r = client.post("/api/ask", json={"question": "绿色金融"})
    assert r.status_code == 500
    assert r.json() == {"detail": "internal error"}
    assert "secret" not in r.text and "Traceback" not in r.text


def test_pipeline_error_is_503_with_its_message(tmp_path):
    client = _client(tmp_path, _Failing(IndexCorruptError("index damaged; run `policy-qa build`")))
    r = client.post("/api/search", json={"query": "绿色金融"})
    assert r.status_code == 503
    assert r.json() == {"detail": "index damaged; run `policy-qa build`"}


def test_health_and_api_are_503_while_loading(tmp_path):
    client = _client(tmp_path)
    health = client.get("/api/health")
    assert health.status_code == 503 and health.json()["status"] == "loading"
    assert client.post("/api/ask", json={"question": "绿色金融"}).status_code == 503
    client.app.state.load_error = "no index at /x; run `policy-qa build`"
    health = client.get("/api/health")
    assert health.status_code == 503
    assert health.json() == {"status": "error", "detail": "no index at /x; run `policy-qa build`"}
    measures = client.get("/api/measures")
    assert measures.status_code == 503 and "policy-qa build" in measures.json()["detail"]
