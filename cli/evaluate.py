"""``policy-qa eval`` and ``eval-answers``: retrieval metrics, answer quality and refusal calibration.

Both read a JSONL question set and print a text report, or JSON with ``--json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.base import friendly, load_pipeline, main
from rag.settings import get_settings


def _question_set(fn):
    """The options both evaluations take, so their command lines stay alike."""
    fn = click.option("--json", "as_json", is_flag=True)(fn)
    return click.option("--questions", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                        help="JSONL question set (default: eval/questions/dev.jsonl).")(fn)


@main.command("eval")
@_question_set
@click.option("--backend", type=click.Choice(["onnx", "torch", "openvino"]), default=None,
              help="Compare this embedding backend with torch: retrieval and answer figures side by side.")
@click.option("--precision", default=None, help="The compared backend's precision (default: its own default).")
@friendly
def eval_cmd(questions: Path | None, as_json: bool, backend: str | None, precision: str | None) -> None:
    """Retrieval metrics for dense, bm25, hybrid and the naive baseline."""
    from eval.retrieval import QUESTIONS, evaluate, load_questions, render

    if backend is not None:
        from eval import quality

        report = quality.compare(get_settings(), backend, precision, load_questions(questions or QUESTIONS))
        click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else quality.render(report))
        return
    report = evaluate(load_pipeline(), load_questions(questions or QUESTIONS))
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else render(report))


@main.command("eval-answers")
@_question_set
@friendly
def eval_answers(questions: Path | None, as_json: bool) -> None:
    """Gold wording quoted in answer and citation; false-refusal and false-answer rates."""
    from eval.answers import render, run, summarise
    from eval.retrieval import QUESTIONS, load_questions
    from rag.assistant import Assistant

    settings = get_settings()
    assistant = Assistant(load_pipeline(), refusal_shift=settings.refusal_shift, cache_size=0)
    report = summarise(run(assistant, load_questions(questions or QUESTIONS)))
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else render(report))
