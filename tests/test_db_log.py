"""The conversation log's queue and batch writer on real SQLite and PostgreSQL: every record written,
feedback kept one per person, nothing lost while the database is down, counts-only mode, retention."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from db.engine import make_engine, upgrade
from db.log import ConversationLog
from db.models import AnswerRow, FeedbackRow
from db.records import now
from db.writer import LogWriter, purge

from db_support import answer, wait_until


def count(engine, table) -> int:
    with engine.connect() as c:
        return c.scalar(select(func.count()).select_from(table))


def test_answers_from_many_threads_are_all_written_in_batches_with_what_they_cited(database):
    writer = LogWriter(database, batch_size=50, interval=0.05)
    log = ConversationLog(database, writer, keep_text=True)
    ids: list[str] = []

    def channel(n: int) -> None:
        for i in range(50):
            ids.append(log.answered(answer(f"问题{n}-{i}", chunks=(("c1", "d1"), ("c2", "d1"), ("c3", "d2"))),
                                    channel="api", user=f"u{n}", index_version="v1", latency_ms=12.5))

    threads = [threading.Thread(target=channel, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = writer.close()
    assert (stats.written, stats.pending, stats.dropped) == (400, 0, 0)
    assert count(database, AnswerRow) == 400 and len(set(ids)) == 400
    with database.connect() as c:
        row = c.execute(select(AnswerRow).where(AnswerRow.id == ids[0])).one()
    assert json.loads(row.chunk_ids) == ["c1", "c2", "c3"] and json.loads(row.document_ids) == ["d1", "d2"]
    assert (row.channel, row.kind, row.found, row.index_version, row.latency_ms) == ("api", "retrieval", True, "v1", 12.5)
    assert row.question.startswith("问题")


def test_a_later_opinion_replaces_the_earlier_one_per_person(database):
    writer = LogWriter(database, interval=0.05)
    log = ConversationLog(database, writer, keep_text=True)
    answer_id = log.answered(answer("问"), channel="chat", user="amy", index_version="v", latency_ms=1)
    assert log.knows(answer_id) and not log.knows("0" * 32)
    log.feedback(answer_id, "amy", True, None)
    assert wait_until(lambda: count(database, FeedbackRow) == 1)
    log.feedback(answer_id, "amy", False, "缺少担保费率的规定")
    log.feedback(answer_id, "ben", True, None)
    writer.close()
    with database.connect() as c:
        rows = {r.user_name: (r.rating, r.comment) for r in c.execute(select(FeedbackRow))}
    assert rows == {"amy": (-1, "缺少担保费率的规定"), "ben": (1, None)}


def test_counts_only_mode_keeps_no_question_or_comment_text(database):
    writer = LogWriter(database, interval=0.05)
    log = ConversationLog(database, writer, keep_text=False)
    answer_id = log.answered(answer("某客户张三的贷款问题", found=False), channel="wecom", user=None,
                             index_version="v", latency_ms=3)
    log.feedback(answer_id, None, False, "张三的电话是……")
    writer.close()
    with database.connect() as c:
        row = c.execute(select(AnswerRow)).one()
        opinion = c.execute(select(FeedbackRow)).one()
    assert row.question is None and row.question_chars == len("某客户张三的贷款问题") and row.found is False
    assert opinion.comment is None and opinion.rating == -1


@pytest.mark.parametrize("text", ["'); DROP TABLE answers;--", "\\' OR 1=1 --", "问" * 20_000, "%s %(x)s {0}",
                                  "a\x00b"])
def test_hostile_and_oversized_text_is_stored_as_it_was_given(database, text):
    writer = LogWriter(database, interval=0.05)
    log = ConversationLog(database, writer, keep_text=True)
    answer_id = log.answered(answer(text), channel="api", user="x'--", index_version="v", latency_ms=1)
    log.feedback(answer_id, "x'--", False, text)
    assert writer.close().written == 2
    with database.connect() as c:
        stored = text.replace("\x00", "")  # the one change: PostgreSQL cannot hold NUL
        assert c.scalar(select(AnswerRow.question)) == stored
        assert c.scalar(select(FeedbackRow.comment)) == stored[:1000]


def test_a_full_queue_drops_the_oldest_and_counts_them(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'never-migrated.db'}")  # no tables: every write fails
    writer = LogWriter(engine, capacity=10, interval=0.01, max_pause=0.05)
    log = ConversationLog(engine, writer, keep_text=True)
    for i in range(25):
        log.answered(answer(f"q{i}"), channel="api", user=None, index_version="v", latency_ms=1)
    assert wait_until(lambda: writer.stats().failures > 0)
    stats = writer.stats()
    assert (stats.pending, stats.dropped, stats.written) == (10, 15, 0)
    upgrade(engine)  # the database "comes back": what the queue still holds is written
    assert wait_until(lambda: writer.stats().written == 10)
    with engine.connect() as c:
        assert sorted(c.scalars(select(AnswerRow.question))) == sorted(f"q{i}" for i in range(15, 25))
    writer.close()


def test_retention_purges_old_answers_and_feedback(database):
    writer = LogWriter(database, interval=0.05)
    log = ConversationLog(database, writer, keep_text=True)
    answer_id = log.answered(answer("旧问题"), channel="api", user=None, index_version="v", latency_ms=1)
    log.feedback(answer_id, "amy", False, None)
    writer.close()
    assert purge(database, now() - timedelta(days=1)) == 0
    assert purge(database, now() + timedelta(seconds=1)) == 1
    assert count(database, AnswerRow) == 0 and count(database, FeedbackRow) == 0


@pytest.mark.slow
def test_postgres_down_then_back_loses_nothing(postgres):
    engine = make_engine(postgres.create_database("outage"))
    upgrade(engine)
    writer = LogWriter(engine, interval=0.02, max_pause=0.2)
    log = ConversationLog(engine, writer, keep_text=True)
    log.answered(answer("停机前"), channel="api", user=None, index_version="v", latency_ms=1)
    assert wait_until(lambda: writer.stats().written == 1)
    postgres.stop()
    try:
        for i in range(300):
            log.answered(answer(f"停机中{i}"), channel="api", user=None, index_version="v", latency_ms=1)
        assert wait_until(lambda: writer.stats().failures > 0)
        assert writer.stats().pending == 300
    finally:
        postgres.start()
    stats = writer.close()
    assert (stats.written, stats.pending, stats.dropped) == (301, 0, 0)
    assert count(engine, AnswerRow) == 301
    engine.dispose()
