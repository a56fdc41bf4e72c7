"""The dedup report: every dropped character accounted for, with the kept copy's location."""

from __future__ import annotations

from collections import Counter

from rag.corpus.folder import ParsedFile


def dedup_report(parsed: ParsedFile) -> dict:
    raw = parsed.source.raw
    dropped = parsed.dedup.dropped
    kept_chars = sum(s.end - s.start for s in parsed.dedup.kept)
    dropped_chars = sum(d.segment.end - d.segment.start for d in dropped)
    return {
        "file": parsed.source.path.name,
        "raw_chars": len(raw),
        "kept_chars": kept_chars,
        "dropped_chars": dropped_chars,
        "whitespace_chars": len(raw) - kept_chars - dropped_chars,
        "wording_chars": sum(len(s.text) for s in parsed.dedup.kept if s.kind == "sentence"),
        "by_reason": dict(Counter(d.reason for d in dropped)),
        "dropped": [{"reason": d.reason, "kind": d.segment.kind, "span": [d.segment.start, d.segment.end],
                     "text": d.segment.text, "kept_at": [list(k) for k in d.kept_at]} for d in dropped],
    }


def render_report(reports: list[dict]) -> str:
    lines = []
    for r in reports:
        lines.append(f"{r['file']}: {r['raw_chars']} raw chars = {r['kept_chars']} kept + "
                     f"{r['dropped_chars']} dropped + {r['whitespace_chars']} whitespace; "
                     f"policy wording kept: {r['wording_chars']} chars")
        lines.append("  " + ", ".join(f"{k}: {v}" for k, v in sorted(r["by_reason"].items())))
        for d in r["dropped"]:
            kept = " + ".join(f"{a}-{b}" for a, b in d["kept_at"]) or "—"
            lines.append(f"  [{d['span'][0]}-{d['span'][1]}] {d['reason']:<20} kept at {kept}: {d['text']}")
    return "\n".join(lines)
