"""POST /api/search: the ranked chunks themselves, for clients that compose their own answer."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep, SettingsDep
from api.errors import check_question
from api.routes import guarded_router
from api.schemas import SearchRequest, SearchResponse, SearchResult

router = guarded_router("search")


@router.post("/api/search", response_model=SearchResponse)
async def search(body: SearchRequest, service: ServiceDep, settings: SettingsDep) -> SearchResponse:
    """Hybrid (default), dense or BM25 ranking of the policy's chunks."""
    query = check_question(body.query, settings, ("body", "query"))
    hits = await run_in_threadpool(service.search, query, body.top_k, body.mode)
    return SearchResponse(query=query, mode=body.mode, results=[SearchResult.of(h, service.document(h.chunk.document_id)) for h in hits])
