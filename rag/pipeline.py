"""Wiring of the stages into one object the entry points share: build, search, ask.

The pipeline holds the model, the tokenizer and the live index. ``reload_if_changed``
swaps in a newly built index between requests; the swap is one attribute assignment,
so a request in flight finishes on the index it started with.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from rag import dense, store
from rag.cache import LRUCache
from rag.chunking import chunk_documents
from rag.corpus import corpus_hash, parse_corpus
from rag.embedding import Embedder, load_embedder, set_threads
from rag.hybrid import Query, Retriever
from rag.lexical import ChineseTokenizer
from rag.query import load_synonyms, normalise_query
from rag.types import Chunk, Hit


@dataclass(frozen=True)
class PipelineConfig:
    corpus_dir: Path
    index_dir: Path
    home: Path
    embed_model: str
    query_prompt: str | None = None
    passage_prompt: str | None = None
    fusion: str = "weighted"
    cache_size: int = 1024
    threads: int = 0  # per torch/FAISS call; 0 leaves their default (one per core)

    @classmethod
    def from_settings(cls, settings) -> "PipelineConfig":
        return cls(settings.corpus_dir, settings.index_dir, settings.home_dir, settings.embed_model,
                   settings.query_prompt, settings.passage_prompt, cache_size=settings.cache_size,
                   threads=settings.threads)


def load_chunks(corpus_dir: Path) -> tuple[list[Chunk], list[dict], str]:
    """Chunks of the corpus, document metadata for the manifest, and the corpus hash."""
    parsed = parse_corpus(corpus_dir)
    docs = [p.document for p in parsed]
    meta = [{"title": d.title, "source": d.source, "notice_title": d.notice_title, "issuer": d.issuer,
             "publish_date": d.publish_date, "signing_date": d.signing_date, "preamble": d.preamble}
            for d in docs]
    return chunk_documents(docs), meta, corpus_hash([p.source for p in parsed])


class Pipeline:
    """Model + tokenizer + live index; thread-safe for concurrent readers."""

    def __init__(self, config: PipelineConfig, embedder: Embedder | None = None):
        self.config = config
        if config.threads:  # process-wide, like the settings they come from
            dense.set_threads(config.threads)
            set_threads(config.threads)
        self.embedder = embedder or load_embedder(config.embed_model, config.home,
                                                  config.query_prompt, config.passage_prompt)
        self.tokenizer = ChineseTokenizer()
        self.synonyms = load_synonyms()
        self.vectors = LRUCache(config.cache_size)
        self._lock = threading.Lock()
        self.retriever: Retriever | None = None

    def build(self, progress: bool = False) -> Path:
        """Re-read the corpus and write a new index version (the live one is untouched)."""
        chunks, meta, digest = load_chunks(self.config.corpus_dir)
        return store.build(chunks, self.embedder, self.tokenizer, self.config.index_dir, meta, digest, progress)

    def load(self) -> store.LoadedIndex:
        """Open the current index, checked against this pipeline's model and dictionary."""
        loaded = store.load(self.config.index_dir, self.embedder.info, self.tokenizer.dictionary.fingerprint())
        self.embedder.prepare_queries()
        self.retriever = Retriever(loaded, self.embedder, self.tokenizer, self.synonyms, self.config.fusion)
        self.vectors.clear()
        return loaded

    def ensure_index(self, rebuild: bool = False, progress: bool = False) -> store.LoadedIndex:
        if rebuild or store.current_version(self.config.index_dir) is None:
            self.build(progress)
        return self.load()

    def reload_if_changed(self) -> bool:
        """Load a newer version if ``CURRENT`` moved; True when a swap happened."""
        live = self.retriever.index.version if self.retriever else None
        if store.current_version(self.config.index_dir) == live:
            return False
        with self._lock:
            if store.current_version(self.config.index_dir) == (self.retriever.index.version if self.retriever else None):
                return False
            self.load()
            return True

    @property
    def index(self) -> store.LoadedIndex:
        return self.live().index

    def live(self) -> Retriever:
        if self.retriever is None:
            self.load()
        return self.retriever

    def query(self, question: str) -> tuple[Retriever, Query]:
        """A prepared query, its embedding served from the cache when seen before."""
        retriever = self.live()
        text = normalise_query(question)
        vector = self.vectors.get(text)
        prepared = retriever.prepare(text, vector)
        if vector is None:
            self.vectors.put(text, prepared.vector)
        return retriever, prepared

    def search(self, question: str, k: int = 5, mode: str = "hybrid") -> list[Hit]:
        retriever, prepared = self.query(question)
        return retriever.search(prepared, k, mode)
