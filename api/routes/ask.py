"""POST /api/ask: a cited answer (or an honest refusal) to one question."""

from __future__ import annotations

import time

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep, SettingsDep
from api.errors import check_question
from api.recording import record
from api.routes import guarded_router
from api.schemas import AskRequest, AskResponse
from rag.assistant import Turn

router = guarded_router("answers")


@router.post("/api/ask", response_model=AskResponse)
async def ask(body: AskRequest, request: Request, service: ServiceDep, settings: SettingsDep) -> AskResponse:
    """Answer in the policy's own words; every [n] marker points to a citation with the exact text.

    ``answer_id`` names the answer for POST /api/feedback."""
    question = check_question(body.question, settings)
    history = [Turn(t.role, t.content) for t in body.history]
    start = time.perf_counter()
    answer = await run_in_threadpool(service.ask, question, history, body.top_k)
    latency = (time.perf_counter() - start) * 1000
    return AskResponse.of(question, answer, latency, record(request, service, answer, "api", latency))
