"""Scale run for the Milvus store beside FAISS: the synthetic passages of eval/scale.py in both.

``python -m eval.milvus_scale --passages 100000`` prints one JSON report: for FAISS (exact
and HNSW, in-process) and for Milvus Lite 2.5 served over TCP (FLAT, exact; IVF_FLAT), the
build (insert) rate, search p50/p95 at k = 10 one query per call as a worker sends them,
recall@10 against exact search, and resident memory of the Milvus server process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from pymilvus import DataType, MilvusClient

from eval import scale
from eval.launcher import free_port
from eval.milvus_lite import LiteServer
from eval.retrieval import QUESTIONS, load_questions
from rag.pipeline import load_chunks
from rag.retrieval import dense
from rag.retrieval.query import normalise_query

BATCH = 5000
INDEXES = {"FLAT": {}, "IVF_FLAT": {"nlist": 1024}}
SEARCH = {"FLAT": {}, "IVF_FLAT": {"nprobe": 32}}


def synthetic_vectors(passages: int, seed: int = 7, sample: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """The synthetic passage vectors of the bench's scale run, and the dev questions' real vectors."""
    from rag.encoder.embedding import load_embedder
    from rag.settings import get_settings

    settings = get_settings()
    embedder = load_embedder(settings.embed_model, settings.home_dir, backend=settings.backend)
    pool = scale.clause_pool([c.text for c in load_chunks(settings.corpus_dir)[0]])
    clause_vectors = embedder.encode_passages(pool)
    corpus = scale.synthetic_corpus(pool, passages, seed)
    real = embedder.encode_passages(corpus.texts[:sample])
    noise = scale.calibrate_noise(corpus.sources[:sample], real, clause_vectors, seed)
    queries = embedder.encode_queries([normalise_query(q.question) for q in load_questions(QUESTIONS)])
    return scale.derived_vectors(corpus.sources, clause_vectors, noise, seed), queries


def milvus_run(client: MilvusClient, kind: str, vectors: np.ndarray, queries: np.ndarray,
               truth: np.ndarray) -> dict:
    """Insert ``vectors`` into a new collection indexed by ``kind``, then time single-query searches."""
    name = f"scale_{kind.lower()}"
    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("pid", DataType.INT64, is_primary=True)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=vectors.shape[1])
    index = client.prepare_index_params()
    index.add_index("dense", index_type=kind, metric_type="IP", params=INDEXES[kind])
    client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")
    start = time.perf_counter()
    for lo in range(0, len(vectors), BATCH):
        client.insert(name, [{"pid": i, "dense": vectors[i]} for i in range(lo, min(len(vectors), lo + BATCH))])
    client.flush(name)
    client.load_collection(name)
    build_s = time.perf_counter() - start
    params = {"metric_type": "IP", "params": SEARCH[kind]}
    client.search(name, [queries[0]], anns_field="dense", limit=scale.K, search_params=params)
    timings, found = [], []
    for q in queries:
        t = time.perf_counter()
        hits = client.search(name, [q], anns_field="dense", limit=scale.K, search_params=params)[0]
        timings.append((time.perf_counter() - t) * 1000)
        found.append([h["id"] for h in hits])
    return {"kind": f"milvus-{kind.lower()}", "build_s": round(build_s, 1),
            "insert_rows_per_s": round(len(vectors) / build_s), "p50_ms": round(statistics.median(timings), 2),
            "p95_ms": round(float(np.percentile(timings, 95)), 2),
            "recall_at_10": round(scale.recall(np.asarray(found), truth), 4)}


def run(passages: int, kinds: tuple[str, ...] = tuple(INDEXES)) -> dict:
    vectors, queries = synthetic_vectors(passages)
    threads = os.cpu_count() or 1
    runs, _ = scale.compare(vectors, queries, 512, threads, 1)
    truth = dense.search(dense.build_index(vectors, hnsw_threshold=len(vectors)), queries, scale.K)[1]
    report = {"passages": passages, "dimension": int(vectors.shape[1]), "queries": len(queries),
              "faiss": [r.to_dict() for r in runs], "milvus": []}
    with tempfile.TemporaryDirectory() as tmp, LiteServer(Path(tmp) / "scale.db", free_port()).start() as server:
        client = MilvusClient(uri=server.uri)
        idle = server.rss_kib()
        for kind in kinds:
            report["milvus"].append({**milvus_run(client, kind, vectors, queries, truth),
                                     "server_rss_mib": round(server.rss_kib() / 1024)})
            client.release_collection(f"scale_{kind.lower()}")
        report["milvus_server_idle_rss_mib"] = round(idle / 1024)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--index", choices=list(INDEXES), action="append",
                        help="Milvus index type(s) to run (default: all); at 1M rows each takes about an hour")
    args = parser.parse_args()
    print(json.dumps(run(args.passages, tuple(args.index or INDEXES)), indent=2))


if __name__ == "__main__":
    main()
