"""Scale check: exact FAISS search against HNSW over a synthetic corpus of 100,000 chunks.

Embedding 100k texts with the real model on two CPU cores would take most of an hour
(the bench prints its own estimate from a measured sample), so the corpus has two layers:

* **texts** — clauses of the real measures recombined three to six at a time, with region
  names and numbers substituted, from a fixed seed;
* **vectors** — each synthetic chunk's vector is a random convex combination of the *real*
  embeddings of the clauses it was made from, plus Gaussian noise, L2-normalised. The noise
  level is calibrated so that a sample of synthetic chunks embedded with the real model
  has the same mean nearest-neighbour similarity as their derived vectors.

Queries are the real embeddings of the dev questions. Exact search (IndexFlatIP) is the
ground truth for recall.
"""

from __future__ import annotations

import random
import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from rag.retrieval import dense
from rag.retrieval.hybrid import Query, Retriever
from rag.retrieval.lexical import BM25Index, ChineseTokenizer
from rag.retrieval.store import LoadedIndex
from rag.types import Chunk

REGIONS = ("福州", "厦门", "漳州", "泉州", "三明", "莆田", "南平", "龙岩", "宁德", "平潭")
_REGION = re.compile("|".join(REGIONS))
_NUMBER = re.compile(r"\d+")
_CLAUSE = re.compile(r"[^，。；！？：]+[，。；！？：]?")
K = 10


MIN_PARTS, MAX_PARTS = 3, 6


@dataclass(frozen=True)
class SyntheticCorpus:
    parts: list[tuple[str, ...]]  # the (substituted) clauses of each synthetic chunk
    sources: np.ndarray  # (n, MAX_PARTS) clause ids each chunk was made from, −1 padded

    @property
    def texts(self) -> list[str]:
        return ["".join(p) for p in self.parts]


def clause_pool(texts: Sequence[str], min_chars: int = 4) -> list[str]:
    """The distinct clauses of the real chunks (comma-level pieces), in corpus order."""
    found = (c.strip() for t in texts for c in _CLAUSE.findall(t))
    return list(dict.fromkeys(c for c in found if len(c) >= min_chars))


def synthetic_corpus(clauses: Sequence[str], n: int, seed: int) -> SyntheticCorpus:
    """``n`` chunks of recombined clauses with regions and numbers substituted."""
    rng = random.Random(seed)
    sources = np.full((n, MAX_PARTS), -1, dtype=np.int32)
    parts = []
    for row in range(n):
        picked = rng.sample(range(len(clauses)), rng.randint(MIN_PARTS, MAX_PARTS))
        sources[row, :len(picked)] = picked
        parts.append(tuple(_substitute(clauses[p], rng) for p in picked))
    return SyntheticCorpus(parts, sources)


def _substitute(text: str, rng: random.Random) -> str:
    text = _REGION.sub(lambda _: rng.choice(REGIONS), text)
    # Same number of digits, so 2025 stays a year and 30 a percentage.
    return _NUMBER.sub(lambda m: str(rng.randint(10 ** (len(m.group()) - 1), 10 ** len(m.group()) - 1)), text)


def derived_vectors(sources: np.ndarray, clause_vectors: np.ndarray, noise: float, seed: int,
                    batch: int = 8192) -> np.ndarray:
    """Dirichlet(1)-weighted mixtures of the source clauses' vectors, plus noise, normalised."""
    rng = np.random.default_rng(seed)
    n, dim = len(sources), clause_vectors.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, batch):
        ids = sources[start:start + batch]
        weights = rng.gamma(1.0, size=ids.shape) * (ids >= 0)
        weights /= weights.sum(axis=1, keepdims=True)
        mixed = np.einsum("nk,nkd->nd", weights, clause_vectors[np.maximum(ids, 0)])
        mixed += rng.standard_normal(mixed.shape) * (noise / np.sqrt(dim))
        out[start:start + len(ids)] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return out


def neighbour_similarity(vectors: np.ndarray, k: int = K) -> float:
    """Mean inner product of each vector with its ``k`` nearest others in the same set."""
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    return float(np.mean(-np.sort(-sims, axis=1)[:, :k]))


def calibrate_noise(sources: np.ndarray, real: np.ndarray, clause_vectors: np.ndarray, seed: int,
                    steps: int = 20) -> float:
    """The noise at which derived vectors match the real ones' neighbour similarity (bisection).

    More noise spreads the vectors apart, so the similarity falls monotonically; the same
    seed at every step keeps the function smooth.
    """
    target = neighbour_similarity(real)
    low, high = 0.0, 2.0
    for _ in range(steps):
        mid = (low + high) / 2
        if neighbour_similarity(derived_vectors(sources, clause_vectors, mid, seed)) > target:
            low = mid
        else:
            high = mid
    return (low + high) / 2


@dataclass(frozen=True)
class IndexRun:
    kind: str
    build_s: float
    index_bytes: int
    p50_ms: float
    p95_ms: float
    recall_at_10: float
    candidates_p50_ms: float  # the same with k = the hybrid retriever's candidate count

    def to_dict(self) -> dict:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in self.__dict__.items()}


def _timed_searches(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[list[float], np.ndarray]:
    """Per-query latency (one query per call, as a server sees them) and the result ids."""
    index.search(queries[:1], k)  # first call allocates
    timings, ids = [], []
    for q in queries:
        start = time.perf_counter()
        _, found = index.search(q[None, :], k)
        timings.append((time.perf_counter() - start) * 1000)
        ids.append(found[0])
    return timings, np.stack(ids)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of the exact top-k that the approximate search also returned."""
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth)]))


def exact_latency_by_size(vectors: np.ndarray, queries: np.ndarray, sizes: Sequence[int]) -> list[dict]:
    """Exact search latency over the first ``n`` vectors for each size: where HNSW starts to pay."""
    out = []
    for n in sizes:
        index = dense.build_index(vectors[:n], hnsw_threshold=n)
        timings, _ = _timed_searches(index, queries, K)
        out.append({"passages": n, "p50_ms": round(statistics.median(timings), 3),
                    "p95_ms": round(float(np.percentile(timings, 95)), 3)})
    return out


def compare(vectors: np.ndarray, queries: np.ndarray, candidates: int, build_threads: int,
            query_threads: int) -> tuple[list[IndexRun], faiss.Index]:
    """Exact and HNSW indexes (rag.retrieval.dense's own builder and parameters) measured; the HNSW one kept.

    Builds are offline jobs and use ``build_threads``; queries run as a server runs them.
    """
    runs, truth = [], None
    for kind, threshold in (("flat", len(vectors)), ("hnsw", 0)):
        index = None  # the exact index's copy of the vectors is freed before the graph is built
        dense.set_threads(build_threads)
        start = time.perf_counter()
        index = dense.build_index(vectors, hnsw_threshold=threshold)
        build_s = time.perf_counter() - start
        dense.set_threads(query_threads)
        assert dense.index_kind(index) == kind
        timings, ids = _timed_searches(index, queries, K)
        truth = ids if truth is None else truth
        wide, _ = _timed_searches(index, queries, candidates)
        runs.append(IndexRun(kind, build_s, int(faiss.serialize_index(index).nbytes), statistics.median(timings),
                             float(np.percentile(timings, 95)), recall(ids, truth), statistics.median(wide)))
    return runs, index


def tokenized(corpus: SyntheticCorpus, tokenizer: ChineseTokenizer) -> list[list[str]]:
    """BM25 tokens of each synthetic chunk, tokenising each distinct clause once.

    A clause ends at punctuation, where jieba never joins two words, so a chunk's
    tokens are its clauses' tokens; this turns minutes of jieba into seconds.
    """
    memo: dict[str, list[str]] = {}
    out = []
    for parts in corpus.parts:
        tokens: list[str] = []
        for part in parts:
            if part not in memo:
                memo[part] = tokenizer.tokenize(part)
            tokens.extend(memo[part])
        out.append(tokens)
    return out


def synthetic_index(corpus: SyntheticCorpus, index: faiss.Index, tokenizer: ChineseTokenizer) -> LoadedIndex:
    """A loaded index over the synthetic chunks (one passage each) for the hybrid retriever."""
    chunks = tuple(Chunk(f"syn-{i:06d}", "synthetic", None, f"synthetic {i}", None, text, (), ())
                   for i, text in enumerate(corpus.texts))
    owners = np.arange(len(chunks), dtype=np.int32)
    return LoadedIndex("synthetic", Path("."), {}, chunks, index, BM25Index.build(tokenized(corpus, tokenizer)), owners)


def retrieval_latency(retriever: Retriever, queries: Sequence[Query], k: int = 5) -> list[float]:
    """Per-query milliseconds of the full hybrid score + rank, the question already encoded."""
    retriever.search(queries[0], k)
    timings = []
    for q in queries:
        start = time.perf_counter()
        retriever.search(q, k)
        timings.append((time.perf_counter() - start) * 1000)
    return timings
