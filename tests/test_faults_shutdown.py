"""SIGTERM: requests already in flight are answered in full, then `policy-qa serve` exits 0.

"In flight" is made certain rather than hoped for: each request sends its headers and
half its body, then waits; the server has started handling it (uvicorn creates the
request cycle on the headers) but cannot finish before the test sends the rest. The test
sends SIGTERM, waits until the log shows the shutdown has begun, and only then releases
the bodies.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest

import server_support

TIMEOUT = 120.0

pytestmark = pytest.mark.server


@dataclass
class HeldRequest:
    """A POST whose body is held back after its first half until ``release`` is set."""

    path: str
    payload: dict
    sent_half: threading.Event = field(default_factory=threading.Event)

    def body(self, release: threading.Event) -> Iterator[bytes]:
        data = json.dumps(self.payload, ensure_ascii=False).encode()
        yield data[: len(data) // 2]
        self.sent_half.set()
        release.wait(TIMEOUT)
        yield data[len(data) // 2:]

    def send(self, url: str, release: threading.Event) -> tuple[int, str]:
        data_len = len(json.dumps(self.payload, ensure_ascii=False).encode())
        headers = {"Content-Type": "application/json", "Content-Length": str(data_len)}
        with httpx.Client(timeout=TIMEOUT) as client:
            response = client.post(f"{url}{self.path}", content=self.body(release), headers=headers)
            return response.status_code, response.text


REQUESTS = [
    HeldRequest("/api/ask", {"question": "台资小微企业贷款到期了能续贷吗？"}),
    HeldRequest("/api/ask", {"question": "绿色金融有哪些支持措施？", "top_k": 3}),
    HeldRequest("/api/search", {"query": "知识产权质押融资", "top_k": 3}),
    HeldRequest("/v1/chat/completions", {"messages": [{"role": "user", "content": "台胞购房贷款有什么政策？"}],
                                         "stream": True}),
]


def _read_connections(port: int) -> int:
    """Established connections to ``port`` whose received bytes the server has consumed.

    uvicorn parses what it reads at once and starts the request when the headers are
    complete, so an empty receive queue on every connection means every request has started.
    """
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table, encoding="ascii").read().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            established, rx_queue = fields[3] == "01", int(fields[4].split(":")[1], 16)
            count += local_port == port and established and rx_queue == 0
    return count


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def server(server_index):
    server = server_support.launch(server_index)
    yield server
    server.stop()


def test_sigterm_finishes_in_flight_requests_then_exits_0(server):
    release = threading.Event()
    with ThreadPoolExecutor(max_workers=len(REQUESTS)) as pool:
        futures = [pool.submit(r.send, server.url, release) for r in REQUESTS]
        try:
            for r in REQUESTS:
                assert r.sent_half.wait(30), f"{r.path} never started sending"
            port = int(server.url.rsplit(":", 1)[1])
            _wait_for(lambda: _read_connections(port) >= len(REQUESTS), 30, "the server to read every request")
            assert server.process.poll() is None
            server.process.send_signal(signal.SIGTERM)
            _wait_for(lambda: "Shutting down" in server.output(), 30, "uvicorn to start shutting down")
            with pytest.raises(httpx.ConnectError):  # the listener is closed: nothing new gets in
                httpx.get(f"{server.url}/api/health", timeout=5)
        finally:
            release.set()
        results = [f.result() for f in futures]

    for r, (status, text) in zip(REQUESTS, results):
        assert status == 200, f"{r.path}: {status} {text[:500]}"
    ask = json.loads(results[0][1])
    assert ask["found"] is True and any("续贷" in c["text"] for c in ask["citations"])
    assert json.loads(results[2][1])["results"][0]["text"]
    events = [line for line in results[3][1].splitlines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]" and len(events) > 3, "the stream ran to its end"

    server.process.wait(TIMEOUT)
    assert server.process.returncode == 0, server.output()[-3000:]
