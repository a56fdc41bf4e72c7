"""What the conversation log keeps of one answer and of one 👍/👎, built where the answer is given."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from db.models import COMMENT_CHARS
from rag.types import Answer

CHANNELS = ("chat", "api", "openai", "wecom")


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _text(value: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL, which a JSON question may carry (\\u0000): dropped on both databases alike."""
    return value.replace("\x00", "") if value is not None else None


def new_answer_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class AnswerRecord:
    id: str
    created_at: datetime
    channel: str
    user_name: str | None
    question: str | None  # None when POLICY_QA_LOG_QUESTIONS=off
    question_chars: int
    kind: str
    found: bool
    chunk_ids: tuple[str, ...]
    document_ids: tuple[str, ...]
    index_version: str
    latency_ms: float

    @classmethod
    def of(cls, answer: Answer, *, channel: str, user: str | None, index_version: str, latency_ms: float,
           keep_question: bool, answer_id: str | None = None) -> AnswerRecord:
        chunks = tuple(c.chunk.id for c in answer.citations)
        documents = tuple(dict.fromkeys(c.chunk.document_id for c in answer.citations))
        return cls(answer_id or new_answer_id(), now(), channel, _text(user), _text(answer.question) if keep_question else None,
                   len(answer.question), answer.kind, answer.found, chunks, documents, index_version,
                   round(latency_ms, 3))

    def row(self) -> dict:
        return {"id": self.id, "created_at": self.created_at, "channel": self.channel, "user_name": self.user_name,
                "question": self.question, "question_chars": self.question_chars, "kind": self.kind,
                "found": self.found, "chunk_ids": json.dumps(self.chunk_ids, ensure_ascii=False),
                "document_ids": json.dumps(self.document_ids, ensure_ascii=False),
                "index_version": self.index_version, "latency_ms": self.latency_ms}


@dataclass(frozen=True)
class FeedbackRecord:
    answer_id: str
    user_name: str
    rating: int  # +1 👍, -1 👎
    comment: str | None
    created_at: datetime

    @classmethod
    def of(cls, answer_id: str, user: str | None, up: bool, comment: str | None, keep_text: bool) -> FeedbackRecord:
        text = _text(comment or "").strip()[:COMMENT_CHARS] if keep_text else ""
        # anonymous feedback (auth off) is keyed by "" so one anonymous opinion per answer is kept
        return cls(answer_id, _text(user) or "", 1 if up else -1, text or None, now())

    def row(self) -> dict:
        return {"answer_id": self.answer_id, "user_name": self.user_name, "rating": self.rating,
                "comment": self.comment, "created_at": self.created_at}
