"""Commands for the services, evaluation and WeCom, registered on the ``policy-qa`` group."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.main import _friendly, _pipeline, main


@main.command("eval")
@click.option("--questions", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="JSONL question set (default: eval/questions/dev.jsonl).")
@click.option("--json", "as_json", is_flag=True)
@_friendly
def eval_cmd(questions: Path | None, as_json: bool) -> None:
    """Retrieval metrics for dense, bm25, hybrid and the naive baseline."""
    from eval.retrieval import QUESTIONS, evaluate, load_questions, render

    report = evaluate(_pipeline(), load_questions(questions or QUESTIONS))
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else render(report))
