"""Dense vector search with FAISS: exact inner product, HNSW above a size threshold."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
from threadpoolctl import threadpool_limits

# Measured by `policy-qa bench` on 2 cores, one thread per query (see README, Performance):
# exact search of one question costs 1.4 ms at 25k passages of dimension 384, 2.8 ms at
# 50k and 9.5 ms at 100k (the vectors outgrow the CPU caches), and two to four times that
# on a busy machine, so indexes above 25k passages are HNSW. On a synthetic 100k corpus of
# this policy's clauses, efSearch 128 found only 93% of the exact top 10 (the vectors of
# one policy crowd together); 512 finds 99% in 1.4 ms, and the hybrid retriever asks for
# 512 candidates anyway. M = 48 did not raise recall and tripled the build time.
HNSW_THRESHOLD = 25_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 512


def build_index(vectors: np.ndarray, hnsw_threshold: int = HNSW_THRESHOLD) -> faiss.Index:
    """Inner-product index over L2-normalised vectors (inner product = cosine)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    if len(vectors) > hnsw_threshold:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    return index


def set_threads(n: int) -> None:
    """OpenMP threads of every FAISS call (and BLAS threads of every numpy product) in this process.

    FAISS splits even a single query across its threads above 10k vectors; on a busy
    2-core machine they wait for each other (24 ms against 0.5 to 1.8 ms single-threaded
    for one query over 10k vectors), and concurrent requests keep the cores busy anyway.
    """
    faiss.omp_set_num_threads(n)
    # numpy's BLAS too: its idle threads spin after every small product (a question's scores over
    # the library, the refusal gate's), and on 2 cores they took the core another request needed:
    # 35 ms of CPU per /api/ask on the library instead of 16, 4 clients 2.3× one instead of 2.6×.
    threadpool_limits(n or None, user_api="blas")


def index_kind(index: faiss.Index) -> str:
    return "hnsw" if isinstance(index, faiss.IndexHNSWFlat) else "flat"


def search(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(scores, ids) of the ``k`` nearest chunks for each query row; ids −1 pad short results."""
    k = max(1, min(k, index.ntotal))
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), k)


def save(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load(path: Path) -> faiss.Index:
    index = faiss.read_index(str(path))
    if isinstance(index, faiss.IndexHNSWFlat):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    return index
