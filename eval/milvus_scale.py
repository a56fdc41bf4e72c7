"""Scale run for the Milvus store beside FAISS: the synthetic passages of eval/scale.py in both.

``python -m eval.milvus_scale --passages 100000`` prints one JSON report: for FAISS (exact
and HNSW, in-process) and for Milvus Lite 2.5 served over TCP (FLAT, exact; IVF_FLAT), the
build rate, search p50/p95 at k = 10 one query per call as a worker sends them, recall@10
against exact search, resident memory of the Milvus server process, and what the FAISS HNSW
index adds to a worker (a fresh process reading the index file, RSS before and after).

The Milvus collection has the columns of a generation in ``rag/retrieval/milvus.py`` (pid,
document_id, dense, sparse BM25 weights). The sparse weights are BM25 (k1 1.2, b 0.75, as
``BM25Index``) over each passage's tokens, taken as the project tokenizer's tokens of the
clauses it was made from (before region and number substitution), so jieba runs once per clause.

The rows are inserted once; each index type is then created, loaded, searched, released and
dropped in turn on that same collection. Lite 2.5's insert cost per row grows with the rows
per call, not with the collection (5,000-row calls ran at about 350 rows/s, 500-row calls at
6,000-7,000 through a 1M insert; README), so ``--batch`` defaults to 500.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from pymilvus import MilvusClient
from scipy import sparse as sp

from eval import scale
from eval.launcher import free_port
from eval.milvus_lite import LiteServer
from eval.retrieval import QUESTIONS, load_questions
from rag.pipeline import load_chunks
from rag.retrieval import dense
from rag.retrieval.lexical import ChineseTokenizer
from rag.retrieval.milvus import passage_schema
from rag.retrieval.query import normalise_query

BATCH = 500
INDEXES = {"FLAT": {}, "IVF_FLAT": {"nlist": 1024}}
SEARCH = {"FLAT": {}, "IVF_FLAT": {"nprobe": 32}}
COLLECTION = "scale"
PASSAGES_PER_DOCUMENT = 1000  # synthetic document_id: one per 1,000 passages


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def synthetic_vectors(passages: int, seed: int = 7, sample: int = 64) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
    """The bench's derived passage vectors, the dev questions' real vectors, and the passages' BM25 weights."""
    from rag.encoder.embedding import load_embedder
    from rag.settings import get_settings

    settings = get_settings()
    embedder = load_embedder(settings.embed_model, settings.home_dir, backend=settings.backend)
    pool = scale.clause_pool([c.text for c in load_chunks(settings.corpus_dir)[0]])
    clause_vectors = embedder.encode_passages(pool)
    queries = embedder.encode_queries([normalise_query(q.question) for q in load_questions(QUESTIONS)])
    corpus = scale.synthetic_corpus(pool, passages, seed)
    real = embedder.encode_passages(["".join(p) for p in corpus.parts[:sample]])
    sources = corpus.sources
    del corpus, embedder  # the texts (≈ 1 GiB at 1M) are not needed past the calibration sample
    noise = scale.calibrate_noise(sources[:sample], real, clause_vectors, seed)
    vectors = scale.derived_vectors(sources, clause_vectors, noise, seed)
    return vectors, queries, bm25_weights(sources, pool, ChineseTokenizer())


def bm25_weights(sources: np.ndarray, pool: list[str], tokenizer: ChineseTokenizer,
                 k1: float = 1.2, b: float = 0.75) -> sp.csr_matrix:
    """BM25 weight of each token (column) in each passage (row); a passage's tokens are its clauses' tokens."""
    vocabulary: dict[str, int] = {}
    rows, columns = [], []
    for clause, text in enumerate(pool):
        for token in tokenizer.tokenize(text):
            rows.append(clause)
            columns.append(vocabulary.setdefault(token, len(vocabulary)))
    clause_counts = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns)),
                                  shape=(len(pool), len(vocabulary)))
    n = len(sources)
    picked = sources >= 0
    made_of = sp.csr_matrix((np.ones(int(picked.sum()), dtype=np.float32),
                             (np.nonzero(picked)[0], sources[picked])), shape=(n, len(pool)))
    tf = (made_of @ clause_counts).tocsr()
    length = np.asarray(tf.sum(axis=1)).ravel()
    df = np.bincount(tf.indices, minlength=len(vocabulary))
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    norm = (k1 * (1 - b + b * length / length.mean())).astype(np.float32)
    row_norm = np.repeat(norm, np.diff(tf.indptr))
    tf.data = idf[tf.indices] * tf.data / (tf.data + row_norm)
    return tf


def index_rss_mib(index_path: Path) -> dict:
    """RSS of a fresh Python process before and after ``faiss.read_index``: what the index adds to a worker."""
    code = ("import sys, faiss\n"
            "def rss():\n"
            "    return next(int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmRSS:'))\n"
            "before = rss(); index = faiss.read_index(sys.argv[1]); print(before, rss())\n")
    before, after = map(int, subprocess.run([sys.executable, "-c", code, str(index_path)], check=True,
                                            capture_output=True, text=True).stdout.split())
    return {"process_before_mib": round(before / 1024), "process_after_mib": round(after / 1024),
            "index_rss_mib": round((after - before) / 1024), "file_mib": round(index_path.stat().st_size / 2**20)}


def create_collection(client: MilvusClient, dimension: int) -> None:
    """A generation's columns (rag/retrieval/milvus.py), with the sparse index and no dense index yet."""
    if client.has_collection(COLLECTION):
        client.drop_collection(COLLECTION)
    client.create_collection(COLLECTION, schema=passage_schema(dimension), consistency_level="Strong")
    index = client.prepare_index_params()
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP", index_name="sparse")
    client.create_index(COLLECTION, index)


def insert(client: MilvusClient, vectors: np.ndarray, weights: sp.csr_matrix, batch: int) -> dict:
    """All rows, ``batch`` per call, then a flush; the rate over each tenth of the rows as well as overall."""
    start = last = time.perf_counter()
    windows, done_at = [], 0
    step = max(batch, len(vectors) // 10)
    for lo in range(0, len(vectors), batch):
        hi = min(len(vectors), lo + batch)
        rows = []
        for i in range(lo, hi):
            s, e = weights.indptr[i], weights.indptr[i + 1]
            rows.append({"pid": i, "document_id": f"synthetic-{i // PASSAGES_PER_DOCUMENT:05d}",
                         "dense": vectors[i], "sparse": dict(zip(weights.indices[s:e].tolist(),
                                                                 weights.data[s:e].tolist()))})
        client.insert(COLLECTION, rows)
        if hi - done_at >= step or hi == len(vectors):
            now = time.perf_counter()
            windows.append({"rows": hi, "rows_per_s": round((hi - done_at) / (now - last))})
            log(f"  inserted {hi:,} rows, {windows[-1]['rows_per_s']:,} rows/s")
            last, done_at = now, hi
    client.flush(COLLECTION)
    seconds = time.perf_counter() - start
    return {"batch": batch, "insert_s": round(seconds, 1), "rows_per_s": round(len(vectors) / seconds),
            "rows_per_s_by_tenth": windows}


def measure_index(client: MilvusClient, kind: str, queries: np.ndarray, truth: np.ndarray) -> dict:
    """Create the dense index ``kind``, load and time single-query searches; the caller releases and drops it."""
    index = client.prepare_index_params()
    index.add_index("dense", index_type=kind, metric_type="IP", params=INDEXES[kind], index_name="dense")
    start = time.perf_counter()
    client.create_index(COLLECTION, index)
    client.load_collection(COLLECTION)
    index_s = time.perf_counter() - start
    params = {"metric_type": "IP", "params": SEARCH[kind]}
    client.search(COLLECTION, [queries[0]], anns_field="dense", limit=scale.K, search_params=params)
    timings, found = [], []
    for q in queries:
        t = time.perf_counter()
        hits = client.search(COLLECTION, [q], anns_field="dense", limit=scale.K, search_params=params)[0]
        timings.append((time.perf_counter() - t) * 1000)
        found.append([h["id"] for h in hits])
    return {"kind": f"milvus-{kind.lower()}", "index_and_load_s": round(index_s, 1),
            "p50_ms": round(statistics.median(timings), 2), "p95_ms": round(float(np.percentile(timings, 95)), 2),
            "recall_at_10": round(scale.recall(np.asarray(found), truth), 4)}


def run(passages: int, kinds: tuple[str, ...] = tuple(INDEXES), batch: int = BATCH) -> dict:
    log(f"synthetic vectors and BM25 weights for {passages:,} passages …")
    vectors, queries, weights = synthetic_vectors(passages)
    report = {"passages": passages, "dimension": int(vectors.shape[1]), "queries": len(queries),
              "bm25_nonzeros_per_passage": round(weights.nnz / passages, 1),
              "bm25_matrix_mib": round((weights.data.nbytes + weights.indices.nbytes) / 2**20)}
    log("FAISS exact and HNSW …")
    runs, hnsw = scale.compare(vectors, queries, 512, os.cpu_count() or 1, 1)
    report["faiss"] = [r.to_dict() for r in runs]
    log(f"  {json.dumps(report['faiss'])}")
    with tempfile.TemporaryDirectory(prefix="milvus-scale-") as tmp:
        dense.save(hnsw, Path(tmp) / "hnsw.faiss")
        del hnsw
        gc.collect()
        report["faiss_hnsw_worker"] = index_rss_mib(Path(tmp) / "hnsw.faiss")
        log(f"  {json.dumps(report['faiss_hnsw_worker'])}")
    truth = dense.search(dense.build_index(vectors, hnsw_threshold=len(vectors)), queries, scale.K)[1]
    gc.collect()
    with tempfile.TemporaryDirectory(prefix="milvus-scale-") as tmp, \
            LiteServer(Path(tmp) / "scale.db", free_port()).start() as server:
        client = MilvusClient(uri=server.uri)
        report["milvus_server_idle_rss_mib"] = round(server.rss_kib() / 1024)
        create_collection(client, vectors.shape[1])
        log(f"Milvus Lite insert, {batch} rows a call …")
        report["milvus_insert"] = {**insert(client, vectors, weights, batch),
                                   "server_rss_mib": round(server.rss_kib() / 1024)}
        del vectors, weights  # the server has them now; only the queries and the exact top 10 are needed
        gc.collect()
        report["milvus"] = []
        for kind in kinds:
            log(f"Milvus Lite {kind} …")
            report["milvus"].append({**measure_index(client, kind, queries, truth),
                                     "server_rss_mib": round(server.rss_kib() / 1024)})
            log(f"  {json.dumps(report['milvus'][-1])}")
            client.release_collection(COLLECTION)
            client.drop_index(COLLECTION, "dense")
        report["milvus_db_mib"] = round(sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file()) / 2**20)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--index", choices=list(INDEXES), action="append",
                        help="Milvus index type(s) to measure on the one collection (default: all)")
    parser.add_argument("--batch", type=int, default=BATCH, help=f"rows per Milvus insert call (default {BATCH})")
    args = parser.parse_args()
    print(json.dumps(run(args.passages, tuple(args.index or INDEXES), args.batch), indent=2))


if __name__ == "__main__":
    main()
