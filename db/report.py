"""The figures of the admin dashboard and ``policy-qa report``, read from the log.

Rows are aggregated here rather than in SQL so that SQLite and PostgreSQL give the same
figures from the same code (date functions differ between them); a bank's log for a year
is a few hundred thousand rows, which this reads in seconds.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import Engine, select

from db.models import AnswerRow, FeedbackRow


@dataclass(frozen=True)
class DayCount:
    day: str
    channel: str
    questions: int
    refused: int


@dataclass(frozen=True)
class Latency:
    channel: str
    answers: int
    p50: float
    p90: float
    p99: float


@dataclass(frozen=True)
class Disliked:
    answer_id: str
    created_at: str
    user: str
    question: str | None
    comment: str | None


@dataclass(frozen=True)
class GapQuestion:
    """A question the library failed: refused, or answered and given a 👎."""

    question: str
    asked: int
    refused: int
    disliked: int


@dataclass
class Report:
    since: str | None
    questions: int
    refused: int
    thumbs_up: int
    thumbs_down: int
    days: list[DayCount] = field(default_factory=list)
    latency: list[Latency] = field(default_factory=list)
    disliked: list[Disliked] = field(default_factory=list)
    gaps: list[GapQuestion] = field(default_factory=list)

    @property
    def refused_share(self) -> float:
        return self.refused / self.questions if self.questions else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "refused_share": round(self.refused_share, 4)}


def _answers(engine: Engine, since: datetime | None):
    query = select(AnswerRow.id, AnswerRow.created_at, AnswerRow.channel, AnswerRow.user_name, AnswerRow.question,
                   AnswerRow.found, AnswerRow.latency_ms, AnswerRow.kind)
    if since is not None:
        query = query.where(AnswerRow.created_at >= since)
    with engine.connect() as connection:
        return connection.execute(query.order_by(AnswerRow.created_at)).all()


def _feedback(engine: Engine, since: datetime | None):
    query = select(FeedbackRow.answer_id, FeedbackRow.user_name, FeedbackRow.rating, FeedbackRow.comment,
                   FeedbackRow.created_at)
    if since is not None:
        query = query.where(FeedbackRow.created_at >= since)
    with engine.connect() as connection:
        return connection.execute(query.order_by(FeedbackRow.created_at)).all()


def build_report(engine: Engine, since: datetime | None = None, disliked_limit: int = 200) -> Report:
    answers = _answers(engine, since)
    feedback = _feedback(engine, since)
    ratings = Counter(f.rating for f in feedback)
    report = Report(since.isoformat() if since else None, len(answers), sum(not a.found for a in answers),
                    ratings[1], ratings[-1])
    report.days = _per_day(answers)
    report.latency = _latency(answers)
    by_id = {a.id: a for a in answers}
    report.disliked = [Disliked(f.answer_id, f.created_at.isoformat(sep=" ", timespec="seconds"), f.user_name,
                                by_id[f.answer_id].question if f.answer_id in by_id else None, f.comment)
                       for f in reversed(feedback) if f.rating < 0][:disliked_limit]
    report.gaps = _gap_questions(answers, {f.answer_id for f in feedback if f.rating < 0})
    return report


def _per_day(answers) -> list[DayCount]:
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for a in answers:
        cell = counts[(a.created_at.date().isoformat(), a.channel)]
        cell[0] += 1
        cell[1] += not a.found
    return [DayCount(day, channel, n, refused) for (day, channel), (n, refused) in sorted(counts.items())]


def _latency(answers) -> list[Latency]:
    by_channel: dict[str, list[float]] = defaultdict(list)
    for a in answers:
        by_channel[a.channel].append(a.latency_ms)
        by_channel["all"].append(a.latency_ms)
    rows = []
    for channel, values in sorted(by_channel.items()):
        p50, p90, p99 = (round(float(v), 1) for v in np.percentile(values, [50, 90, 99]))
        rows.append(Latency(channel, len(values), p50, p90, p99))
    return rows


def _gap_questions(answers, disliked_ids: set[str]) -> list[GapQuestion]:
    """Refused or 👎 questions, counted once per distinct text (texts are absent when questions are not logged)."""
    tally: dict[str, list[int]] = {}
    for a in answers:
        refused, disliked = not a.found, a.id in disliked_ids
        if a.question and (refused or disliked):
            cell = tally.setdefault(a.question, [0, 0, 0])
            cell[0] += 1
            cell[1] += refused
            cell[2] += disliked
    return sorted((GapQuestion(q, *c) for q, c in tally.items()), key=lambda g: (-g.asked, g.question))


CSV_COLUMNS = ("id", "created_at", "channel", "user", "question", "kind", "found", "latency_ms", "rating", "comment")


def export_csv(engine: Engine, since: datetime | None = None) -> str:
    """Every logged answer with its latest feedback, one row each, as CSV text."""
    opinions = {f.answer_id: f for f in _feedback(engine, None)}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for a in _answers(engine, since):
        f = opinions.get(a.id)
        writer.writerow([a.id, a.created_at.isoformat(sep=" ", timespec="seconds"), a.channel, a.user_name or "",
                         _cell(a.question or ""), a.kind, int(a.found), a.latency_ms,
                         f.rating if f else "", _cell(f.comment or "") if f else ""])
    return out.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet would run a cell starting with = + - @ as a formula: logged text is user input."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
