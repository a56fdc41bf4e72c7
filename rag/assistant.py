"""The question-answering facade every channel shares: API, UI, CLI and WeCom.

It chooses how to answer (outline, responsible unit, retrieval), applies the relevance
gate, hands the result to an optional LLM generator, and caches answers per index
version so a popular question or a WeCom retry costs a dictionary lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from rag.answer import compose, refuse
from rag.cache import LRUCache
from rag.outline import MeasureView, find_measure, outline_from_chunks
from rag.pipeline import Pipeline
from rag.relevance import DEFAULT_THRESHOLD, relevance
from rag.types import Answer, Hit


@dataclass(frozen=True)
class Turn:
    """One earlier message of a conversation (``role`` is ``user`` or ``assistant``)."""

    role: str
    content: str


class Generator(Protocol):
    """Writes an answer from the extractive one's citations; None means keep the extractive one."""

    def generate(self, question: str, extractive: Answer) -> Answer | None: ...


class Assistant:
    """Answers questions from one pipeline's live index."""

    def __init__(self, pipeline: Pipeline, generator: Generator | None = None,
                 threshold: float | None = None, cache_size: int = 1024):
        self.pipeline = pipeline
        self.generator = generator
        self.threshold = DEFAULT_THRESHOLD if threshold is None else threshold
        self.answers = LRUCache(cache_size)

    @property
    def version(self) -> str:
        return self.pipeline.index.version

    def ask(self, question: str, history: Sequence[Turn] = (), top_k: int = 5) -> Answer:
        retriever, prepared = self.pipeline.query(question)
        key = (retriever.index.version, prepared.text, top_k)
        cached = self.answers.get(key)
        if cached is not None:
            return cached
        scored = retriever.score(prepared)
        hits = retriever.rank(scored, top_k, "hybrid")
        if not hits or relevance(scored, hits) < self.threshold:
            answer = refuse(question, hits)
        else:
            answer = compose(question, hits)
            if self.generator is not None:
                answer = self.generator.generate(question, answer) or answer
        self.answers.put(key, answer)
        return answer

    def search(self, query: str, top_k: int = 5, mode: str = "hybrid") -> list[Hit]:
        return self.pipeline.search(query, top_k, mode)

    def outline(self) -> list[MeasureView]:
        return outline_from_chunks(self.pipeline.index.chunks)

    def measure(self, key: str) -> MeasureView | None:
        return find_measure(self.outline(), key)

    def reload_if_changed(self) -> bool:
        """Swap in a newer index; cached answers are keyed by version, so they go stale harmlessly."""
        return self.pipeline.reload_if_changed()
