"""``policy-qa serve`` and ``ask``: the service, and its answers from the command line."""

from __future__ import annotations

import json

import click

from cli.base import friendly, load_pipeline, main
from rag.settings import get_settings


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--rebuild", is_flag=True, help="Rebuild the index even if one exists.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes; each loads its own copy of the model and index.")
@friendly
def serve(host: str, port: int, rebuild: bool, workers: int) -> None:
    """Serve the API (/api, /v1, /docs), WeCom callbacks (/wecom) and the chat UI (/) on one port."""
    import os
    import signal
    import sys

    from rag.pipeline import PipelineConfig, open_store

    settings = get_settings()
    if settings.store == "milvus" and workers > 1 and "://" not in settings.milvus_location:
        raise click.ClickException(f"Milvus Lite file {settings.milvus_location} can be opened by one process only; "
                                   f"serve it over TCP for {workers} workers (README, Milvus) and set "
                                   f"POLICY_QA_MILVUS_URI=http://host:port")
    index_store = open_store(PipelineConfig.from_settings(settings))  # an unreachable Milvus fails here
    if not rebuild and index_store.current_version() is not None:
        index_store.manifest()  # a damaged index is refused in a second, before the model loads

    import uvicorn

    from api.main import create_app
    from db.engine import ensure_schema, make_engine
    from rag.assistant import Assistant

    # Once, before any worker starts, so workers never race to create the tables; a database that is
    # down is logged and the service still answers (the log queues its records).
    ensure_schema(make_engine(settings.database))
    pipeline = load_pipeline(load=False)
    # Build when missing and validate before binding the port: a broken index is a one-line exit 1.
    loaded = pipeline.ensure_index(rebuild=rebuild)
    click.echo(f"index {loaded.version}: {len(loaded.chunks)} chunks, model {pipeline.embedder.info.name}", err=True)
    # After its graceful shutdown uvicorn re-raises the SIGTERM it caught, which would end the
    # process with -15; in-flight requests are done by then, so it is a clean exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if workers == 1:
        uvicorn.run(create_app(settings, Assistant.from_settings(settings, pipeline)), host=host, port=port,
                    log_config=_log_config())
    else:
        del pipeline, loaded  # every worker loads its own copy
        if not settings.cores:
            # Each worker's share: two workers lending a lone question both cores would make each wait
            # for the other's threads (4 clients: 99 against 122 requests/s on 2 cores, 2 workers).
            os.environ["POLICY_QA_CORES"] = str(max(1, (os.cpu_count() or 1) // workers))
        uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=workers,
                    log_config=_log_config())


def _log_config() -> dict:
    """uvicorn's logging plus the service's own logger (index loads and reloads), in every worker."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["policy_qa"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


@main.command()
@click.argument("question")
@click.option("-k", "--top-k", default=5, show_default=True, type=click.IntRange(1, 20))
@click.option("--json", "as_json", is_flag=True, help="Print the same object as POST /api/ask.")
@friendly
def ask(question: str, top_k: int, as_json: bool) -> None:
    """Answer QUESTION with citations, without a server."""
    import time

    from api.schemas import AskResponse
    from rag.assistant import Assistant, check_question

    settings = get_settings()
    question = check_question(question, settings.max_question_chars)  # before the model loads
    assistant = Assistant.from_settings(settings, load_pipeline())
    start = time.perf_counter()
    answer = assistant.ask(question, top_k=top_k)
    out = AskResponse.of(question, answer, (time.perf_counter() - start) * 1000)
    if as_json:
        click.echo(json.dumps(out.model_dump(), ensure_ascii=False, indent=2))
        return
    click.echo(out.answer)
    for c in answer.citations:
        units = f"\n    责任单位：{'、'.join(c.chunk.responsible_units)}" if c.chunk.responsible_units else ""
        click.echo(f"\n[{c.ref}] {c.source} {c.chunk.where}\n    {c.chunk.text}{units}")
