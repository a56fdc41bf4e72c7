"""Deduplication of the segment stream: keep exactly one copy of each piece of content.

Rules, applied in raw order so the kept copy is always the first occurrence:

* ``exact_duplicate`` — a sentence, heading or metadata line seen before;
* ``contained`` — a sentence whose wording stands inside a longer sentence;
* ``splice`` — a broken join of the head of one sentence and the tail of another;
* ``repeated_units_note`` — a 责任单位 note seen before that closes a repeated passage
  (the same note legitimately closes different measures, so a note is never dropped
  for its text alone).
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.cleaning import Segment

MIN_OVERLAP = 4  # shortest head/tail of a splice; shorter overlaps happen by chance
MIN_CONTAINED = 6


@dataclass(frozen=True)
class Dropped:
    """A segment left out, why, and where the copy that was kept stands."""

    segment: Segment
    reason: str
    kept_at: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class DedupResult:
    kept: tuple[Segment, ...]
    dropped: tuple[Dropped, ...]


def _core(text: str) -> str:
    return text.rstrip("。！？；")


def _heading_key(seg: Segment, parent: str = "") -> str:
    if seg.kind in ("part", "measure", "chapter", "article"):
        return f"{seg.kind}:{seg.number}"
    # Item numbering restarts in every measure or article, so an item is keyed with its parent.
    return f"{seg.kind}:{parent}:{seg.text}" if seg.kind == "item" else f"{seg.kind}:{seg.text}"


def deduplicate(segments: list[Segment]) -> DedupResult:
    """Drop repeated, contained and spliced content; notes follow what they close."""
    sentences = {s.text: s for s in reversed(segments) if s.kind == "sentence"}  # first copy wins
    near = _near_duplicates(list(sentences))
    first_seen: dict[str, Segment] = {}
    kept: list[Segment] = []
    dropped: list[Dropped] = []
    last_content_dropped = False
    parent = ""
    for seg in segments:
        if seg.kind in ("measure", "article"):
            parent = f"{seg.kind}:{seg.number}"
        reason, kept_at = _judge(seg, first_seen, near, sentences, last_content_dropped, parent)
        if seg.kind in ("sentence", "item"):
            last_content_dropped = reason is not None
        if reason:
            dropped.append(Dropped(seg, reason, kept_at))
            continue
        kept.append(seg)
        first_seen.setdefault(_key(seg, parent), seg)
    return DedupResult(tuple(kept), tuple(dropped))


def _key(seg: Segment, parent: str = "") -> str:
    return f"sentence:{seg.text}" if seg.kind == "sentence" else _heading_key(seg, parent)


def _judge(seg, first_seen, near, sentences, last_content_dropped, parent):
    if seg.kind == "units":
        twin = first_seen.get(_key(seg))
        if twin is not None and last_content_dropped:
            return "repeated_units_note", ((twin.start, twin.end),)
        return None, ()
    if seg.kind == "sentence" and seg.text in near:
        reason, hosts = near[seg.text]
        return reason, tuple((sentences[h].start, sentences[h].end) for h in hosts)
    twin = first_seen.get(_key(seg, parent))
    if twin is not None:
        return "exact_duplicate", ((twin.start, twin.end),)
    return None, ()


def _near_duplicates(texts: list[str]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Map each contained or spliced sentence to (reason, the sentences it came from)."""
    splices = {s: sources for s in texts if (sources := _splice_sources(s, texts))}
    # A splice is no home for other wording: only intact sentences can host a contained one.
    hosts = [t for t in texts if t not in splices]
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for s in texts:
        core = _core(s)
        # The longest host is never contained in another one (that one would be longer
        # still), so kept_at names a copy that is kept, however deeply sentences nest.
        host = (max((o for o in hosts if len(o) > len(s) and core in o), key=len, default=None)
                if len(core) >= MIN_CONTAINED else None)
        if host:
            # Wording that stands whole in one intact sentence is better cited there than
            # as a splice: a splice source may itself be a dropped, shorter copy.
            out[s] = ("contained", (host,))
        elif s in splices:
            out[s] = ("splice", splices[s])
    return out


def _splice_sources(s: str, texts: list[str]) -> tuple[str, str] | None:
    head = max(((_common_prefix(s, o), o) for o in texts if o != s), default=(0, ""))
    tail = max(((_common_suffix(s, o), o) for o in texts if o != s), default=(0, ""))
    if head[0] >= MIN_OVERLAP and tail[0] >= MIN_OVERLAP and head[0] + tail[0] >= len(s) and head[1] != tail[1]:
        return head[1], tail[1]
    return None


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])
