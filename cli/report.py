"""``policy-qa report``: the admin dashboard's figures on the command line."""

from __future__ import annotations

from datetime import datetime

import click

from cli.base import dump, friendly, load_pipeline, main
from cli.db import open_database


@main.command()
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day to count (UTC)  [default: everything].")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-clusters", is_flag=True, help="Skip grouping the policy gaps (which loads the model).")
@friendly
def report(since: datetime | None, as_json: bool, no_clusters: bool) -> None:
    """Questions per day and channel, share refused, latency, 👎 with comments and the policy gaps."""
    from dataclasses import asdict

    from db.gaps import cluster_gaps
    from db.report import build_report

    result = build_report(open_database(), since)
    clusters = []
    if result.gaps and not no_clusters:
        from rag.assistant import Assistant
        from rag.settings import get_settings

        clusters = cluster_gaps(result.gaps, Assistant.from_settings(get_settings(), load_pipeline()).embed)
    if as_json:
        out = result.as_dict()
        out.pop("gaps")  # the clusters hold them, grouped
        out["gap_clusters"] = [asdict(c) for c in clusters]
        click.echo(dump(out, indent=2))
        return
    click.echo(_text(result, clusters))


def _text(result, clusters) -> str:
    lines = [f"questions {result.questions}, refused {result.refused} ({result.refused_share:.1%}), "
             f"👍 {result.thumbs_up}, 👎 {result.thumbs_down}" + (f", since {result.since}" if result.since else ""),
             "", "per day and channel:"]
    lines += [f"  {d.day}  {d.channel:<7} {d.questions:>6} questions, {d.refused:>5} refused" for d in result.days]
    lines += ["", "latency (ms):"]
    lines += [f"  {r.channel:<7} n={r.answers:<6} p50 {r.p50:>8.1f}  p90 {r.p90:>8.1f}  p99 {r.p99:>8.1f}"
              for r in result.latency]
    lines += ["", f"👎 answers ({len(result.disliked)} shown):"]
    lines += [f"  {d.created_at}  {d.user or '-'}  {d.question or '(question not logged)'}"
              + (f"  — {d.comment}" if d.comment else "") for d in result.disliked[:20]]
    lines += ["", f"policy gaps ({len(clusters)} clusters):"]
    lines += [f"  {c.size:>5} asked ({c.refused} refused, {c.disliked} 👎): " + " | ".join(c.examples[:3])
              for c in clusters[:30]]
    return "\n".join(lines)
