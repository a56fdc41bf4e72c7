"""Answer-level evaluation: is the gold wording quoted, and is the refusal gate honest?

For every answerable question the gold phrase must appear both in the answer text and in
one of its citations; every out-of-scope question should be refused and no answerable one.
The refusal margin of each question is reported so the threshold can be calibrated: the
suggested threshold sits ``SAFETY`` below the lowest margin of an answerable question.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from eval.retrieval import Question
from rag.assistant import Assistant
from rag.query import normalise_query

SAFETY = 0.003


@dataclass(frozen=True)
class Outcome:
    question: Question
    found: bool
    kind: str
    margin: float | None  # None for outline answers, which bypass the gate
    policy: float | None
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
        margin = relevance.margin if relevance else None
        policy = relevance.policy if relevance else None
        cited = [c.text for c in answer.citations]
        outcomes.append(Outcome(q, answer.found, answer.kind, margin, policy,
                                any(g in answer.text for g in q.gold),
                                any(g in t for g in q.gold for t in cited), latency))
    return outcomes


def summarise(outcomes: list[Outcome]) -> dict:
    answerable = [o for o in outcomes if o.question.answerable]
    oos = [o for o in outcomes if not o.question.answerable]
    margins = [o.margin for o in answerable if o.margin is not None]
    oos_margins = sorted(o.margin for o in oos if o.margin is not None)
    return {
        "answerable": len(answerable),
        "out_of_scope": len(oos),
        "gold_quoted": _rate(sum(o.quoted for o in answerable), len(answerable)),
        "gold_in_answer": _rate(sum(o.in_answer for o in answerable), len(answerable)),
        "gold_in_citation": _rate(sum(o.in_citation for o in answerable), len(answerable)),
        "false_refusal": _rate(sum(not o.found for o in answerable), len(answerable)),
        "oos_refused": _rate(sum(not o.found for o in oos), len(oos)),
        "false_answer": _rate(sum(o.found for o in oos), len(oos)),
        "lowest_answerable_margin": round(min(margins), 4) if margins else None,
        "lowest_answerable_similarity": round(min(o.policy for o in answerable if o.policy is not None), 4)
        if margins else None,
        "suggested_threshold": round(min(margins) - SAFETY, 4) if margins else None,
        "oos_margins": [round(m, 4) for m in oos_margins],
        "misses": [o.question.id for o in answerable if not o.quoted],
        "false_refusals": [o.question.id for o in answerable if not o.found],
        "false_answers": [o.question.id for o in oos if o.found],
    }


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
        f"| lowest answerable margin → suggested threshold | {report['lowest_answerable_margin']} → "
        f"{report['suggested_threshold']} |",
        f"| lowest answerable similarity to a policy sentence | {report['lowest_answerable_similarity']} |",
    ]
    for key in ("misses", "false_refusals", "false_answers"):
        if report[key]:
            lines.append(f"\n{key}: {', '.join(report[key])}")
    return "\n".join(lines)
