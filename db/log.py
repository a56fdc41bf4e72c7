"""The conversation log as the channels see it: record an answer (get its id), record feedback."""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from db.models import AnswerRow
from db.records import AnswerRecord, FeedbackRecord, new_answer_id
from db.writer import LogWriter, WriterStats
from rag.types import Answer

RECENT_IDS = 100_000  # answer ids still known in memory, so feedback is accepted while its answer is queued


class ConversationLog:
    """``writer`` None means logging is off: answers still get ids, nothing is written."""

    def __init__(self, engine: Engine, writer: LogWriter | None, keep_text: bool):
        self.engine = engine
        self.writer = writer
        self.keep_text = keep_text
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._lock = Lock()

    def answered(self, answer: Answer, *, channel: str, user: str | None, index_version: str,
                 latency_ms: float) -> str:
        """Queue the record of one answer; its id, for feedback."""
        if self.writer is None:
            return new_answer_id()
        record = AnswerRecord.of(answer, channel=channel, user=user, index_version=index_version,
                                 latency_ms=latency_ms, keep_question=self.keep_text)
        with self._lock:
            self._recent[record.id] = None
            if len(self._recent) > RECENT_IDS:
                self._recent.popitem(last=False)
        self.writer.submit(record)
        return record.id

    def knows(self, answer_id: str) -> bool:
        """Whether ``answer_id`` names a logged answer (queued or written)."""
        with self._lock:
            if answer_id in self._recent:
                return True
        try:
            with self.engine.connect() as connection:
                return connection.scalar(select(AnswerRow.id).where(AnswerRow.id == answer_id)) is not None
        except SQLAlchemyError:
            return False

    def feedback(self, answer_id: str, user: str | None, up: bool, comment: str | None) -> None:
        if self.writer is not None:
            self.writer.submit(FeedbackRecord.of(answer_id, user, up, comment, self.keep_text))

    def close(self) -> WriterStats | None:
        return self.writer.close() if self.writer is not None else None
