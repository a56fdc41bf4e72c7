"""The embedding backends side by side: speed, memory and agreement with torch.

``measure`` runs in a fresh process per backend (``python -m eval.backends``), so each
one's load time and resident memory are its own: single questions on one request
thread and on two at once (the GIL must not make them wait for each other), passages
per second for a build, and the vectors, which the parent compares with torch's.
``server_latency`` then asks the same questions of a ``policy-qa serve`` on each
backend, timing torch's bare encoding of each question right before, as the main
benchmark does, so the ratio holds on a noisy machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import numpy as np

from eval import launcher, load

VARIANTS = (("torch", "fp32"), ("onnx", "q4"), ("onnx", "fp32"), ("onnx", "int8"), ("openvino", "fp32"),
            ("openvino", "bf16"))
_ROUNDS = 3


def _rss_mib() -> float:
    status = Path("/proc/self/status").read_text().splitlines()
    kib = next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
    return round(kib / 1024, 1)


def _timed(fn: Callable, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - start) * 1000


def _two_threads(encode: Callable, questions: Sequence[str]) -> tuple[list[float], float]:
    """Per-call ms and questions/s with two threads each encoding every question."""
    times: list[list[float]] = [[], []]

    def work(out: list[float]) -> None:
        for q in questions:
            out.append(_timed(encode, [q]))

    threads = [threading.Thread(target=work, args=(t,)) for t in times]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times[0] + times[1], 2 * len(questions) / (time.perf_counter() - start)


def measure(model: str, home: Path, backend: str, precision: str, threads: int, questions: Sequence[str],
            passages: Sequence[str]) -> tuple[dict, dict[str, np.ndarray]]:
    """Figures and vectors of one backend, in this process (meant to be a fresh one)."""
    from rag.encoder.embedding import load_embedder, set_threads

    set_threads(threads)
    start = time.perf_counter()
    embedder = load_embedder(model, home, backend=backend, precision=precision)
    embedder.prepare_queries()
    load_s = time.perf_counter() - start
    encode = embedder.encode_queries
    for q in questions[:5]:
        encode([q])
    one, two, rate_one, rate_two = [], [], [], []
    for _ in range(_ROUNDS):  # alternated, so a burst of noise hits both alike
        started = time.perf_counter()
        one += [_timed(encode, [q]) for q in questions]
        rate_one.append(len(questions) / (time.perf_counter() - started))
        times, rate = _two_threads(encode, questions)
        two += times
        rate_two.append(rate)
    embedder.encode_passages(list(passages[:32]))
    build = [_timed(embedder.encode_passages, list(passages)) / 1000 for _ in range(2)]
    vectors = {"queries": np.concatenate([encode([q]) for q in questions]),
               "passages": embedder.encode_passages(list(passages))}
    figures = {
        "backend": backend, "precision": embedder.info.precision, "fingerprint": embedder.info.fingerprint,
        "probe_deviation": embedder.deviation, "load_s": round(load_s, 2),
        "query_ms_1_thread": _percentiles(one), "query_ms_2_threads": _percentiles(two),
        "queries_per_s_1_thread": round(statistics.median(rate_one), 1),
        "queries_per_s_2_threads": round(statistics.median(rate_two), 1),
        "two_threads_speedup": round(statistics.median(rate_two) / statistics.median(rate_one), 2),
        "passages_per_s": round(len(passages) / min(build), 1), "rss_mib": _rss_mib(),
    }
    return figures, vectors


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in load.percentiles(values).items()}


def measure_all(model: str, home: Path, threads: int, questions: Sequence[str], passages: Sequence[str],
                variants: Sequence[tuple[str, str]] = VARIANTS, log: Callable[[str], None] = print) -> list[dict]:
    """``measure`` for each variant in a fresh process, then agreement with the torch vectors."""
    rows, vectors = [], {}
    with tempfile.TemporaryDirectory(prefix="pqa-backends-") as tmp:
        spec = Path(tmp) / "inputs.json"
        spec.write_text(json.dumps({"questions": list(questions), "passages": list(passages)}, ensure_ascii=False))
        for backend, precision in variants:
            log(f"  {backend} {precision} (fresh process) …")
            out = Path(tmp) / f"{backend}-{precision}"
            subprocess.run([sys.executable, "-m", "eval.backends", "--model", model, "--home", str(home),
                            "--backend", backend, "--precision", precision, "--threads", str(threads),
                            "--inputs", str(spec), "--out", str(out)], check=True, cwd=str(launcher.REPO))
            rows.append(json.loads(out.with_suffix(".json").read_text(encoding="utf-8")))
            with np.load(out.with_suffix(".npz")) as saved:
                vectors[(backend, precision)] = {k: saved[k] for k in saved.files}
    reference = vectors.get(("torch", "fp32"))
    for row in rows:
        if reference is not None:
            row.update(agreement(vectors[(row["backend"], row["precision"])], reference))
    return rows


def agreement(vectors: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> dict:
    """Lowest cosine to torch, and how often each question's top passage is torch's."""
    cosines = np.concatenate([np.sum(vectors[k] * reference[k], axis=1) for k in ("queries", "passages")])
    top = np.argmax(vectors["queries"] @ vectors["passages"].T, axis=1)
    top_reference = np.argmax(reference["queries"] @ reference["passages"].T, axis=1)
    return {"min_cosine_to_torch": round(float(cosines.min()), 6),
            "top1_agreement": round(float(np.mean(top == top_reference)), 3)}


def server_latency(env: dict[str, str], backend: str, precision: str, torch_encode: Callable,
                   questions: Sequence[str]) -> dict:
    """/api/ask p50 on a server of this backend (a fresh index), with torch's bare encoding before each."""
    from rag.retrieval.query import normalise_query

    with tempfile.TemporaryDirectory(prefix="pqa-backend-index-") as tmp:
        env = {**env, "POLICY_QA_BACKEND": backend, "POLICY_QA_PRECISION": precision,
               "POLICY_QA_INDEX_DIR": str(Path(tmp) / "index")}
        # Built by its own process (the configured build runtime), so the server's memory is a serving worker's.
        subprocess.run([*launcher.cli_command(), "build"], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        with launcher.start(env) as server, httpx.Client(timeout=60) as client:
            ready_s = time.perf_counter() - started
            torch_ms, ask_ms = [], []
            for i, q in enumerate([*questions[:3], *questions]):
                encode_ms = _timed(torch_encode, [normalise_query(q)])
                start = time.perf_counter()
                response = client.post(f"{server.url}/api/ask", json={"question": q})
                elapsed = (time.perf_counter() - start) * 1000
                if problem := load.check(response, "answer"):
                    raise RuntimeError(f"{backend} {precision} server: POST /api/ask {q!r}: {problem}")
                if i >= 3:  # the first three warm up
                    torch_ms.append(encode_ms)
                    ask_ms.append(elapsed)
            memory = server.memory()
    ask_p50, torch_p50 = statistics.median(ask_ms), statistics.median(torch_ms)
    return {"ask_p50_ms": round(ask_p50, 2), "torch_encode_p50_ms": round(torch_p50, 2),
            "ask_over_torch_encode": round(ask_p50 / torch_p50, 3), "server_ready_s": round(ready_s, 1),
            "server_rss_mib": round(sum(m.get("VmRSS", 0) for m in memory.values()) / 1024, 1)}


def _main() -> None:
    parser = argparse.ArgumentParser(description="Measure one embedding backend (run by policy-qa bench).")
    for name in ("--model", "--home", "--backend", "--precision", "--inputs", "--out"):
        parser.add_argument(name, required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    inputs = json.loads(Path(args.inputs).read_text(encoding="utf-8"))
    figures, vectors = measure(args.model, Path(args.home), args.backend, args.precision, args.threads,
                               inputs["questions"], inputs["passages"])
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(figures), encoding="utf-8")
    np.savez(out.with_suffix(".npz"), **vectors)


if __name__ == "__main__":
    _main()
