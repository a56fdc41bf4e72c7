"""Deduplication of the segment stream: keep exactly one copy of each piece of content.

Rules, applied in raw order so the kept copy is always the first occurrence:

* ``exact_duplicate`` — a sentence, heading or metadata line seen before (headings within one annex:
  each numbers afresh); unless it is all the wording of a measure seen for the first time;
* ``contained`` — a sentence whose wording stands inside a longer sentence;
* ``splice`` — a broken join of the head of one sentence and the tail of another;
* ``repeated_units_note`` — a 责任单位 note seen before that closes a repeated passage
  (the same note legitimately closes different measures, so a note is never dropped
  for its text alone).

A 条例 is written to repeat itself: 「构成犯罪的，依法追究刑事责任。」 closes many articles,
the same 项 stands in two lists, and a penalty clause is the tail of a longer one. In a
document of articles, wording is therefore dropped only as a repeated passage — two or
more sentences that come back in the order they first stood — with the 项 labels inside it;
a lone repeated, contained or spliced sentence is the law's own wording and stays.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.corpus.cleaning import Segment, retitled

# The shortest head and tail of a splice. Parallel wording shares short ones by design: 「资产总额」 +
# 「1000亿元以下的为中小微型企业。」, 「网络借贷」 + 「业务由银监会负责监管。」, 「…（20%）」, 「…部指导）」;
# taken for splices they dropped a standard's own figure. A broken join keeps a clause of each sentence.
MIN_SPLICE_HEAD = 8
MIN_SPLICE_TAIL = 12
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
    if seg.kind in ("chapter", "article"):
        return f"{seg.kind}:{seg.number}"
    if seg.kind in ("part", "measure", "section"):
        # Numbering may restart in every part (or chapter): 三、保障措施 has its own （一）.
        # A repeated copy repeats the title too.
        return f"{seg.kind}:{seg.number}:{seg.title}"
    # Item numbering restarts in every measure or article, so an item is keyed with its parent.
    return f"{seg.kind}:{parent}:{seg.text}" if seg.kind == "item" else f"{seg.kind}:{seg.text}"


def deduplicate(segments: list[Segment] | tuple[Segment, ...]) -> DedupResult:
    """Drop repeated, contained and spliced content; notes follow what they close."""
    segments = list(segments)
    sentences = {s.text: s for s in reversed(segments) if s.kind == "sentence"}  # first copy wins
    articles = any(s.kind == "article" for s in segments)
    near = {} if articles else _near_duplicates(list(sentences))
    passages = _repeated_passages(segments) if articles else None
    first_seen: dict[str, Segment] = {}
    kept: list[Segment] = []
    dropped: list[Dropped] = []
    last_content_dropped = False
    parent = ""
    annex = 0  # headings number afresh in each annex: 附件2's 第一条 is no copy of 附件1's, nor a 办法's the one before
    verdicts: list[tuple[str | None, tuple[tuple[int, int], ...]]] = []
    for i, seg in enumerate(segments):
        annex += seg.kind == "attachment" or retitled(segments, i)
        if seg.kind in ("measure", "article"):
            parent = _heading_key(seg)
        if passages is not None and seg.kind in ("sentence", "item"):
            reason, kept_at = passages.get(i, (None, ()))
        else:
            reason, kept_at = _judge(seg, first_seen, near, sentences, last_content_dropped, parent, annex)
        if seg.kind in ("sentence", "item"):
            last_content_dropped = reason is not None
        verdicts.append((reason, kept_at))
        if not reason:
            first_seen.setdefault(_key(seg, parent, annex), seg)
    for i in _own_wording(segments, verdicts):
        verdicts[i] = (None, ())
    for seg, (reason, kept_at) in zip(segments, verdicts):
        if reason:
            dropped.append(Dropped(seg, reason, kept_at))
        else:
            kept.append(seg)
    return DedupResult(tuple(kept), tuple(dropped))


_HEADINGS = ("part", "chapter", "section", "measure", "article", "doc_title", "attachment")


def _own_wording(segments: list[Segment], verdicts: list[tuple[str | None, tuple]]) -> list[int]:
    """The repeats that are a measure's only wording, and so its own: 「（三）贷款公司、小额贷款公司及典当行。」
    and 「（八）除贷款公司…以外的其他金融机构。」 are set the same 「资产总额1000亿元以下的为中小微型企业…」.
    A copied passage stands after a measure that has wording of its own, or after a repeated heading."""
    restored: list[int] = []
    for i, seg in enumerate(segments):
        if seg.kind not in ("measure", "article") or verdicts[i][0]:
            continue
        end = next((j for j in range(i + 1, len(segments)) if segments[j].kind in _HEADINGS), len(segments))
        body = [j for j in range(i + 1, end) if segments[j].kind == "sentence"]
        if body and all(verdicts[j][0] == "exact_duplicate" for j in body):
            restored += [j for j in range(i + 1, end) if verdicts[j][0]]
    return restored


def _key(seg: Segment, parent: str = "", annex: int = 0) -> str:
    if seg.kind in ("sentence", "units"):
        return f"sentence:{seg.text}" if seg.kind == "sentence" else _heading_key(seg)
    return f"{annex}:{_heading_key(seg, parent)}"


def _judge(seg, first_seen, near, sentences, last_content_dropped, parent, annex):
    if seg.kind == "units":
        twin = first_seen.get(_key(seg))
        if twin is not None and last_content_dropped:
            return "repeated_units_note", ((twin.start, twin.end),)
        return None, ()
    if seg.kind == "sentence" and seg.text in near:
        reason, hosts = near[seg.text]
        return reason, tuple((sentences[h].start, sentences[h].end) for h in hosts)
    twin = first_seen.get(_key(seg, parent, annex))
    if twin is not None:
        return "exact_duplicate", ((twin.start, twin.end),)
    return None, ()


def _repeated_passages(segments: list[Segment]) -> dict[int, tuple[str, tuple[tuple[int, int], ...]]]:
    """Segment index → (reason, kept copy) for the wording of repeated passages in a document of articles.

    A passage is a run of sentences, with only 项 labels between them, each a repeat of the
    sentence that followed the previous one's first copy. A label goes with the sentence after it.
    """
    first: dict[str, int] = {}
    order: list[int] = []  # sentence indexes in stream order
    for i, s in enumerate(segments):
        if s.kind == "sentence":
            first.setdefault(s.text, i)
            order.append(i)
    rank = {i: k for k, i in enumerate(order)}
    dropped: dict[int, tuple[str, tuple[tuple[int, int], ...]]] = {}
    run: list[int] = []

    def close() -> None:
        # 「…并处违法所得1倍以上5倍以下的罚款；没有违法所得…的罚款。对直接负责的…罚款。」: a run that goes on
        # from a sentence ending in 「；」 finishes that sentence's article, as the same penalty clause closes several
        if len(run) >= 2 and not (run[0] > 0 and segments[run[0] - 1].kind == "sentence"
                                  and segments[run[0] - 1].text.endswith(("；", ";", "，", "："))):
            for i in run:
                twin = segments[first[segments[i].text]]
                dropped[i] = ("exact_duplicate", ((twin.start, twin.end),))

    for i in order:
        original = first[segments[i].text]
        continues = (run and original != i and rank[original] == rank[first[segments[run[-1]].text]] + 1
                     and all(s.kind == "item" for s in segments[run[-1] + 1:i]))
        if continues:
            run.append(i)
            continue
        close()
        run = [i] if original != i else []
    close()
    for i, s in enumerate(segments):
        if s.kind != "item":
            continue
        after = next((j for j in range(i + 1, len(segments)) if segments[j].kind != "item"), None)
        if after is not None and after in dropped:
            k = first[segments[after].text] - 1
            twin = segments[k] if k >= 0 else None
            kept_at = ((twin.start, twin.end),) if twin is not None and twin.text == s.text else ()
            dropped[i] = ("exact_duplicate", kept_at)
    return dropped


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
    if head[0] >= MIN_SPLICE_HEAD and tail[0] >= MIN_SPLICE_TAIL and head[0] + tail[0] >= len(s) and head[1] != tail[1]:
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
