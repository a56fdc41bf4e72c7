"""Liveness and readiness: 200 with the index summary once loaded, 503 before (or on failure)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.schemas import EncoderStatus, Health, IndexSummary, LogStatus, Unavailable

router = APIRouter(tags=["health"])


@router.get("/api/health", response_model=Health, responses={503: {"model": Unavailable}})
def health(request: Request):
    """No key needed: load balancers and the test harness poll it."""
    state = request.app.state
    assistant = state.assistant
    if assistant is None:
        status, detail = ("error", state.load_error) if state.load_error else ("loading", "the index is loading")
        return JSONResponse(Unavailable(status=status, detail=detail).model_dump(), status_code=503,
                            headers={"Retry-After": "5"})
    status = assistant.status()
    m = status.manifest
    summary = IndexSummary(version=status.version, chunk_count=m.chunk_count, model=asdict(m.model),
                           index_type=m.index_type, built_at=m.built_at, corpus_hash=m.corpus_hash,
                           documents=[d.title for d in m.documents])
    writer = state.log.writer
    log = LogStatus(**asdict(writer.stats())) if writer is not None else None
    encoder = EncoderStatus(backend=status.backend, precision=status.precision,
                            lone_question_cores=status.lone_cores)
    return Health(status="ok", model=status.model, chunks=status.chunks, index=summary, encoder=encoder, log=log)
