"""Recording answers in the conversation log from the HTTP channels (API, OpenAI-compatible, WeCom)."""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import Request

from rag.assistant import Assistant
from rag.types import Answer


def caller(request: Request) -> str | None:
    """The name the log keeps for this request: the user, ``user/label`` for a key, else None."""
    identity = getattr(request.state, "identity", None)
    return identity.name if identity else None


def record(request: Request, service: Assistant, answer: Answer, channel: str, latency_ms: float) -> str:
    """Queue the answer's record (never waits for the database); its answer id."""
    return request.app.state.log.answered(answer, channel=channel, user=caller(request),
                                          index_version=service.version, latency_ms=latency_ms)


def recorded_ask(request: Request, service: Assistant, channel: str) -> Callable[[str], Answer]:
    """``service.ask`` that records each answer it gives; for channels that call ask themselves (WeCom)."""

    def ask(question: str) -> Answer:
        start = time.perf_counter()
        answer = service.ask(question)
        record(request, service, answer, channel, (time.perf_counter() - start) * 1000)
        return answer

    return ask
