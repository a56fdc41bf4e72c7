"""``policy-qa bench``: latency, throughput, build rate, memory and 100k-scale figures in one run."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.base import friendly, load_pipeline, main
from rag.settings import REPO_ROOT, get_settings

DEFAULT_JSON = REPO_ROOT / "eval" / "results" / "bench.json"


@main.command()
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_JSON,
              show_default=True, help="Where to write the full JSON report.")
@click.option("--quick", is_flag=True, help="Smoke run: small sizes, about half a minute; figures are not meaningful.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes of the server under test (`policy-qa serve --workers`).")
@click.option("--threads", type=click.IntRange(0, 64), default=None,
              help="Compute threads per request (torch, FAISS), server and bench alike  [default: POLICY_QA_THREADS].")
@click.option("--questions", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="JSONL questions to time, matching POLICY_QA_CORPUS_DIR (default: eval/questions/dev.jsonl).")
@click.option("--store", type=click.Choice(["faiss", "milvus"]), default=None,
              help="Index store of the bench's index and server; milvus starts a Milvus Lite TCP server  "
                   "[default: POLICY_QA_STORE].")
@click.option("--log-overhead", is_flag=True,
              help="Only measure what the conversation log costs: /api/ask p50 under load, logging on vs off.")
@friendly
def bench(json_path: Path, quick: bool, workers: int, threads: int | None, questions: Path | None,
          log_overhead: bool, store: str | None) -> None:
    """Benchmark the service: starts its own `policy-qa serve` on 127.0.0.1 over a fresh index."""
    from eval.bench import BenchConfig, render, run

    settings = get_settings()
    if log_overhead:
        from eval import log_overhead as overhead

        load_pipeline()  # the servers under test read this index; build it first if it is missing
        report = overhead.measure(settings, rounds=2 if quick else 4, seconds=3.0 if quick else 6.0, clients=4,
                                  index_dir=settings.index_dir)
        click.echo(overhead.render(report))
        return
    threads = settings.threads if threads is None else threads
    report = run(settings, BenchConfig.for_run(quick, workers, threads, store or settings.store),
                 log=lambda m: click.echo(m, err=True), question_file=questions)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    click.echo(render(report))
    click.echo(f"\nJSON report: {json_path}", err=True)
