"""Corpus commands: the chunks, the outline, the dedup report, and building the index."""

from __future__ import annotations

import json

import click

from cli.base import dump, friendly, load_pipeline, main
from rag.settings import get_settings


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the JSON array of chunks.")
@friendly
def chunks(as_json: bool) -> None:
    """Print the chunks of the corpus."""
    from rag.pipeline import load_chunks

    items = load_chunks(get_settings().corpus_dir)[0]
    if as_json:
        click.echo(json.dumps([c.to_dict() for c in items], ensure_ascii=False, indent=2))
        return
    for c in items:
        click.echo(f"{c.id}  {c.measure}  {c.item or ''}  {len(c.text)}字  {c.text[:40]}…")


@main.command()
@friendly
def measures() -> None:
    """Print the outline: part → measure → chunks → responsible units."""
    from rag.corpus.outline import outline_from_chunks, render_outline
    from rag.pipeline import load_chunks

    items, meta, _ = load_chunks(get_settings().corpus_dir)
    click.echo(render_outline(outline_from_chunks(items), meta))


@main.command("dedup-report")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@friendly
def dedup_report(as_json: bool) -> None:
    """What de-duplication dropped, why, and where the kept copy stands."""
    from rag.corpus.folder import parse_corpus
    from rag.corpus.report import dedup_report as build_report
    from rag.corpus.report import render_report

    report = [build_report(p) for p in parse_corpus(get_settings().corpus_dir)]
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else render_report(report))


@main.command()
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True,
              help="End with one JSON line: documents, chunks, embedded (passages encoded now), reused.")
@friendly
def build(quiet: bool, as_json: bool) -> None:
    """Build the index (embeddings + BM25) for the corpus; unchanged documents come from the cache."""
    import time

    pipeline = load_pipeline(load=False)
    start = time.perf_counter()
    report = pipeline.build(progress=not (quiet or as_json))
    seconds = time.perf_counter() - start
    manifest = pipeline.store.manifest()
    click.echo(f"built {report.documents} documents, {report.chunks} chunks into {report.folder} in {seconds:.1f}s: "
               f"{report.embedded} passages embedded, {report.reused} reused "
               f"({manifest.model.name}, dim {manifest.model.dimension}, {manifest.index_type})", err=as_json)
    if as_json:
        click.echo(dump({**report.to_dict(), "seconds": round(seconds, 2)}))
