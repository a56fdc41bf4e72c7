"""Answer-level evaluation: is the gold wording quoted, and is the refusal gate honest?

For every answerable question the gold phrase must appear both in the answer text and in
one of its citations; every out-of-scope question should be refused and no answerable one.
The refusal margins of each question (against the everyday and the near-domain out-of-scope
questions) are reported so the thresholds can be calibrated: each suggested threshold sits
``SAFETY`` below the lowest margin of an answerable question.
"""

from __future__ import annotations

import re
import statistics
import time
import unicodedata
from dataclasses import dataclass

from eval.retrieval import Question
from rag.answering.relevance import Relevance
from rag.assistant import Assistant

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
    listed: tuple[int, int] | None = None  # broad questions: (relevant measures cited, relevant measures)
    precise: tuple[int, int] | None = None  # broad questions: (cited measures that are relevant, cited measures)

    @property
    def quoted(self) -> bool:
        return self.in_answer and self.in_citation


def run(assistant: Assistant, questions: list[Question]) -> list[Outcome]:
    outcomes = []
    for q in questions:
        start = time.perf_counter()
        answer, relevance = assistant.explain(q.question, q.history)
        latency = (time.perf_counter() - start) * 1000
        # A citation shows its measure's heading (which may state the figure: 「（三）盘活信贷资源1000亿元以上」),
        # its chunk's wording and, beside it, the measure's note as written (责任单位…).
        # Spaces are compared away: cleaning drops the extraction spaces of 「不低于 80%」 that a gold phrase keeps.
        cited = [_plain(c.chunk.where + c.chunk.text + c.chunk.note) for c in answer.citations]
        gold = [_plain(g) for g in q.gold]
        outcomes.append(Outcome(q, answer.found, answer.kind, relevance,
                                any(g in _plain(answer.text) for g in gold),
                                any(g in t for g in gold for t in cited), latency,
                                *_listed(q.gold_measures, answer.citations)))
    return outcomes


def _plain(text: str) -> str:
    return "".join(text.split())


def _listed(gold: dict[str, tuple[str, ...]], citations) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """For a broad question (recall, precision): (gold measures among the citations, gold measures) and
    (cited measures that are gold, cited measures); else (None, None).

    A heading is listed when a citation from its document starts with it, as its measure, its
    part (「十九、」 heads a part of 银发〔2018〕106号) or its item (「14.」 of a measure's numbered tasks).
    A measure (or item) cited in several chunks counts once: precision is of what the answer lists, and a
    gold list names every relevant measure, so a measure outside it is off the subject.
    """
    if not gold:
        return None, None
    cited: dict[tuple[str, tuple[str, str, str]], list[str]] = {}
    for c in citations:
        where = (c.chunk.measure or "", c.chunk.part or "", c.chunk.item or "")
        cited.setdefault((c.chunk.document_id, where), []).append(_plain(c.chunk.text))
    found = sum(any(d == document and _listing(where, texts, h) for (d, where), texts in cited.items())
                for document, headings in gold.items() for h in headings)
    relevant = sum(any(_listing(where, texts, h) for h in gold.get(d, ())) for (d, where), texts in cited.items())
    return (found, sum(map(len, gold.values()))), (relevant, len(cited))


def _listing(labels: tuple[str, ...], texts: list[str], heading: str) -> bool:
    """Whether a cited measure (its labels and the wording of its chunks) is the gold heading's. A heading given with
    the article's opening words (「第四条 对香港签发的港币支票」, where two attached 办法 each have a 第四条) is the
    article of that number whose wording opens with them; an item's heading, the measure whose wording holds it."""
    number, _, opening = heading.partition(" ")
    return any(_heads(w, heading) for w in labels) or bool(opening) and labels[0] == number and any(
        t.startswith(_plain(opening)) for t in texts) or bool(_ITEM.match(heading)) and any(
        _form(heading) in _form(t) for t in texts)


# An item heading (「（六）推动建立…」) is listed by the article chunk that holds it: an article is cited whole.
_ITEM = re.compile(r"^\s*(?:[（(][一二三四五六七八九十]+[)）]|\d+[.．、])\s*\S")


def _heads(label: str, heading: str) -> bool:
    """Whether a cited measure's label is the gold heading: it starts with it, or it is the heading's first
    clause. A part heading that is a paragraph is labelled by that clause (「一、继续做好金融支持工作」 of
    「一、继续做好金融支持工作，进一步改进金融服务。…」), while a gold heading is written as the text begins."""
    label, heading = _form(label), _form(heading)
    return label.startswith(heading) or bool(label) and heading.startswith(label) and heading[len(label):][:1] in _CLAUSE


def _form(text: str) -> str:
    """A heading compared by its characters, not their width or spacing: an item label writes 「1.」 where the
    document (and so the gold heading) has 「1．」 or 「2. 」."""
    return _plain(unicodedata.normalize("NFKC", text))


_CLAUSE = frozenset(",;:。")


def summarise(outcomes: list[Outcome]) -> dict:
    report = _figures(outcomes)
    kinds = sorted({o.question.kind for o in outcomes if o.question.kind})
    if kinds:
        report["kinds"] = {k: _figures([o for o in outcomes if o.question.kind == k], brief=True) for k in kinds}
    return report


def _figures(outcomes: list[Outcome], brief: bool = False) -> dict:
    answerable = [o for o in outcomes if o.question.answerable]
    oos = [o for o in outcomes if not o.question.answerable]
    listed = [o.listed for o in outcomes if o.listed]
    precise = [o.precise for o in outcomes if o.precise]
    figures = {
        "answerable": len(answerable),
        "out_of_scope": len(oos),
        "gold_quoted": _rate(sum(o.quoted for o in answerable), len(answerable)),
        "false_refusal": _rate(sum(not o.found for o in answerable), len(answerable)),
        "oos_refused": _rate(sum(not o.found for o in oos), len(oos)),
        "measure_recall": _rate(sum(n for n, _ in listed), sum(t for _, t in listed)),
        "measure_precision": _rate(sum(n for n, _ in precise), sum(t for _, t in precise)),
        "latency_p50_ms": round(statistics.median(o.latency_ms for o in outcomes), 1) if outcomes else None,
        "misses": [o.question.id for o in answerable if not o.quoted],
        "false_refusals": [o.question.id for o in answerable if not o.found],
        "false_answers": [o.question.id for o in oos if o.found],
    }
    if brief:
        return figures
    gated = [o.relevance for o in answerable if o.relevance is not None]
    lowest = {
        "everyday_margin": min((r.everyday_margin for r in gated), default=None),
        "near_margin": min((r.near_margin for r in gated), default=None),
        "passage_similarity": min((r.passage for r in gated), default=None),
    }
    return {
        **figures,
        "gold_in_answer": _rate(sum(o.in_answer for o in answerable), len(answerable)),
        "gold_in_citation": _rate(sum(o.in_citation for o in answerable), len(answerable)),
        "false_answer": _rate(sum(o.found for o in oos), len(oos)),
        "lowest_answerable": {k: _round(v) for k, v in lowest.items()},
        "suggested_thresholds": {k: _round(lowest[k] - SAFETY) for k in ("everyday_margin", "near_margin")
                                 if lowest[k] is not None},
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
    if report["measure_recall"] is not None:
        lines.append(f"| broad questions: relevant measures listed (recall) | {report['measure_recall']} |")
        lines.append(f"| broad questions: listed measures relevant (precision) | {report['measure_precision']} |")
    if "kinds" in report:
        lines += ["", "| kind | answerable | gold quoted | false refusals | out-of-scope | refused | measure recall |",
                  "|---|---|---|---|---|---|---|"]
        for kind, f in report["kinds"].items():
            lines.append(f"| {kind} | {f['answerable']} | {f['gold_quoted']} | {f['false_refusal']} | "
                         f"{f['out_of_scope']} | {f['oos_refused']} | {f['measure_recall']} |")
    for key in ("misses", "false_refusals", "false_answers"):
        if report[key]:
            lines.append(f"\n{key}: {', '.join(report[key])}")
    return "\n".join(lines)
