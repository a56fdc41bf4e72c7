"""``policy-qa wecom-push``: answer one question and post it to a WeCom group robot."""

from __future__ import annotations

import click

from cli.base import friendly, load_pipeline, main
from rag.settings import get_settings


@main.command("wecom-push")
@click.option("--webhook-url", required=True,
              help="The group robot's webhook (…/cgi-bin/webhook/send?key=…); its key is a secret.")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds to wait for the webhook.")
@click.argument("question")
@friendly
def wecom_push(webhook_url: str, timeout: float, question: str) -> None:
    """Answer QUESTION and post it to a group robot as markdown (at most 4,096 bytes)."""
    from rag.assistant import Assistant, check_question
    from wecom.push import push_markdown

    settings = get_settings()
    check_question(question, settings.max_question_chars)  # before the model loads
    answer = Assistant.from_settings(settings, load_pipeline()).ask(question)
    content = push_markdown(webhook_url, answer, timeout=timeout)
    cited = "、".join(dict.fromkeys(c.chunk.measure for c in answer.citations)) or "无引用"
    click.echo(f"pushed {len(content.encode())} bytes of markdown ({cited})")
