"""The ``policy-qa`` command: one entry point for every stage and service.

Only this module and the API/UI entry points read settings; library errors become
one-line messages here, with a non-zero exit code.
"""

from __future__ import annotations

import json
import sys
from functools import wraps

import click
from pydantic import ValidationError

from rag.errors import PolicyQAError
from rag.settings import get_settings


def _friendly(fn):
    @wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except PolicyQAError as e:
            raise click.ClickException(f"{type(e).__name__}: {e}") from e
        except ValidationError as e:  # a POLICY_QA_* variable out of range or of the wrong type
            problems = "; ".join(f"POLICY_QA_{'_'.join(map(str, err['loc'])).upper()}: {err['msg']}" for err in e.errors())
            raise click.ClickException(f"invalid setting: {problems}") from e
    return run


def _pipeline(load: bool = True):
    from rag.pipeline import Pipeline, PipelineConfig

    pipeline = Pipeline(PipelineConfig.from_settings(get_settings()))
    if load:
        pipeline.ensure_index()
    return pipeline


def _dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


@click.group()
@click.version_option(package_name="policy-qa")
def main() -> None:
    """Question answering over Chinese policy text (政策问答)."""


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the JSON array of chunks.")
@_friendly
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
@_friendly
def measures() -> None:
    """Print the outline: part → measure → chunks → responsible units."""
    from rag.outline import outline_from_chunks, render_outline
    from rag.pipeline import load_chunks

    items, meta, _ = load_chunks(get_settings().corpus_dir)
    click.echo(render_outline(outline_from_chunks(items), meta))


@main.command("dedup-report")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@_friendly
def dedup_report(as_json: bool) -> None:
    """What de-duplication dropped, why, and where the kept copy stands."""
    from rag.corpus import parse_corpus
    from rag.report import dedup_report as build_report, render_report

    report = [build_report(p) for p in parse_corpus(get_settings().corpus_dir)]
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else render_report(report))


@main.command()
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_friendly
def build(quiet: bool) -> None:
    """Build the index (embeddings + BM25) for the corpus."""
    import time

    pipeline = _pipeline(load=False)
    start = time.perf_counter()
    folder = pipeline.build(progress=not quiet)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    click.echo(f"built {manifest['chunk_count']} chunks into {folder} in {time.perf_counter() - start:.1f}s "
               f"({manifest['model']['name']}, dim {manifest['model']['dimension']}, {manifest['index_type']})")


@main.command()
@click.argument("question", required=False)
@click.option("-k", "--top-k", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25"]), default=None)
@click.option("--json", "as_json", is_flag=True)
@_friendly
def search(question: str | None, top_k: int, mode: str | None, as_json: bool) -> None:
    """Search chunks; with no QUESTION, read one question per line from stdin (JSON lines out)."""
    pipeline = _pipeline()
    mode = mode or get_settings().search_mode

    def results(q: str) -> dict:
        hits = pipeline.search(q, top_k, mode)
        return {"question": q, "results": [{"chunk_id": h.chunk.id, "measure": h.chunk.measure,
                                            "text": h.chunk.text, "score": round(h.score, 6)} for h in hits]}

    if question is None:
        for line in sys.stdin:
            if line.strip():
                click.echo(_dump(results(line.strip())))
        return
    out = results(question)
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for i, r in enumerate(out["results"], start=1):
        click.echo(f"[{i}] {r['score']:.4f}  {r['measure']}\n    {r['text']}")


from cli import bench, commands, evaluate, wecom  # noqa: E402,F401  (register the remaining commands)
