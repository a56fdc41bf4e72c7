"""Managing the library: `policy-qa docs`, `add` and `remove`."""

from __future__ import annotations

from pathlib import Path

import click

from cli.base import dump, friendly, load_pipeline, main
from rag.settings import get_settings


@main.command()
@click.option("--json", "as_json", is_flag=True, help="A JSON array of the documents with their identity.")
@friendly
def docs(as_json: bool) -> None:
    """List the documents of the built index: id, title, 文号, issuers, date, chunks."""
    from rag.pipeline import PipelineConfig, open_store

    manifest = open_store(PipelineConfig.from_settings(get_settings())).manifest()
    rows = [{**d.as_dict(), "chunks": manifest.document_chunks.get(d.id, 0)} for d in manifest.documents]
    if as_json:
        click.echo(dump(rows, indent=2))
        return
    for r in rows:
        about = " ".join(x for x in (r["number"], "、".join(r["issuers"]), r["date"]) if x)
        click.echo(f"{r['id']}  《{r['title']}》 {about}  [{r['chunks']} 块, {r['source']}]")


def _report(report, as_json: bool) -> None:
    line = (f"{report.documents} documents, {report.chunks} chunks: {report.embedded} passages embedded, "
            f"{report.reused} reused")
    click.echo(dump(report.to_dict()) if as_json else line)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace a file of the same name already in the library.")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as one JSON line.")
@friendly
def add(files: tuple[Path, ...], replace: bool, as_json: bool) -> None:
    """Copy FILES (PDF, DOCX, HTML, text; with their .meta.json sidecars) into the corpus folder and build."""
    _report(load_pipeline(load=False).add(list(files), replace), as_json)


@main.command()
@click.argument("document_id")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as one JSON line.")
@friendly
def remove(document_id: str, as_json: bool) -> None:
    """Take document DOCUMENT_ID out of the library (its files move to .removed/) and build."""
    _report(load_pipeline(load=False).remove(document_id), as_json)
