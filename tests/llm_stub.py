"""A stand-in for a bank's OpenAI-compatible chat endpoint, served on 127.0.0.1.

The only thing the tests cannot run here is a real LLM, so this is a real HTTP server
in a background thread that answers ``POST /v1/chat/completions`` with whatever the
current test scripted (a reply, an HTTP error, a delay, a broken body) and records
every request it received, headers and JSON body, for the test to inspect.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: dict

    @property
    def prompt(self) -> str:
        """Every message's content, joined: what the model was shown."""
        return "\n".join(m.get("content", "") for m in self.body.get("messages", []))


@dataclass
class Script:
    """What the stub does next: reply text (or a function of the request body), status, delay."""

    reply: str | Callable[[dict], str] = "政策未涉及"
    status: int = 200
    delay: float = 0.0
    raw: bytes | None = None  # a body sent as-is, to fake a malformed reply


@dataclass
class StubLLM:
    script: Script = field(default_factory=Script)
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """What POLICY_QA_LLM_BASE_URL should be set to."""
        return f"{self.url}/v1"

    def start(self) -> StubLLM:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="llm-stub", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def reset(self, **script) -> None:
        """Forget earlier requests and script the next replies."""
        with self._lock:
            self.received.clear()
            self.script = Script(**script)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The requests received so far, once there are ``count`` (a timed-out client may be
        quicker than the handler thread that records its request)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        with self._lock:
            return list(self.received)

    def record(self, path: str, headers: dict[str, str], body: dict) -> Script:
        with self._lock:
            self.received.append(Received(path, headers, body))
            return self.script


def completion(content: str, model: str) -> dict:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _handler(stub: StubLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = {}
            script = stub.record(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            if script.delay:
                time.sleep(script.delay)
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._send(404, b'{"error": "not found"}')
            if script.raw is not None:
                return self._send(script.status, script.raw)
            if script.status != 200:
                return self._send(script.status, b'{"error": {"message": "stub failure"}}')
            content = script.reply(body) if callable(script.reply) else script.reply
            self._send(200, json.dumps(completion(content, body.get("model", "")), ensure_ascii=False).encode())

        def _send(self, status: int, payload: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout tests)

        def log_message(self, format: str, *args) -> None:
            pass  # keep pytest output quiet

    return Handler
