"""The log's batched background writer: answers never wait for the database.

Records go into a bounded in-memory queue; one thread writes them in batches, one transaction
each. When the database is down the batch stays at the head of the queue and is retried with a
growing pause, so nothing is lost while the queue has room; beyond ``capacity`` the oldest
records are dropped and counted. ``close`` writes what is left (it runs at shutdown, SIGTERM included).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, delete, insert, tuple_
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from db.models import AnswerRow, FeedbackRow
from db.records import AnswerRecord, FeedbackRecord, now

log = logging.getLogger("policy_qa.db")

Record = AnswerRecord | FeedbackRecord
PURGE_EVERY = 3600.0  # seconds between retention purges


@dataclass(frozen=True)
class WriterStats:
    written: int
    pending: int
    dropped: int
    failures: int  # batches that failed (and were kept for a retry)


class LogWriter:
    def __init__(self, engine: Engine, batch_size: int = 500, interval: float = 0.2, capacity: int = 200_000,
                 retention_days: int = 0, max_pause: float = 5.0):
        self.engine = engine
        self.batch_size = batch_size
        self.interval = interval
        self.capacity = capacity
        self.retention_days = retention_days
        self.max_pause = max_pause
        self._queue: deque[Record] = deque()
        self._ready = threading.Condition()
        self._closing = False
        self._written = self._dropped = self._failures = 0
        self._last_purge = 0.0
        self._thread = threading.Thread(target=self._run, name="policy-qa-log", daemon=True)
        self._thread.start()

    def submit(self, record: Record) -> None:
        """Queue a record; never blocks on the database and never raises."""
        with self._ready:
            if len(self._queue) >= self.capacity:
                self._queue.popleft()
                self._dropped += 1
                if self._dropped == 1 or self._dropped % 1000 == 0:
                    log.error("conversation log queue full (%d): %d records dropped", self.capacity, self._dropped)
            self._queue.append(record)
            if len(self._queue) >= self.batch_size:
                self._ready.notify()

    def stats(self) -> WriterStats:
        with self._ready:
            return WriterStats(self._written, len(self._queue), self._dropped, self._failures)

    def close(self, timeout: float = 30.0) -> WriterStats:
        """Write what is queued (retrying for up to ``timeout`` seconds if the database is down), then stop."""
        with self._ready:
            self._closing = True
            self._ready.notify()
        self._thread.join(timeout)
        stats = self.stats()
        if stats.pending:
            log.error("conversation log closed with %d records not written (database unavailable)", stats.pending)
        return stats

    def _run(self) -> None:
        pause = self.interval
        while True:
            with self._ready:
                if not self._queue and not self._closing:
                    self._ready.wait(self.interval)
                if not self._queue and self._closing:
                    return
                batch = [self._queue[i] for i in range(min(self.batch_size, len(self._queue)))]
            if batch and not self._write(batch):
                time.sleep(pause)
                pause = min(pause * 2, self.max_pause)
                continue
            pause = self.interval
            self._purge()
            if not self._closing and len(batch) < self.batch_size:
                time.sleep(self.interval)  # gather the next batch instead of one transaction per answer

    def _write(self, batch: list[Record]) -> bool:
        try:
            self._insert(batch)
        except (IntegrityError, DataError):
            # one bad record must not hold the queue forever: write them one by one, drop the bad ones
            for record in batch:
                try:
                    self._insert([record])
                except (IntegrityError, DataError) as err:
                    self._dropped += 1
                    log.error("conversation log: record dropped (%s)", str(err).splitlines()[0][:200])
        except SQLAlchemyError as err:
            self._failures += 1
            if self._failures == 1 or self._failures % 20 == 0:
                log.error("conversation log: %d records wait for the database (%s)", len(batch),
                          str(err).splitlines()[0][:200])
            return False
        with self._ready:
            for _ in batch:
                self._queue.popleft()
            self._written += len(batch)
        return True

    def _insert(self, batch: list[Record]) -> None:
        answers = [r.row() for r in batch if isinstance(r, AnswerRecord)]
        feedback = _last_per_key([r for r in batch if isinstance(r, FeedbackRecord)])
        with self.engine.begin() as connection:
            if answers:
                connection.execute(insert(AnswerRow), answers)
            if feedback:
                keys = [(f.answer_id, f.user_name) for f in feedback]
                connection.execute(delete(FeedbackRow).where(
                    tuple_(FeedbackRow.answer_id, FeedbackRow.user_name).in_(keys)))
                connection.execute(insert(FeedbackRow), [f.row() for f in feedback])

    def _purge(self) -> None:
        if self.retention_days <= 0 or time.monotonic() - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = time.monotonic()
        cutoff = now() - timedelta(days=self.retention_days)
        try:
            purge(self.engine, cutoff)
        except SQLAlchemyError as err:
            log.warning("conversation log purge failed: %s", str(err).splitlines()[0][:200])


def purge(engine: Engine, cutoff) -> int:
    """Delete answers and feedback older than ``cutoff``; the number of answers deleted."""
    with engine.begin() as connection:
        deleted = connection.execute(delete(AnswerRow).where(AnswerRow.created_at < cutoff)).rowcount
        connection.execute(delete(FeedbackRow).where(FeedbackRow.created_at < cutoff))
    return deleted


def _last_per_key(feedback: list[FeedbackRecord]) -> list[FeedbackRecord]:
    """The latest opinion per (answer, user) within a batch: the unique constraint allows one."""
    return list({(f.answer_id, f.user_name): f for f in feedback}.values())
