"""Retrieval evaluation: hit@1, hit@3 and MRR@5 per mode, beside a naive baseline.

A retrieved chunk is a hit when its text contains any of the question's gold phrases.
The naive baseline is what a quick RAG demo would do: fixed 300-character windows with
30 characters of overlap over the raw, un-deduplicated file, same model, dense only.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.corpus.folder import read_corpus
from rag.pipeline import Pipeline
from rag.retrieval import dense
from rag.retrieval.hybrid import Retriever
from rag.types import Turn

QUESTIONS = Path(__file__).with_name("questions") / "dev.jsonl"


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    gold: tuple[str, ...]
    answerable: bool
    tags: tuple[str, ...]
    kind: str = ""  # the library set's question kinds; empty in the single-policy set
    documents: tuple[str, ...] = ()
    gold_measures: dict[str, tuple[str, ...]] = field(default_factory=dict)  # broad questions: document → headings
    history: tuple[Turn, ...] = ()


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Question(r["id"], r["question"], tuple(r.get("gold") or ()), bool(r.get("answerable", True)),
                     tuple(r.get("tags") or ()), r.get("kind", ""), tuple(r.get("documents") or ()),
                     {d: tuple(h) for d, h in (r.get("gold_measures") or {}).items()},
                     tuple(Turn(t["role"], t["content"]) for t in r.get("history") or ())) for r in rows]


def first_hit_rank(texts: list[str], gold: tuple[str, ...]) -> int | None:
    """1-based rank of the first text containing a gold phrase, or None."""
    return next((i for i, t in enumerate(texts, start=1) if any(g in t for g in gold)), None)


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "hit@1": sum(r == 1 for r in ranks) / n,
        "hit@3": sum(r is not None and r <= 3 for r in ranks) / n,
        "mrr@5": sum(1 / r for r in ranks if r is not None and r <= 5) / n,
    }


def naive_windows(corpus_dir: Path, size: int = 300, overlap: int = 30) -> list[str]:
    out = []
    for f in read_corpus(corpus_dir):
        text = f.raw
        out.extend(text[i:i + size] for i in range(0, max(1, len(text) - overlap), size - overlap))
    return out


def evaluate(pipeline: Pipeline, questions: list[Question], k: int = 5) -> dict:
    """Metrics for dense, bm25, hybrid and the naive baseline, plus warm search latency."""
    answerable = [q for q in questions if q.answerable]
    report: dict = {"questions": len(answerable), "modes": {}, "misses": {}}
    live = pipeline.live()
    rrf = Retriever(live.index, live.embedder, live.tokenizer, live.synonyms, "rrf", live.dense_weight)
    runs = {"dense": (live, "dense"), "bm25": (live, "bm25"),
            f"hybrid ({live.fusion_method})": (live, "hybrid"), "hybrid (rrf)": (rrf, "hybrid")}
    for name, (retriever, mode) in runs.items():
        ranks = []
        for q in answerable:
            _, prepared = pipeline.query(q.question)
            hits = retriever.search(prepared, k, mode)
            ranks.append(first_hit_rank([h.chunk.text for h in hits], q.gold))
        report["modes"][name] = metrics(ranks)
        report["misses"][name] = [q.id for q, r in zip(answerable, ranks) if r != 1]
    report["modes"]["naive-300"] = _naive(pipeline, answerable, k)
    report["latency_ms"] = _latency(pipeline, answerable, k)
    return report


def _naive(pipeline: Pipeline, questions: list[Question], k: int) -> dict[str, float]:
    windows = naive_windows(pipeline.config.corpus_dir)
    index = dense.build_index(pipeline.embedder.encode_passages(windows))
    vectors = pipeline.embedder.encode_queries([q.question for q in questions])
    _, ids = dense.search(index, vectors, k)
    return metrics([first_hit_rank([windows[i] for i in row if i >= 0], q.gold) for q, row in zip(questions, ids)])


def _latency(pipeline: Pipeline, questions: list[Question], k: int) -> dict[str, float]:
    """Warm hybrid search latency with the embedding cache bypassed (every query encoded)."""
    retriever = pipeline.live()
    timings = []
    for q in questions:
        start = time.perf_counter()
        retriever.search(retriever.prepare(q.question), k, "hybrid")
        timings.append((time.perf_counter() - start) * 1000)
    return {"p50": statistics.median(timings), "p95": float(np.percentile(timings, 95))}


def render(report: dict) -> str:
    lines = [f"{report['questions']} answerable questions", "",
             "| mode | hit@1 | hit@3 | MRR@5 |", "|---|---|---|---|"]
    for mode, m in report["modes"].items():
        lines.append(f"| {mode} | {m['hit@1']:.3f} | {m['hit@3']:.3f} | {m['mrr@5']:.3f} |")
    lat = report["latency_ms"]
    lines.append(f"\nwarm hybrid search latency: p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms")
    return "\n".join(lines)
