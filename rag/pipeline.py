"""Wiring of the stages into one object the entry points share: build, search, ask.

The pipeline holds the model, the tokenizer and the live index. ``reload_if_changed``
swaps in a newly built index between requests; the swap is one attribute assignment,
so a request in flight finishes on the index it started with.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.answering import relevance
from rag.cache import LRUCache
from rag.corpus.chunking import chunk_documents
from rag.corpus.folder import list_documents, parse_corpus, parse_file, read_source
from rag.corpus.forms import question_forms
from rag.corpus.identity import sidecar_path
from rag.corpus.intake import IntakeError
from rag.encoder.embedding import PRECISIONS, Embedder, build_runtime, load_embedder, set_threads
from rag.encoder.reference import COMPATIBLE
from rag.errors import CorpusError, ModelError
from rag.library import (
    CachedDocument,
    DocumentCache,
    add_files,
    cached_document,
    document_key,
    remove_files,
    undo_add,
    undo_remove,
)
from rag.retrieval import dense, store
from rag.retrieval.hybrid import Fusion, Query, Retriever
from rag.retrieval.index import SearchIndex, Store
from rag.retrieval.lexical import ChineseTokenizer
from rag.retrieval.manifest import GateRecord
from rag.retrieval.query import load_synonyms, normalise_query
from rag.types import Chunk, DocumentInfo, Hit, SearchMode

if TYPE_CHECKING:
    from rag.retrieval.milvus import MilvusConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PipelineConfig:
    corpus_dir: Path
    index_dir: Path
    home: Path
    embed_model: str
    query_prompt: str | None = None
    passage_prompt: str | None = None
    fusion: Fusion = "weighted"
    cache_size: int = 1024
    threads: int = 0  # per torch/FAISS call; 0 leaves their default (one per core)
    cores: int = 0  # this process's share of the machine's cores; 0: all of them
    backend: str = "torch"
    precision: str | None = None
    milvus: MilvusConfig | None = None  # set: the index lives in Milvus, not in index_dir
    build_backend: str | None = None  # the runtime encoding a build's passages; None: the question embedder
    build_precision: str | None = None
    # The build runtime is the settings' default, not an operator's choice: where its vectors leave COMPATIBLE
    # on this machine's CPU, the question runtime builds instead of the build failing.
    build_fallback: bool = False

    @classmethod
    def from_settings(cls, settings) -> PipelineConfig:
        build_backend, build_precision = build_runtime(settings.backend, settings.precision,
                                                       settings.build_backend, settings.build_precision)
        return cls(settings.corpus_dir, settings.index_dir, settings.home_dir, settings.embed_model,
                   settings.query_prompt, settings.passage_prompt, cache_size=settings.cache_size,
                   threads=settings.threads, cores=settings.cores, backend=settings.backend, precision=settings.precision,
                   milvus=_milvus_config(settings) if settings.store == "milvus" else None,
                   build_backend=build_backend, build_precision=build_precision,
                   build_fallback=not settings.build_backend)


def _milvus_config(settings) -> MilvusConfig:
    from rag.retrieval.milvus import MilvusConfig

    return MilvusConfig(settings.milvus_location, settings.milvus_token or "", settings.milvus_db or "",
                        settings.milvus_collection, settings.milvus_timeout)


def open_store(config: PipelineConfig) -> Store:
    """The configured store; pymilvus is imported only when Milvus is chosen."""
    if config.milvus is None:
        return store.FolderStore(config.index_dir)
    from rag.retrieval.milvus import MilvusStore

    return MilvusStore(config.milvus)


def load_chunks(corpus_dir: Path) -> tuple[list[Chunk], list[DocumentInfo], str]:
    """Chunks of the corpus, the documents' identities for the manifest, and the corpus hash."""
    parsed = parse_corpus(corpus_dir)
    docs = [p.document for p in parsed]
    return chunk_documents(docs), [d.info for d in docs], corpus_hash([key for _, key in keyed_documents(corpus_dir)])


def keyed_documents(corpus_dir: Path) -> list[tuple[Path, str]]:
    """Each document file with its cache key (name, bytes, sidecar, parser)."""
    keyed = []
    for path in list_documents(corpus_dir):
        sidecar = sidecar_path(path)
        keyed.append((path, document_key(path.name, path.read_bytes(), sidecar.read_bytes() if sidecar.is_file() else None)))
    return keyed


def corpus_hash(keys: list[str]) -> str:
    """What the index was built from, in one digest: its documents' keys in order."""
    return hashlib.sha256("\0".join(keys).encode()).hexdigest()


@dataclass(frozen=True)
class BuildReport:
    """What a build did: ``embedded`` passages were encoded now, ``reused`` came from the document cache."""

    folder: Path | str  # the version folder, or the Milvus collection
    documents: int
    chunks: int
    embedded: int
    reused: int

    def to_dict(self) -> dict:
        return {"index": str(self.folder), "documents": self.documents, "chunks": self.chunks,
                "embedded": self.embedded, "reused": self.reused}


def _unique_ids(documents: list[CachedDocument]) -> None:
    seen: dict[str, str] = {}
    for d in documents:
        if d.info.id in seen:
            raise CorpusError(f"two documents have the id {d.info.id!r} ({seen[d.info.id]}, {d.info.source}); "
                              f"remove one, or give one another id in its sidecar {d.info.source}.meta.json")
        seen[d.info.id] = d.info.source


class Pipeline:
    """Model + tokenizer + live index; thread-safe for concurrent readers."""

    def __init__(self, config: PipelineConfig, embedder: Embedder | None = None):
        self.config = config
        self.store = open_store(config)  # before the model: an unreachable Milvus fails in a second
        # process-wide, like the settings they come from
        if config.threads:
            dense.set_threads(config.threads)
        if config.threads or config.cores:
            set_threads(config.threads, config.cores)
        self.embedder = embedder or load_embedder(config.embed_model, config.home,
                                                  config.query_prompt, config.passage_prompt,
                                                  config.backend, config.precision)
        self.tokenizer = ChineseTokenizer()
        self.synonyms = load_synonyms()
        self.vectors = LRUCache(config.cache_size)
        self._lock = threading.Lock()
        self._build_lock = threading.RLock()  # one library change at a time in this process
        # set once the default build runtime proved out of tolerance here: later builds (add, remove) skip loading it
        self._build_runtime_refused = False
        self.retriever: Retriever | None = None

    def build(self, progress: bool = False, reuse: bool = True) -> BuildReport:
        """Write a new index version from the corpus folder (the live one is untouched).

        A document whose file, sidecar, parser and model are unchanged since an earlier build
        is taken from the document cache: neither parsed nor embedded again. ``reuse=False``
        parses and embeds everything (what a benchmark of the build measures).
        """
        with self._build_lock:
            return self._build(progress, reuse)

    def _build(self, progress: bool, reuse: bool) -> BuildReport:
        # Loaded for this build only: a serving process keeps just the question runtime in memory.
        encoder = self.build_embedder()
        cache = DocumentCache(self.config.home / "cache" / "documents", encoder.info.runtime)
        keys, documents = [], []
        for path, key in keyed_documents(self.config.corpus_dir):
            keys.append(key)
            documents.append(cached_document(cache, key, lambda p=path: self._parse(p),
                                             lambda chunks: self._encode(encoder, chunks, progress), reuse))
        _unique_ids(documents)
        chunks = [c for d in documents for c in d.chunks]
        vectors = np.vstack([d.vectors for d in documents])
        digest = corpus_hash(keys)
        folder = self.store.build(chunks, encoder, self.tokenizer,
                                  [d.info for d in documents], digest, progress, vectors=vectors,
                                  gate=self._calibrate(encoder, chunks, vectors))
        cache.prune(keys)
        reused = sum(len(d.vectors) for d in documents if d.reused)
        return BuildReport(folder, len(documents), len(chunks), len(vectors) - reused, reused)

    def build_embedder(self) -> Embedder:
        """The runtime a build encodes with; ModelError if its index would not serve this pipeline's questions."""
        backend, precision = self.config.build_backend, self.config.build_precision
        ask = self.embedder.info
        if backend is None or self._build_runtime_refused or (
                backend, precision or PRECISIONS.get(backend, ("",))[0]) == (ask.backend, ask.precision):
            return self.embedder
        encoder = load_embedder(self.config.embed_model, self.config.home, self.config.query_prompt,
                                self.config.passage_prompt, backend, precision)
        if encoder.info.fingerprint != ask.fingerprint:
            if self.config.build_fallback:
                # OpenVINO's bf16 rounds differently per CPU: 8.6e-4 from torch with AVX-512 bf16, 2.2e-3 on an
                # AVX-only EPYC. Its index would not serve these questions there, and a slower build beats none.
                log.warning("the default build runtime %s %s differs from the reference by %.1e on this CPU, more "
                            "than the %.0e an index may be shared within; the question runtime %s %s builds instead",
                            backend, encoder.info.precision, encoder.deviation, COMPATIBLE, ask.backend, ask.precision)
                self._build_runtime_refused = True
                return self.embedder
            raise ModelError(
                f"the build runtime {backend} {encoder.info.precision} differs from the reference by "
                f"{encoder.deviation:.1e} on the probe texts, more than the {COMPATIBLE:.0e} an index may be shared "
                f"within; set POLICY_QA_BUILD_BACKEND and POLICY_QA_BUILD_PRECISION to the question runtime's "
                f"({ask.backend} {ask.precision})")
        return encoder

    def _calibrate(self, encoder: Embedder, chunks: list[Chunk], vectors: np.ndarray) -> GateRecord:
        """The refusal gate's margins for this library, from its own question forms (see relevance)."""
        cache = self.config.home / "cache"
        forms = relevance.support_bank(question_forms(chunks), encoder, cache)
        banks = relevance.Banks.load(encoder, cache)
        answered = relevance.answered_here(banks, [c.headed for c in chunks], self.tokenizer.words, self.synonyms)
        return relevance.calibrate(vectors, forms, banks, answered=answered)

    def add(self, paths: list[Path], replace: bool = False) -> BuildReport:
        """Copy checked documents into the corpus folder and build; on a failed build the folder is as it was."""
        with self._build_lock:
            added = add_files(self.config.corpus_dir, paths, lambda p: self._parse(p)[0], replace)
            try:
                return self.build()
            except BaseException:
                undo_add(added)
                raise

    def remove(self, document_id: str) -> BuildReport:
        """Take a document out of the library (its files go to ``.removed/``) and build."""
        with self._build_lock:
            source = self.source_of(document_id)
            moved = remove_files(self.config.corpus_dir, source)
            try:
                return self.build()
            except BaseException:
                undo_remove(self.config.corpus_dir, moved)
                raise

    def source_of(self, document_id: str) -> str:
        """The corpus file of a document id, from the built index (cheap) or by reading the folder."""
        if self.store.current_version() is not None:
            manifest = self.store.manifest()
            for d in manifest.documents:
                if d.id == document_id and (Path(self.config.corpus_dir) / d.source).is_file():
                    return d.source
        for path in list_documents(self.config.corpus_dir):
            if self._parse(path)[0].id == document_id:
                return path.name
        raise CorpusError(f"no document {document_id!r} in {self.config.corpus_dir}; `policy-qa docs` lists them")

    @staticmethod
    def _parse(path: Path) -> tuple[DocumentInfo, list[Chunk]]:
        source = read_source(path)
        try:
            document = parse_file(source).document
            return document.info, chunk_documents([document])
        except ValueError as e:
            # A parser fault on one unforeseen layout names the file instead of ending the build in a traceback.
            raise IntakeError(path, f"its structure could not be parsed ({e})") from e

    @staticmethod
    def _encode(encoder: Embedder, chunks: list[Chunk], progress: bool) -> np.ndarray:
        texts = store.passages(chunks).dense_texts
        if not texts:
            return np.zeros((0, encoder.info.dimension), dtype=np.float32)
        return encoder.encode_passages(texts, progress=progress)

    def load(self) -> SearchIndex:
        """Open the current index, checked against this pipeline's model and dictionary."""
        loaded = self.store.load(self.embedder.info, self.tokenizer.dictionary.fingerprint())
        self.embedder.prepare_queries()
        self.retriever = Retriever(loaded, self.embedder, self.tokenizer, self.synonyms, self.config.fusion)
        self.vectors.clear()
        return loaded

    def ensure_index(self, rebuild: bool = False, progress: bool = False) -> SearchIndex:
        if rebuild or self.store.current_version() is None:
            self.build(progress)
        return self.load()

    def reload_if_changed(self) -> bool:
        """Load a newer version if ``CURRENT`` moved; True when a swap happened."""
        live = self.retriever.index.version if self.retriever else None
        if self.store.current_version() == live:
            return False
        with self._lock:
            if self.store.current_version() == (self.retriever.index.version if self.retriever else None):
                return False
            self.load()
            return True

    @property
    def index(self) -> SearchIndex:
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

    def search(self, question: str, k: int = 5, mode: SearchMode = "hybrid") -> list[Hit]:
        retriever, prepared = self.query(question)
        return retriever.search(prepared, k, mode)
