"""``policy-qa search``: ranked chunks for one question, or JSON lines for many on stdin."""

from __future__ import annotations

import json
import sys

import click

from cli.base import dump, friendly, load_pipeline, main
from rag.settings import get_settings
from rag.types import SEARCH_MODES


@main.command()
@click.argument("question", required=False)
@click.option("-k", "--top-k", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option("--mode", type=click.Choice(SEARCH_MODES), default=None)
@click.option("--json", "as_json", is_flag=True)
@friendly
def search(question: str | None, top_k: int, mode: str | None, as_json: bool) -> None:
    """Search chunks; with no QUESTION, read one question per line from stdin (JSON lines out)."""
    pipeline = load_pipeline()
    mode = mode or get_settings().search_mode

    def results(q: str) -> dict:
        hits = pipeline.search(q, top_k, mode)
        return {"question": q, "results": [{"chunk_id": h.chunk.id, "measure": h.chunk.measure,
                                            "text": h.chunk.text, "score": round(h.score, 6)} for h in hits]}

    if question is None:
        for line in sys.stdin:
            if line.strip():
                click.echo(dump(results(line.strip())))
        return
    out = results(question)
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for i, r in enumerate(out["results"], start=1):
        click.echo(f"[{i}] {r['score']:.4f}  {r['measure']}\n    {r['text']}")
