"""``policy-qa eval`` and ``eval-answers``: retrieval metrics, answer quality and refusal calibration.

Both read a JSONL question set and print a text report, or JSON with ``--json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.main import _friendly, _pipeline, main
from rag.settings import get_settings


def _question_set(fn):
    """The options both evaluations take, so their command lines stay alike."""
    fn = click.option("--json", "as_json", is_flag=True)(fn)
    return click.option("--questions", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                        help="JSONL question set (default: eval/questions/dev.jsonl).")(fn)


@main.command("eval")
@_question_set
@_friendly
def eval_cmd(questions: Path | None, as_json: bool) -> None:
    """Retrieval metrics for dense, bm25, hybrid and the naive baseline."""
    from eval.retrieval import QUESTIONS, evaluate, load_questions, render

    report = evaluate(_pipeline(), load_questions(questions or QUESTIONS))
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else render(report))


@main.command("eval-answers")
@_question_set
@_friendly
def eval_answers(questions: Path | None, as_json: bool) -> None:
    """Gold wording quoted in answer and citation; false-refusal and false-answer rates."""
    from eval.answers import render, run, summarise
    from eval.retrieval import QUESTIONS, load_questions
    from rag.assistant import Assistant

    settings = get_settings()
    assistant = Assistant(_pipeline(), refusal_shift=settings.refusal_shift, cache_size=0)
    report = summarise(run(assistant, load_questions(questions or QUESTIONS)))
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else render(report))
