"""``policy-qa eval --backend X``: a backend's retrieval and answer figures beside torch's.

A backend may become the default only if these do not move. Each side builds its own
index over the same corpus with its build runtime (torch: torch; the candidate: the
configured one, OpenVINO bf16 by default), then answers the same questions:
the dev set, and the dev set reworded the way staff type (an opener and a closer such
as 请问 … 谢谢 on every question), which the refusal calibration never saw. Beside
the figures, the questions whose top chunk or refusal decision differs, and the largest
change of a refusal margin, show how close the two are.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from eval import load
from eval.answers import run as run_answers
from eval.answers import summarise
from eval.retrieval import Question, first_hit_rank, metrics
from rag.assistant import Assistant
from rag.encoder.embedding import build_runtime
from rag.pipeline import Pipeline, PipelineConfig


def reworded(questions: list[Question]) -> list[Question]:
    """Every question with an opener and a closer, chosen by its position (deterministic)."""
    out = []
    for i, q in enumerate(questions):
        opener = load.OPENERS[1 + i % (len(load.OPENERS) - 1)]
        closer = load.CLOSERS[1 + (i // 3) % (len(load.CLOSERS) - 1)]
        out.append(Question(f"{q.id}-reworded", f"{opener}{q.question}{closer}", q.gold, q.answerable, q.tags))
    return out


def compare(settings, backend: str, precision: str | None, questions: list[Question]) -> dict:
    """Figures of torch and of ``backend`` on each question set, and where they differ."""
    sets = {"dev": questions, "reworded": reworded(questions)}
    sides = {}
    with tempfile.TemporaryDirectory(prefix="pqa-eval-backend-") as tmp:
        for name, (b, p) in {"torch": ("torch", None), "candidate": (backend, precision)}.items():
            build_backend, build_precision = build_runtime(b, p, settings.build_backend, settings.build_precision)
            config = PipelineConfig(settings.corpus_dir, Path(tmp) / name, settings.home_dir, settings.embed_model,
                                    settings.query_prompt, settings.passage_prompt, cache_size=0,
                                    threads=settings.threads, backend=b, precision=p,
                                    build_backend=build_backend, build_precision=build_precision,
                                    build_fallback=not settings.build_backend)
            pipeline = Pipeline(config)
            pipeline.build()
            pipeline.load()
            assistant = Assistant(pipeline, refusal_shift=settings.refusal_shift, cache_size=0)
            built = pipeline.store.manifest().model
            sides[name] = {"info": pipeline.embedder.info, "built_by": f"{built.backend} {built.precision}",
                           "sets": {s: _figures(pipeline, assistant, qs) for s, qs in sets.items()}}
    report = {"torch": _describe(sides["torch"]), "candidate": _describe(sides["candidate"]),
              "sets": {}}
    for s in sets:
        a, b = sides["torch"]["sets"][s], sides["candidate"]["sets"][s]
        report["sets"][s] = {"torch": a["summary"], "candidate": b["summary"], "differences": _differences(a, b)}
    report["unchanged"] = all(_only_margins(v["differences"]) for v in report["sets"].values())
    return report


def _describe(side: dict) -> dict:
    info = side["info"]
    return {"backend": info.backend, "precision": info.precision, "fingerprint": info.fingerprint,
            "index_built_by": side["built_by"]}


def _figures(pipeline: Pipeline, assistant: Assistant, questions: list[Question]) -> dict:
    answerable = [q for q in questions if q.answerable]
    tops, ranks = {}, {"hybrid": [], "dense": []}
    for q in answerable:
        for mode in ranks:
            hits = pipeline.search(q.question, 5, mode)
            ranks[mode].append(first_hit_rank([h.chunk.text for h in hits], q.gold))
            if mode == "hybrid":
                tops[q.id] = hits[0].chunk.id if hits else None
    outcomes = run_answers(assistant, questions)
    summary = summarise(outcomes)
    figures = {f"{mode} {k}": round(v, 3) for mode, r in ranks.items() for k, v in metrics(r).items() if k != "mrr@5"}
    figures.update({k: summary[k] for k in ("gold_quoted", "false_refusal", "oos_refused")})
    figures["lowest margins (everyday / near)"] = [summary["lowest_answerable"]["everyday_margin"],
                                                  summary["lowest_answerable"]["near_margin"]]
    margins = {o.question.id: (o.relevance.everyday_margin, o.relevance.near_margin)
               for o in outcomes if o.relevance is not None}
    return {"summary": figures, "tops": tops, "found": {o.question.id: o.found for o in outcomes},
            "margins": margins}


def _differences(a: dict, b: dict) -> dict:
    shift = max((abs(x - y) for q, ma in a["margins"].items() if q in b["margins"]
                 for x, y in zip(ma, b["margins"][q])), default=0.0)
    return {"figures": sorted(k for k in a["summary"] if a["summary"][k] != b["summary"][k]
                              and not k.startswith("lowest")),
            "top_chunk": sorted(q for q in a["tops"] if a["tops"][q] != b["tops"].get(q)),
            "refusal": sorted(q for q in a["found"] if a["found"][q] != b["found"].get(q)),
            "max_margin_shift": round(shift, 6)}


def _only_margins(differences: dict) -> bool:
    return not (differences["figures"] or differences["top_chunk"] or differences["refusal"])


def render(report: dict) -> str:
    t, c = report["torch"], report["candidate"]
    name = f"{c['backend']} {c['precision']}"
    lines = [f"torch {t['precision']} (fingerprint {t['fingerprint']}) vs {name} (fingerprint {c['fingerprint']}"
             f"{', shared: indexes are interchangeable' if t['fingerprint'] == c['fingerprint'] else ', its own'}; "
             f"its index built by {c['index_built_by']})"]
    for s, v in report["sets"].items():
        lines += ["", f"| {s} | torch | {name} |", "|---|---|---|"]
        lines += [f"| {k} | {v['torch'][k]} | {v['candidate'][k]} |" for k in v["torch"]]
        d = v["differences"]
        lines.append(f"\n{s}: figures that differ: {', '.join(d['figures']) or 'none'}; "
                     f"top chunk differs: {', '.join(d['top_chunk']) or 'none'}; "
                     f"refusal differs: {', '.join(d['refusal']) or 'none'}; "
                     f"largest refusal-margin shift {d['max_margin_shift']:.2e}")
    lines.append(f"\nfigures unchanged: {'yes' if report['unchanged'] else '**no**'}")
    return "\n".join(lines)
