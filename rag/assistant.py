"""The question-answering facade every channel shares: API, UI, CLI and WeCom.

A question is made self-contained (follow-ups), answered from the outline when it is
about structure or a unit's share, otherwise retrieved, gated for relevance and quoted;
an optional LLM generator may then rewrite the quoted answer. Answers are cached per
index version and normalised question, so a popular question or a WeCom retry costs a
dictionary lookup, and a new index never serves a stale answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from rag.answering import aggregate
from rag.answering.extractive import compose, refuse, select
from rag.answering.followup import rewrite
from rag.answering.llm import generator_from_settings
from rag.answering.relevance import Gate, Relevance, Thresholds, unanswered_figure
from rag.cache import LRUCache
from rag.corpus.outline import MeasureView, find_measure, outline_from_chunks
from rag.errors import QuestionError
from rag.pipeline import BuildReport, Pipeline, PipelineConfig
from rag.retrieval.manifest import Manifest
from rag.retrieval.query import normalise_query
from rag.settings import Settings
from rag.types import Answer, DocumentInfo, Hit, SearchMode, Turn

__all__ = ["Assistant", "Generator", "IndexStatus", "Turn", "check_question"]

DEFAULT_MAX_QUESTION_CHARS = 500


def check_question(question: str, max_chars: int = DEFAULT_MAX_QUESTION_CHARS) -> str:
    """The stripped question; :class:`QuestionError` (with its ``problem``) when empty or too long.

    The one check every channel shares: each renders the error in its own form (a 422, a
    polite WeCom text, a chat message, a CLI error).
    """
    question = question.strip()
    if not question:
        raise QuestionError("the question is empty", problem="empty", length=0, limit=max_chars)
    if len(question) > max_chars:
        raise QuestionError(f"the question has {len(question)} characters; at most {max_chars} are allowed",
                            problem="too_long", length=len(question), limit=max_chars)
    return question


@dataclass(frozen=True)
class IndexStatus:
    """What a health check or a status line shows: the live index and the model that reads it."""

    version: str
    model: str
    chunks: int
    manifest: Manifest


class Generator(Protocol):
    """Writes an answer from the extractive one's citations; None means keep the extractive one.

    A generator returns None for refusals and outline answers: they must stay as they are.
    """

    def generate(self, question: str, extractive: Answer) -> Answer | None: ...


class Assistant:
    """Answers questions from one pipeline's live index."""

    def __init__(self, pipeline: Pipeline, generator: Generator | None = None,
                 refusal_shift: float = 0.0, cache_size: int = 1024,
                 max_question_chars: int = DEFAULT_MAX_QUESTION_CHARS):
        self.pipeline = pipeline
        self.generator = generator
        self.max_question_chars = max_question_chars
        self.thresholds = Thresholds().shifted(refusal_shift)
        self.answers = LRUCache(cache_size)
        self.gate = Gate.load(pipeline.embedder, pipeline.config.home / "cache")
        self._outline: tuple[str, list[MeasureView]] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, pipeline: Pipeline | None = None) -> Assistant:
        """An assistant over ``pipeline`` (made and loaded here when not given or not loaded) with the configured LLM."""
        pipeline = pipeline or Pipeline(PipelineConfig.from_settings(settings))
        pipeline.live()
        return cls(pipeline, generator=generator_from_settings(settings), refusal_shift=settings.refusal_shift,
                   cache_size=settings.cache_size, max_question_chars=settings.max_question_chars)

    @property
    def version(self) -> str:
        return self.pipeline.index.version

    def status(self) -> IndexStatus:
        index = self.pipeline.index
        return IndexStatus(index.version, self.pipeline.embedder.info.name, len(index.chunks), index.manifest)

    def keywords(self, question: str) -> tuple[str, ...]:
        """The question's content words, longest first: what a page highlights in the quoted text."""
        return self.pipeline.tokenizer.keywords(normalise_query(question))

    def check(self, question: str) -> str:
        """The stripped question, or :class:`QuestionError` when this assistant would refuse to take it."""
        return check_question(question, self.max_question_chars)

    def ask(self, question: str, history: Sequence[Turn] = (), top_k: int = 5) -> Answer:
        question = self.check(question)
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
            answer = self.generator.generate(text, answer) or answer
        return self.cite_documents(answer)

    def cite_documents(self, answer: Answer) -> Answer:
        """The answer with each citation naming its document (title, 文号, issuers, date)."""
        documents = self.pipeline.index.documents
        cited = tuple(replace(c, document=documents.get(c.chunk.document_id)) for c in answer.citations)
        return replace(answer, citations=cited)

    def add_documents(self, paths: list[Path], replace: bool = False) -> BuildReport:
        """Check, copy and index new documents; this process answers from the new index at once."""
        report = self.pipeline.add(paths, replace)
        self.reload_if_changed()
        return report

    def remove_document(self, document_id: str) -> BuildReport:
        report = self.pipeline.remove(document_id)
        self.reload_if_changed()
        return report

    def chunk_counts(self) -> dict[str, int]:
        return self.pipeline.index.manifest.document_chunks

    def document(self, document_id: str) -> DocumentInfo | None:
        return self.pipeline.index.documents.get(document_id)

    def documents(self) -> tuple[DocumentInfo, ...]:
        return self.pipeline.index.manifest.documents

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
        quotes = select(retriever, scored, hits)
        quoted = "".join(s for q in quotes for s in q.sentences)
        if not hits or not relevance.passes(self.thresholds) or unanswered_figure(prepared.text, quoted):
            return refuse(text, hits, topic), relevance
        evidence = quoted + "".join(q.hit.chunk.measure for q in quotes)
        synonyms = self.pipeline.synonyms
        matched = [w for w in topic if any(t in evidence for t in (w, *synonyms.get(w, ())))]
        return compose(text, quotes, matched), relevance

    def search(self, query: str, top_k: int = 5, mode: SearchMode = "hybrid") -> list[Hit]:
        return self.pipeline.search(query, top_k, mode)

    def outline(self) -> list[MeasureView]:
        index = self.pipeline.index
        if self._outline is None or self._outline[0] != index.version:
            self._outline = (index.version, outline_from_chunks(index.chunks))
        return self._outline[1]

    def measure(self, key: str, document_id: str | None = None) -> MeasureView | None:
        return find_measure(self.outline(), key, document_id)

    def reload_if_changed(self) -> bool:
        """Swap in a newer index; cached answers are keyed by version, so none goes stale."""
        return self.pipeline.reload_if_changed()

