"""POST /api/feedback: 👍 or 👎, with an optional comment, on an answer by the id /api/ask returned."""

from __future__ import annotations

from fastapi import HTTPException, Request

from api.routes import guarded_router
from api.schemas import FeedbackRequest, FeedbackResponse

router = guarded_router("answers")


@router.post("/api/feedback", response_model=FeedbackResponse, status_code=202,
             responses={404: {"description": "no logged answer has this id"},
                        503: {"description": "the conversation log is off"}})
def feedback(body: FeedbackRequest, request: Request) -> FeedbackResponse:
    """Record an opinion on one answer; a later one from the same caller replaces it."""
    log = request.app.state.log
    if log.writer is None:
        raise HTTPException(status_code=503, detail="the conversation log is off (POLICY_QA_LOG_ANSWERS=off)")
    if not log.knows(body.answer_id):
        raise HTTPException(status_code=404, detail=f"no answer with id {body.answer_id!r}")
    identity = getattr(request.state, "identity", None)
    log.feedback(body.answer_id, identity.name if identity else None, body.rating == "up", body.comment)
    return FeedbackResponse(answer_id=body.answer_id, rating=body.rating)
