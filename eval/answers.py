"""Answer-level evaluation: is the gold wording quoted, and is the refusal gate honest?

For every answerable question the gold phrase must appear both in the answer text and in
one of its citations; every out-of-scope question should be refused and no answerable one.
The refusal margins of each question (against the everyday and the near-domain out-of-scope
questions) are reported so the thresholds can be calibrated: each suggested threshold sits
``SAFETY`` below the lowest margin of an answerable question.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from eval.retrieval import Question
from rag.answering.relevance import Relevance
from rag.assistant import Assistant
from rag.retrieval.query import normalise_query

SAFETY = 0.003


@dataclass(frozen=True)
class Outcome:
    question: Question
    found: bool
    kind: str
    relevance: Relevance | None  # None for outline answers, which bypass the gate
    in_answer: bool
    in_citation: bool
    latency_ms: float

    @property
    def quoted(self) -> bool:
        return self.in_answer and self.in_citation


def run(assistant: Assistant, questions: list[Question]) -> list[Outcome]:
    outcomes = []
    for q in questions:
        start = time.perf_counter()
        answer, relevance = assistant.explain(normalise_query(q.question))
        latency = (time.perf_counter() - start) * 1000
        cited = [c.chunk.text for c in answer.citations]
        outcomes.append(Outcome(q, answer.found, answer.kind, relevance,
                                any(g in answer.text for g in q.gold),
                                any(g in t for g in q.gold for t in cited), latency))
    return outcomes


def summarise(outcomes: list[Outcome]) -> dict:
    answerable = [o for o in outcomes if o.question.answerable]
    oos = [o for o in outcomes if not o.question.answerable]
    gated = [o.relevance for o in answerable if o.relevance is not None]
    lowest = {
        "everyday_margin": min((r.everyday_margin for r in gated), default=None),
        "near_margin": min((r.near_margin for r in gated), default=None),
        "passage_similarity": min((r.passage for r in gated), default=None),
    }
    return {
        "answerable": len(answerable),
        "out_of_scope": len(oos),
        "gold_quoted": _rate(sum(o.quoted for o in answerable), len(answerable)),
        "gold_in_answer": _rate(sum(o.in_answer for o in answerable), len(answerable)),
        "gold_in_citation": _rate(sum(o.in_citation for o in answerable), len(answerable)),
        "false_refusal": _rate(sum(not o.found for o in answerable), len(answerable)),
        "oos_refused": _rate(sum(not o.found for o in oos), len(oos)),
        "false_answer": _rate(sum(o.found for o in oos), len(oos)),
        "lowest_answerable": {k: _round(v) for k, v in lowest.items()},
        "suggested_thresholds": {k: _round(lowest[k] - SAFETY) for k in ("everyday_margin", "near_margin")
                                 if lowest[k] is not None},
        "misses": [o.question.id for o in answerable if not o.quoted],
        "false_refusals": [o.question.id for o in answerable if not o.found],
        "false_answers": [o.question.id for o in oos if o.found],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _rate(n: int, total: int) -> float | None:
    return round(n / total, 3) if total else None


def render(report: dict) -> str:
    lines = [
        "| metric | value |",
        "|---|---|",
        f"| answerable / out-of-scope questions | {report['answerable']} / {report['out_of_scope']} |",
        f"| gold phrase in answer and citation | {report['gold_quoted']} |",
        f"| gold phrase in answer / in a citation | {report['gold_in_answer']} / {report['gold_in_citation']} |",
        f"| false refusals (answerable refused) | {report['false_refusal']} |",
        f"| out-of-scope refused | {report['oos_refused']} |",
        f"| false answers (out-of-scope answered) | {report['false_answer']} |",
        f"| lowest answerable margins (everyday / near-domain) | {report['lowest_answerable']['everyday_margin']} / "
        f"{report['lowest_answerable']['near_margin']} |",
        f"| suggested thresholds (everyday / near-domain) | {report['suggested_thresholds'].get('everyday_margin')} / "
        f"{report['suggested_thresholds'].get('near_margin')} |",
        f"| lowest answerable similarity to a policy sentence | {report['lowest_answerable']['passage_similarity']} |",
    ]
    for key in ("misses", "false_refusals", "false_answers"):
        if report[key]:
            lines.append(f"\n{key}: {', '.join(report[key])}")
    return "\n".join(lines)
