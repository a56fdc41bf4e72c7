"""``policy-qa bench``: the service's performance figures, all from one run.

The machine is shared and noisy, so the figures that are compared are measured side by
side: the bare encoding of a question is timed in this process right before the server
answers the same question over HTTP, question after question.

1. bare query encoding (the floor of any query) and an in-process breakdown of /api/ask;
2. warm latency of POST /api/search and /api/ask, one client, cache misses and cache hits;
3. throughput with 1, 4 and 16 concurrent clients, every request a question never seen;
4. index build rate against the bare encoder, and the server's resident memory;
5. exact FAISS against HNSW on a synthetic 100k-chunk corpus (see eval/scale.py).
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import numpy as np

from eval import backends, launcher, load, scale
from eval.retrieval import QUESTIONS, load_questions
from rag.assistant import Assistant
from rag.pipeline import Pipeline, PipelineConfig, load_chunks
from rag.retrieval import dense
from rag.retrieval.hybrid import Retriever
from rag.retrieval.index import CANDIDATES
from rag.retrieval.query import normalise_query
from rag.retrieval.store import passages
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.retrieval.milvus import MilvusConfig

ASK_RATIO_TARGET = 1.5
SCALING_TARGET = 1.6
RECALL_TARGET = 0.98
HNSW_LATENCY_TARGET_MS = 5.0
# issue 15, on the configured backend against torch, measured in the same run
ASK_OVER_TORCH_TARGET = 0.7
BUILD_OVER_TORCH_TARGET = 3.0


class BenchError(RuntimeError):
    """The service misbehaved during the benchmark (a failed request outside the load test)."""


@dataclass(frozen=True)
class BenchConfig:
    quick: bool = False
    workers: int = 1
    threads: int = 1
    questions: int = 0  # dev questions used for latency (0 = all)
    load_seconds: float = 10.0  # per concurrency level
    clients: tuple[int, ...] = (1, 4, 16)
    build_repeats: int = 3
    scale_chunks: int = 100_000
    calibration_sample: int = 256  # synthetic chunks embedded for real to calibrate the noise
    seed: int = 7
    store: str = "faiss"  # milvus: the index goes to a Milvus Lite TCP server the bench starts

    @classmethod
    def for_run(cls, quick: bool, workers: int, threads: int, store: str = "faiss") -> BenchConfig:
        if quick:  # a smoke run: every stage, small sizes, well under a minute
            return cls(True, workers, threads, questions=8, load_seconds=1.5, build_repeats=1,
                       scale_chunks=3000, calibration_sample=32, store=store)
        return cls(False, workers, threads, store=store)


def ms(seconds: float) -> float:
    return seconds * 1000


def summary(values: Sequence[float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in load.percentiles(values).items()}


def timed(fn: Callable[..., object], *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return ms(time.perf_counter() - start)


def run(settings: Settings, config: BenchConfig, log: Callable[[str], None] = print,
        question_file: Path | None = None) -> dict:
    """Every section of the benchmark; returns the JSON-ready report."""
    questions = [q.question for q in load_questions(question_file or QUESTIONS)]
    timed_questions = questions[:config.questions] if config.questions else questions
    report: dict = {"config": asdict(config), "machine": _machine(settings, config)}
    with tempfile.TemporaryDirectory(prefix="pqa-bench-") as tmp, _milvus(config, Path(tmp)) as milvus:
        index_dir = Path(tmp) / "index"
        # torch in this process, the reference floor; the server runs the configured backend
        pipeline = Pipeline(PipelineConfig(settings.corpus_dir, index_dir, settings.home_dir, settings.embed_model,
                                           settings.query_prompt, settings.passage_prompt,
                                           cache_size=settings.cache_size, threads=config.threads, backend="torch",
                                           milvus=milvus))
        log("index build …")
        report["build"] = _build(pipeline, config.build_repeats)
        pipeline.load()
        log("in-process breakdown …")
        report["breakdown_ms"] = _breakdown(pipeline, settings, timed_questions)
        log(f"starting policy-qa serve ({config.workers} worker(s), {config.threads} thread(s) per request) …")
        started = time.perf_counter()
        with launcher.start(_server_env(settings, config, index_dir, milvus), workers=config.workers) as server:
            report["server"] = {"start_s": round(time.perf_counter() - started, 2)}
            headers = {"Authorization": f"Bearer {settings.api_key_list[0]}"} if settings.api_key_list else {}
            log("latency, one client …")
            report["latency"], used = _latency(server.url, headers, pipeline, timed_questions)
            fresh = (q for q in load.variants(questions) if q not in used)
            report["throughput"] = []
            for clients in config.clients:
                log(f"throughput, {clients} client(s) …")
                report["throughput"].append(_throughput(server, headers, fresh, clients, config.load_seconds))
            memory = server.memory()
            report["server"]["memory_mib"] = {str(pid): {k: round(kib / 1024, 1) for k, kib in m.items()}
                                              for pid, m in memory.items()}
            report["server"]["rss_total_mib"] = round(sum(m.get("VmRSS", 0) for m in memory.values()) / 1024, 1)
            report["server"]["exit_code"] = server.stop()
    log(f"scale, {config.scale_chunks:,} synthetic chunks …")
    report["scale"] = _scale(pipeline, questions, config, log)
    log("embedding backends …")
    report["backends"] = _backends(settings, config, pipeline, timed_questions, log)
    report["machine"]["load_average_end"] = _load_average()
    report["targets"] = _targets(report)
    return report


def _machine(settings: Settings, config: BenchConfig) -> dict:
    import faiss
    import torch

    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "torch": torch.__version__, "faiss": faiss.__version__, "model": settings.embed_model,
            "threads": config.threads, "workers": config.workers,
            "llm": bool(settings.llm_base_url), "load_average_start": _load_average()}


def _load_average() -> float:
    """The 1-minute load average: above the CPU count, other processes took part of the run's CPU."""
    return round(os.getloadavg()[0], 2)


@contextmanager
def _milvus(config: BenchConfig, folder: Path) -> Iterator[MilvusConfig | None]:
    """With ``store=milvus``, a Lite TCP server that this process and the server's workers share."""
    if config.store != "milvus":
        yield None
        return
    from eval.milvus_lite import LiteServer
    from rag.retrieval.milvus import MilvusConfig

    with LiteServer(folder / "bench.db", launcher.free_port()).start() as lite:
        yield MilvusConfig(lite.uri)


def _server_env(settings: Settings, config: BenchConfig, index_dir: Path,
                milvus: MilvusConfig | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if milvus is not None:
        env.update({"POLICY_QA_STORE": "milvus", "POLICY_QA_MILVUS_URI": milvus.uri})
    env.update({
        "POLICY_QA_INDEX_DIR": str(index_dir),
        "POLICY_QA_CORPUS_DIR": str(settings.corpus_dir),
        "POLICY_QA_HOME": str(settings.home_dir),
        "POLICY_QA_EMBED_MODEL": settings.embed_model,
        "POLICY_QA_THREADS": str(config.threads),
        "POLICY_QA_BACKEND": settings.backend,
        "POLICY_QA_PRECISION": settings.precision or "",  # empty: the backend's default
        "POLICY_QA_RATE_LIMIT": "0",  # the load test is not abuse
        "HF_HUB_OFFLINE": "1",
    })
    return env


def _build(pipeline: Pipeline, repeats: int) -> dict:
    """``Pipeline.build`` (parse, chunk, embed, BM25, write) against the bare encoder on the same passages."""
    chunks = load_chunks(pipeline.config.corpus_dir)[0]
    texts = passages(chunks).dense_texts
    pipeline.embedder.encode_passages(texts[:8])  # warm
    build_s = statistics.median(timed(lambda: pipeline.build(reuse=False)) / 1000 for _ in range(repeats))
    encode_s = statistics.median(timed(pipeline.embedder.encode_passages, texts) / 1000 for _ in range(repeats))
    return {"chunks": len(chunks), "passages": len(texts), "build_s": round(build_s, 3),
            "build_chunks_per_s": round(len(chunks) / build_s, 2),
            "build_passages_per_s": round(len(texts) / build_s, 2),
            "encoder_passages_per_s": round(len(texts) / encode_s, 2),
            "encoding_share": round(encode_s / build_s, 3)}


def _breakdown(pipeline: Pipeline, settings: Settings, questions: Sequence[str]) -> dict:
    """Where an /api/ask goes, in-process: encoding, then everything after it, stage by stage."""
    retriever: Retriever = pipeline.live()
    no_cache = Assistant(pipeline, refusal_shift=settings.refusal_shift, cache_size=0)
    stages: dict[str, list[float]] = {"encode": [], "prepare": [], "score": [], "rank": [], "ask_after_encode": []}
    for q in [*questions[:3], *questions]:  # the first three warm up and are dropped below
        text = normalise_query(q)
        stages["encode"].append(timed(pipeline.embedder.encode_queries, [text]))
        pipeline.query(q)  # caches the embedding, so the next calls time everything but encoding
        vector = pipeline.vectors.get(text)
        stages["prepare"].append(timed(retriever.prepare, q, vector))
        prepared = retriever.prepare(q, vector)
        stages["score"].append(timed(retriever.score, prepared))
        scored = retriever.score(prepared)
        stages["rank"].append(timed(retriever.rank, scored, 5, "hybrid"))
        stages["ask_after_encode"].append(timed(no_cache.ask, q))
    return {name: summary(values[3:]) for name, values in stages.items()}


def _latency(url: str, headers: dict[str, str], pipeline: Pipeline,
             questions: Sequence[str]) -> tuple[dict, set[str]]:
    """One client, warm: bare encoding, then the same question over HTTP, question by question."""
    # "请问" makes the search questions distinct from the asked ones, so neither hits the other's cache.
    searched = [f"{load.OPENERS[1]}{q}" for q in questions]
    warmups = [f"{load.OPENERS[2]}{q}" for q in questions[:3]]
    samples: dict[str, list[float]] = {k: [] for k in ("encode_ask", "encode_search", "ask", "ask_server", "search",
                                                       "ask_hit", "search_hit")}
    encode = pipeline.embedder.encode_queries
    with httpx.Client(headers=headers, timeout=60) as client:
        def post(path: str, body: dict, expect: str) -> tuple[float, dict]:
            start = time.perf_counter()
            response = client.post(f"{url}{path}", json=body)
            elapsed = ms(time.perf_counter() - start)
            problem = load.check(response, expect)
            if problem:
                raise BenchError(f"POST {path} {body}: {problem}")
            return elapsed, response.json()

        for q in warmups:
            encode([normalise_query(q)])
            post("/api/ask", {"question": q}, "answer")
            post("/api/search", {"query": q}, "results")
        for q, s in zip(questions, searched):
            samples["encode_ask"].append(timed(encode, [normalise_query(q)]))
            elapsed, body = post("/api/ask", {"question": q}, "answer")
            samples["ask"].append(elapsed)
            samples["ask_server"].append(float(body["latency_ms"]))
            samples["encode_search"].append(timed(encode, [normalise_query(s)]))
            samples["search"].append(post("/api/search", {"query": s}, "results")[0])
        for q, s in zip(questions, searched):
            samples["ask_hit"].append(post("/api/ask", {"question": q}, "answer")[0])
            samples["search_hit"].append(post("/api/search", {"query": s}, "results")[0])
    out = {name: summary(values) for name, values in samples.items()}
    out["ask_ratio"] = round(out["ask"]["p50"] / out["encode_ask"]["p50"], 3)
    out["search_ratio"] = round(out["search"]["p50"] / out["encode_search"]["p50"], 3)
    out["questions"] = len(questions)
    return out, {*questions, *searched, *warmups}


def _throughput(server: launcher.ServerProcess, headers: dict[str, str], questions: Iterator[str], clients: int,
                seconds: float) -> dict:
    cpu = server.cpu_seconds()
    result = load.run(f"{server.url}/api/ask", "question", "answer", questions, clients, seconds, headers)
    cpu = server.cpu_seconds() - cpu
    # Cores the server kept busy: on a shared machine, what it was given rather than what it could use.
    return {**result.to_dict(), "server_cpu_s": round(cpu, 2), "server_cores_busy": round(cpu / result.seconds, 2),
            "server_cpu_ms_per_request": round(1000 * cpu / max(1, result.requests), 1)}


def _scale(pipeline: Pipeline, questions: Sequence[str], config: BenchConfig, log: Callable[[str], None]) -> dict:
    embedder = pipeline.embedder
    chunks = load_chunks(pipeline.config.corpus_dir)[0]
    pool = scale.clause_pool([c.text for c in chunks])
    clause_vectors = embedder.encode_passages(pool)
    corpus = scale.synthetic_corpus(pool, config.scale_chunks, config.seed)
    sample = corpus.texts[:config.calibration_sample]
    start = time.perf_counter()
    real = embedder.encode_passages(sample)
    per_text_s = (time.perf_counter() - start) / len(sample)
    noise = scale.calibrate_noise(corpus.sources[:len(sample)], real, clause_vectors, config.seed)
    derived_sample = scale.derived_vectors(corpus.sources[:len(sample)], clause_vectors, noise, config.seed)
    vectors = scale.derived_vectors(corpus.sources, clause_vectors, noise, config.seed)
    query_vectors = embedder.encode_queries([normalise_query(q) for q in questions])
    log("  exact and HNSW indexes …")
    build_threads = os.cpu_count() or 1
    runs, hnsw = scale.compare(vectors, query_vectors, CANDIDATES, build_threads, config.threads or build_threads)
    sizes = sorted({min(n, len(vectors)) for n in (10_000, 25_000, 50_000, len(vectors))})
    by_size = scale.exact_latency_by_size(vectors, query_vectors, sizes)
    log("  hybrid retrieval over the synthetic index …")
    retriever = Retriever(scale.synthetic_index(corpus, hnsw, pipeline.tokenizer), embedder, pipeline.tokenizer,
                          pipeline.synonyms, pipeline.config.fusion)
    queries = [retriever.prepare(q, v) for q, v in zip(questions, query_vectors)]
    hybrid = summary(scale.retrieval_latency(retriever, queries))
    return {
        "chunks": config.scale_chunks, "dimension": int(vectors.shape[1]), "clauses": len(pool),
        "mean_chars": round(float(np.mean([len(t) for t in corpus.texts[:1000]])), 1),
        "queries": len(questions),
        "vectors": {"noise": round(noise, 4), "calibration_sample": len(sample),
                    "neighbour_similarity_real": round(scale.neighbour_similarity(real), 4),
                    "neighbour_similarity_derived": round(scale.neighbour_similarity(derived_sample), 4),
                    "cosine_derived_vs_real": round(float(np.mean(np.sum(derived_sample * real, axis=1))), 4),
                    "real_embedding_s_per_chunk": round(per_text_s, 4),
                    "real_embedding_estimate_h": round(per_text_s * config.scale_chunks / 3600, 2)},
        "indexes": [r.to_dict() for r in runs],
        "exact_by_size": by_size,
        "hybrid_search_ms": hybrid,
        "build_threads": build_threads,
        "hnsw_params": {"M": dense.HNSW_M, "efConstruction": dense.HNSW_EF_CONSTRUCTION,
                        "efSearch": dense.HNSW_EF_SEARCH},
    }


def _targets(report: dict) -> dict:
    levels = {t["clients"]: t for t in report["throughput"]}
    hnsw = next(r for r in report["scale"]["indexes"] if r["kind"] == "hnsw")
    checks = {
        "ask_p50_over_encode_p50": (report["latency"]["ask_ratio"], "<=", ASK_RATIO_TARGET),
        "throughput_4_over_1": (round(levels[4]["throughput_rps"] / levels[1]["throughput_rps"], 3)
                                if 4 in levels and 1 in levels else None, ">=", SCALING_TARGET),
        "load_errors": (sum(t["errors"] for t in report["throughput"]), "<=", 0),
        "hnsw_recall_at_10": (hnsw["recall_at_10"], ">=", RECALL_TARGET),
        "hnsw_query_p50_ms": (hnsw["p50_ms"], "<", HNSW_LATENCY_TARGET_MS),
        **_backend_targets(report["backends"]),
    }
    compare = {"<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b,
               "==": lambda a, b: a == b}
    return {name: {"value": value, "target": f"{op} {bound}", "met": value is not None and compare[op](value, bound)}
            for name, (value, op, bound) in checks.items()}


def render(report: dict) -> str:
    """The report as Markdown tables (the README's Performance section uses the same layout)."""
    m, lat, build, sc = report["machine"], report["latency"], report["build"], report["scale"]
    lines = [f"policy-qa bench: {m['cpus']} CPUs, {m['workers']} worker(s), "
             f"{m['threads']} compute thread(s) per request, model {m['model']}, "
             f"store {report['config'].get('store', 'faiss')}, corpus {build['chunks']} chunks / {build['passages']} passages, "
             f"1-min load average {m['load_average_start']} at start, {m['load_average_end']} at end", "",
             f"### Latency, one client, warm ({lat['questions']} dev questions, ms)", "",
             "| measure | p50 | p95 | p99 |", "|---|---|---|---|"]
    rows = [("bare query encoding (`encode_queries`, the asked questions)", lat["encode_ask"]),
            ("POST /api/ask, cache miss", lat["ask"]),
            ("  of which inside the server (`latency_ms`)", lat["ask_server"]),
            ("POST /api/search, cache miss", lat["search"]),
            ("POST /api/ask, answer-cache hit (same question again)", lat["ask_hit"]),
            ("POST /api/search, embedding-cache hit", lat["search_hit"])]
    lines += [f"| {name} | {s['p50']:.2f} | {s['p95']:.2f} | {s['p99']:.2f} |" for name, s in rows]
    lines += ["", f"/api/ask p50 ÷ bare encoding p50 = **{lat['ask_ratio']:.2f}** "
                  f"(/api/search: {lat['search_ratio']:.2f})", "",
              "In-process breakdown of one ask (p50 ms): " + ", ".join(
                  f"{name} {s['p50']:.2f}" for name, s in report["breakdown_ms"].items()), "",
              "### Throughput, POST /api/ask, every question new", "",
              "| clients | requests/s | × 1 client | requests | errors | p50 ms | p95 ms | p99 ms | "
              "server cores busy | server CPU ms/request | load generator CPU s |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    base = report["throughput"][0]["throughput_rps"] or float("nan")
    for t in report["throughput"]:
        q = t["latency_ms"]
        lines.append(f"| {t['clients']} | {t['throughput_rps']:.1f} | {t['throughput_rps'] / base:.2f} | "
                     f"{t['requests']} | {t['errors']} | {q['p50']:.1f} | {q['p95']:.1f} | {q['p99']:.1f} | "
                     f"{t['server_cores_busy']:.2f} | {t['server_cpu_ms_per_request']:.1f} | {t['client_cpu_s']:.1f} |")
    server = report["server"]
    processes = ", ".join(f"{m.get('VmRSS', 0):.0f} / {m.get('RssAnon', 0):.0f}" for m in server["memory_mib"].values())
    lines += ["", "### Index build and memory", "",
              f"- `Pipeline.build` on torch: {build['build_s']:.2f} s = {build['build_chunks_per_s']:.1f} chunks/s, "
              f"{build['build_passages_per_s']:.1f} passages/s; bare encoder {build['encoder_passages_per_s']:.1f} "
              f"passages/s (encoding is {build['encoding_share']:.0%} of the build)",
              f"- server resident memory after the load test: {server['rss_total_mib']:.0f} MiB; per process, "
              f"VmRSS / RssAnon (private): {processes} MiB; "
              f"ready {server['start_s']:.1f} s after start; SIGTERM exit code {server['exit_code']}",
              "", f"### Scale: {sc['chunks']:,} synthetic chunks, dimension {sc['dimension']}, "
                  f"{sc['queries']} real question embeddings, k = 10", "",
              "| index | build s | size MiB | query p50 ms | query p95 ms | recall@10 | "
              f"p50 ms at k = {CANDIDATES} |", "|---|---|---|---|---|---|---|"]
    for r in sc["indexes"]:
        lines.append(f"| {r['kind']} | {r['build_s']:.1f} | {r['index_bytes'] / 2 ** 20:.1f} | {r['p50_ms']:.3f} | "
                     f"{r['p95_ms']:.3f} | {r['recall_at_10']:.4f} | {r['candidates_p50_ms']:.3f} |")
    v, h = sc["vectors"], sc["hybrid_search_ms"]
    lines += ["", "Exact search by size (passages: p50 / p95 ms): " + ", ".join(
        f"{s['passages']:,}: {s['p50_ms']:.2f} / {s['p95_ms']:.2f}" for s in sc["exact_by_size"]) +
        f"; `rag/dense.py` switches to HNSW above {dense.HNSW_THRESHOLD:,} passages."]
    lines += ["", f"Hybrid search (HNSW + BM25 + fusion, question already encoded) over the synthetic index: "
                  f"p50 {h['p50']:.2f} ms, p95 {h['p95']:.2f} ms.",
              f"Vectors are derived, not embedded: mixtures of the real embeddings of {sc['clauses']} clauses + noise "
              f"{v['noise']:.3f}, calibrated on {v['calibration_sample']} chunks embedded for real (neighbour "
              f"similarity {v['neighbour_similarity_real']:.3f} real vs {v['neighbour_similarity_derived']:.3f} "
              f"derived); embedding all {sc['chunks']:,} for real would take ≈ {v['real_embedding_estimate_h']:.1f} h.",
              "", "### Targets", "", "| target | value | required | met |", "|---|---|---|---|"]
    lines += [f"| {name} | {t['value']} | {t['target']} | {'yes' if t['met'] else '**no**'} |"
              for name, t in report["targets"].items()]
    return "\n".join(lines[:lines.index("### Targets") - 1] + _render_backends(report["backends"])
                     + lines[lines.index("### Targets") - 1:])


def _backends(settings: Settings, config: BenchConfig, pipeline: Pipeline, questions: Sequence[str],
              log: Callable[[str], None]) -> dict:
    """Each backend in a fresh process, then /api/ask on a server of each, against torch's bare encoding."""
    from rag.encoder.embedding import PRECISIONS, build_runtime

    default = (settings.backend, settings.precision or PRECISIONS[settings.backend][0])
    build_backend, build_precision = build_runtime(settings.backend, settings.precision, settings.build_backend,
                                                   settings.build_precision)
    build = (build_backend, build_precision or PRECISIONS[build_backend][0])
    variants = list(backends.VARIANTS) if not config.quick else [("torch", "fp32")]
    variants = sorted(set(variants) | {default, build}, key=lambda v: (v != ("torch", "fp32"), v != default))
    texts = passages(load_chunks(settings.corpus_dir)[0]).dense_texts
    rows = backends.measure_all(settings.embed_model, settings.home_dir, config.threads, questions, texts,
                                variants, log)
    env = _server_env(settings, config, Path("unused"))
    for row in rows:
        log(f"  /api/ask on a {row['backend']} {row['precision']} server …")
        row.update(backends.server_latency(env, row["backend"], row["precision"],
                                           pipeline.embedder.encode_queries, questions))
    return building_runtime({"default": list(default), "build": list(build), "rows": rows},
                            # the settings', not this torch pipeline's: it is built here with no build runtime
                            operator_chose=not PipelineConfig.from_settings(settings).build_fallback)


def building_runtime(table: dict, operator_chose: bool) -> dict:
    """``table`` with "build" the runtime that builds on this CPU, as Pipeline.build_embedder decides.

    The default build runtime whose fingerprint leaves the question runtime's gives way to it, so the targets
    judge the runtime that really builds here; "build_gave_way" names the one that did. An operator's choice
    never gives way (the build stops instead), so its mismatch stays for the targets to show.
    """
    fingerprints = {(r["backend"], r["precision"]): r["fingerprint"] for r in table["rows"]}
    build, default = tuple(table["build"]), tuple(table["default"])
    if operator_chose or fingerprints[build] == fingerprints[default]:
        return table
    return {**table, "build": list(default), "build_gave_way": list(build)}


def _backend_targets(table: dict) -> dict:
    rows = {(r["backend"], r["precision"]): r for r in table["rows"]}
    chosen, torch = rows[tuple(table["default"])], rows[("torch", "fp32")]
    build = rows[tuple(table["build"])]
    return {
        "ask_p50_over_torch_encode": (chosen["ask_over_torch_encode"], "<=", ASK_OVER_TORCH_TARGET),
        "build_passages_per_s_over_torch": (round(build["passages_per_s"] / torch["passages_per_s"], 2), ">=",
                                            BUILD_OVER_TORCH_TARGET),
        "server_rss_over_torch_server": (round(chosen["server_rss_mib"] / torch["server_rss_mib"], 3), "<=", 1.0),
        "default_top1_agreement_with_torch": (chosen.get("top1_agreement"), ">=", 1.0),
        # the build runtime's vectors must serve the question runtime's index unchanged (rag/encoder/reference.py)
        "build_runtime_shares_fingerprint": (build["fingerprint"] == chosen["fingerprint"], "==", True),
    }


def _render_backends(table: dict) -> list[str]:
    gave_way = (f"; the default {' '.join(table['build_gave_way'])} leaves the shared fingerprint on this CPU"
                if table.get("build_gave_way") else "")
    lines = ["", f"### Embedding backends (questions: {' '.join(table['default'])}, builds: "
                 f"{' '.join(table.get('build', table['default']))}{gave_way}), each in a fresh process", "",
             "| backend | precision | query p50 / p95 ms, 1 thread | per query p50 / p95 ms, 2 threads at once | "
             "2 threads ÷ 1 | passages/s | process RSS MiB | min cosine to torch | top-1 = torch | "
             "/api/ask p50 ms | ÷ torch encode p50 | server RSS MiB | fingerprint |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in table["rows"]:
        one, two = r["query_ms_1_thread"], r["query_ms_2_threads"]
        lines.append(f"| {r['backend']} | {r['precision']} | {one['p50']:.2f} / {one['p95']:.2f} | "
                     f"{two['p50']:.2f} / {two['p95']:.2f} | {r['two_threads_speedup']:.2f} | "
                     f"{r['passages_per_s']:.1f} | {r['rss_mib']:.0f} | {r.get('min_cosine_to_torch', 1):.6f} | "
                     f"{r.get('top1_agreement', 1):.3f} | {r['ask_p50_ms']:.2f} | {r['ask_over_torch_encode']:.2f} | "
                     f"{r['server_rss_mib']:.0f} | {r['fingerprint']} |")
    return lines
