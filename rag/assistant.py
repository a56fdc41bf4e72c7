"""The question-answering facade every channel shares: API, UI, CLI and WeCom.

A question is made self-contained (follow-ups), answered from the outline when it is
about structure or a unit's share, otherwise retrieved, gated for relevance and quoted;
an optional LLM generator may then rewrite the quoted answer. Answers are cached per
index version and normalised question, so a popular question or a WeCom retry costs a
dictionary lookup, and a new index never serves a stale answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from rag import aggregate
from rag.answer import compose, refuse, select
from rag.cache import LRUCache
from rag.followup import rewrite
from rag.outline import MeasureView, find_measure, outline_from_chunks
from rag.pipeline import Pipeline
from rag.query import normalise_query
from rag.relevance import Gate, Relevance, Thresholds, unanswered_figure
from rag.types import Answer, Hit, Turn

__all__ = ["Assistant", "Generator", "Turn"]


class Generator(Protocol):
    """Writes an answer from the extractive one's citations; None means keep the extractive one.

    A generator returns None for refusals and outline answers: they must stay as they are.
    """

    def generate(self, question: str, extractive: Answer) -> Answer | None: ...


class Assistant:
    """Answers questions from one pipeline's live index."""

    def __init__(self, pipeline: Pipeline, generator: Generator | None = None,
                 refusal_shift: float = 0.0, cache_size: int = 1024):
        self.pipeline = pipeline
        self.generator = generator
        self.thresholds = Thresholds().shifted(refusal_shift)
        self.answers = LRUCache(cache_size)
        self.gate = Gate.load(pipeline.embedder, pipeline.config.home / "cache")
        self._outline: tuple[str, list[MeasureView]] | None = None

    @property
    def version(self) -> str:
        return self.pipeline.index.version

    def ask(self, question: str, history: Sequence[Turn] = (), top_k: int = 5) -> Answer:
        text = rewrite(normalise_query(question), history, self.pipeline.tokenizer.words)
        key = (self.version, text, top_k)
        cached = self.answers.get(key)
        if cached is None:
            cached = self._answer(text, top_k)
            self.answers.put(key, cached)
        return cached if cached.question == question else replace(cached, question=question)

    def _answer(self, text: str, top_k: int) -> Answer:
        answer, _ = self.explain(text, top_k)
        if self.generator is not None:  # it keeps refusals and outline lists as they are
            return self.generator.generate(text, answer) or answer
        return answer

    def explain(self, text: str, top_k: int = 5) -> tuple[Answer, Relevance | None]:
        """The extractive answer and the relevance behind it (None for outline answers), uncached."""
        structural = aggregate.answer(text, self.outline())
        if structural is not None:
            return structural, None
        return self.retrieve(text, top_k)

    def retrieve(self, text: str, top_k: int = 5) -> tuple[Answer, Relevance]:
        """The extractive (or refusal) answer and the relevance that decided between them."""
        retriever, prepared = self.pipeline.query(text)
        scored = retriever.score(prepared)
        hits = retriever.rank(scored, top_k, "hybrid")
        relevance = self.gate.assess(prepared.vector, scored.passage_dense)
        topic = self.pipeline.tokenizer.words(prepared.text)
        quotes = select(retriever.index, scored, hits)
        quoted = "".join(s for q in quotes for s in q.sentences)
        if not hits or not relevance.passes(self.thresholds) or unanswered_figure(prepared.text, quoted):
            return refuse(text, hits, topic), relevance
        evidence = quoted + "".join(q.hit.chunk.measure for q in quotes)
        synonyms = self.pipeline.synonyms
        matched = [w for w in topic if any(t in evidence for t in (w, *synonyms.get(w, ())))]
        return compose(text, quotes, matched), relevance

    def search(self, query: str, top_k: int = 5, mode: str = "hybrid") -> list[Hit]:
        return self.pipeline.search(query, top_k, mode)

    def outline(self) -> list[MeasureView]:
        index = self.pipeline.index
        if self._outline is None or self._outline[0] != index.version:
            self._outline = (index.version, outline_from_chunks(index.chunks))
        return self._outline[1]

    def measure(self, key: str) -> MeasureView | None:
        return find_measure(self.outline(), key)

    def reload_if_changed(self) -> bool:
        """Swap in a newer index; cached answers are keyed by version, so none goes stale."""
        return self.pipeline.reload_if_changed()

