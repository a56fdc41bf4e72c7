"""What retrieval and the answer stage read from a loaded index, whichever store holds it.

The FAISS + BM25 index folder (:mod:`rag.retrieval.store`) and a Milvus collection
(:mod:`rag.retrieval.milvus`) both satisfy :class:`SearchIndex`; a :class:`Store` builds and
opens them. Passage scores come back as full arrays (one entry per indexed sentence,
floors for the unrelated), so fusion and the answer stage never know which store ran.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.encoder.embedding import Embedder, ModelInfo
from rag.retrieval.lexical import ChineseTokenizer
from rag.retrieval.manifest import GateRecord, Manifest
from rag.types import Chunk, DocumentInfo

DENSE_FLOOR = -1.0  # cosine of a passage the search did not return
BM25_FLOOR = 0.0
EXACT_ALL = 8192  # below this many passages every similarity is computed
CANDIDATES = 512  # above it, the nearest passages only (the rest count as unrelated)


class ChunkLookups:
    """Lookups over ``chunks``, ``owners`` and ``manifest`` that every loaded index offers alike."""

    chunks: tuple[Chunk, ...]
    owners: np.ndarray
    manifest: Manifest

    @cached_property
    def documents(self) -> dict[str, DocumentInfo]:
        """The indexed documents by id."""
        return {d.id: d for d in self.manifest.documents}

    @cached_property
    def positions(self) -> dict[str, int]:
        """Chunk id → position, built once per loaded index."""
        return {c.id: i for i, c in enumerate(self.chunks)}

    def passage_rows(self, position: int) -> np.ndarray:
        """The passage rows (sentences) of the chunk at ``position``."""
        start, end = np.searchsorted(self.owners, [position, position + 1])
        return np.arange(start, end)

    @cached_property
    def _passage_documents(self) -> np.ndarray:
        chunk_documents = np.asarray([c.document_id for c in self.chunks], dtype=object)
        return chunk_documents[self.owners]

    def passage_in(self, documents: Collection[str]) -> np.ndarray:
        """A mask over passage rows: True where the passage belongs to one of ``documents``."""
        return np.isin(self._passage_documents, list(documents))


class SearchIndex(Protocol):
    """One loaded index version."""

    version: str
    manifest: Manifest
    chunks: tuple[Chunk, ...]
    owners: np.ndarray  # passage row → chunk position (ascending)

    @property
    def documents(self) -> dict[str, DocumentInfo]: ...

    @property
    def positions(self) -> dict[str, int]: ...

    def passage_rows(self, position: int) -> np.ndarray: ...

    def passage_in(self, documents: Collection[str]) -> np.ndarray: ...

    def passage_scores(self, vector: np.ndarray, tokens: Sequence[str],
                       documents: Collection[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Cosine and BM25 score of every passage row; outside ``documents`` (ids) at the floors."""
        ...


class Store(Protocol):
    """Where index versions are built and which one is live."""

    def build(self, chunks: list[Chunk], embedder: Embedder, tokenizer: ChineseTokenizer,
              documents: list[DocumentInfo], corpus_hash: str, progress: bool = False,
              vectors: np.ndarray | None = None, gate: GateRecord | None = None) -> Path | str:
        """Write a new version and make it live; returns where it was written."""
        ...

    def current_version(self) -> str | None: ...

    def manifest(self) -> Manifest:
        """The live version's manifest, checked without loading the index."""
        ...

    def load(self, expected: ModelInfo | None = None, dictionary_hash: str | None = None) -> SearchIndex: ...
