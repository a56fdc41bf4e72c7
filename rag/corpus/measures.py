"""Structure: the de-duplicated segment stream → document metadata, parts, measures, items.

Content is attributed to the heading it follows in the de-duplicated order. When measures
are numbered through the whole document, a measure's part comes from the numbering, so a
measure heading that surfaces after a later part heading still files under its own part;
when parts restart at （一）, the part is the one the measure stands in. Metadata that the
noisy copy scatters (the signature, the policy's own title and its preamble) is lifted out
without changing which measure the following text belongs to.

An article (第X条) is one unit with its 款 and 项: the 项 labels stay in its wording, so a
lead-in such as 「应当具备下列条件：」 is never apart from its conditions. A 第X节 refines
its chapter's part label. Item runs that are not where their measure is are placed by
their numbering (:mod:`rag.corpus.runs`). Before the body, a 印发 notice's own text is
kept under 「印发通知」 and what follows the attached document's title under 「前言」. An annex after the
body (「附件2」 and its title) is walked on its own, its measures filed under a part named after it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from itertools import takewhile

from rag.corpus.cleaning import STRUCTURE, Segment, retitled
from rag.corpus.drafts import Draft, is_header_line, paragraph_label, reads_as_sentence
from rag.corpus.notes import read_note, split_units, with_first_lead
from rag.corpus.numbering import heading_number, int_to_cn
from rag.corpus.records import FRONT, NOTICE, UNLABELLED, Block, Document, Item, Measure, Sentence
from rag.corpus.runs import place_strays, starts_own_run
from rag.types import DocumentInfo

__all__ = ["FRONT", "NOTICE", "UNLABELLED", "Block", "Document", "Item", "Measure", "Sentence", "annex_title",
           "parse_document", "split_units"]

_META = ("notice_title", "publish_date", "signature", "closing")
_ANNEX_LINE = re.compile(r"附件\s*\d*")
_TITLE_MIN = 4  # characters of a title (「附件」 alone names nothing)


def parse_document(segments: list[Segment] | tuple[Segment, ...], info: DocumentInfo) -> Document:
    """Build the document outline from de-duplicated segments; ``info`` is the document's identity.

    The title, notice, date and signature segments are identity, read by
    :mod:`rag.corpus.identity` from the text's lines; here they are only kept out of the content.
    """
    segments = list(segments)
    attached = _attachment_index(segments, info)
    body, annexes = _annexes(segments, attached)
    walk = _Walk(info, attached)
    for i, seg in enumerate(body):
        walk.step(i, seg)
    document = walk.document()
    measures = list(document.measures)
    for label, annex in annexes:
        # An annex numbers its own 第一条 or 一、 afresh: walked with the body, its articles merged
        # into the body's of the same number, and a 一、/（一） body lost its parts to the annex's 第一章.
        own = _Walk(replace(info, notice_title=None), None)
        for i, seg in enumerate(annex):
            own.step(i, seg)
        measures += [replace(m, part=f"{label} {m.part}" if m.part else label) for m in own.document().measures]
    return replace(document, measures=tuple(measures))


def annex_title(part: str | None) -> str | None:
    """The title of the annex a measure stands in, read off the part :func:`parse_document` files it under
    (「附件2 个人银行账户简易开户服务业务指引 第一章总则」, or a second rule's title alone); None in the body, or
    in an annex its 「附件N」 line alone names. A client quoting 「第十一条」 of the second of two attached 办法
    must say which."""
    words = (part or "").split(" ")
    if _ANNEX_LINE.fullmatch(words[0]):
        words = words[1:]
    title = "".join(takewhile(lambda w: heading_number(w) is None, words))
    return title if len(title) >= _TITLE_MIN else None


def _annexes(segments: list[Segment], attached: int | None) -> tuple[list[Segment], list[tuple[str, list[Segment]]]]:
    """The body and each annex after it, labelled by its 「附件N」 line and the title under it, or by its title
    alone when it has no such line.

    A 「附件」 line before the body's first heading is the notice's or a list of attachments, not one.
    """
    start = attached + 1 if attached is not None else 0
    marks = [i for i in range(start, len(segments)) if (segments[i].kind == "attachment" or retitled(segments, i))
             and any(s.kind in STRUCTURE for s in segments[start:i])]
    # 「附件：」 over the names of the attachments (「1.上海市零碳园区建设基本条件」) opens none.
    cuts = [i for i, end in zip(marks, [*marks[1:], len(segments)]) if any(
        s.kind in STRUCTURE or s.kind == "sentence" and not is_header_line(s.text) for s in segments[i + 1:end])]
    annexes = []
    for at, end in zip(cuts, [*cuts[1:], len(segments)]):
        label, rest = "".join(segments[at].text.split()).rstrip("：:"), segments[at + 1:end]
        # 「（截至××年第×季度）」 is no title, nor the annex's own 「第一章总则」
        if rest and (rest[0].kind == "doc_title" or rest[0].kind == "sentence" and is_header_line(rest[0].text)
                     and not rest[0].text.startswith(("（", "(")) and heading_number(rest[0].text) is None):
            label, rest = f"{label} {rest[0].text}", rest[1:]
        annexes.append((label, rest))
    return (segments[:cuts[0]] if cuts else segments), annexes


def _attachment_index(segments, info: DocumentInfo) -> int | None:
    """Where the attached policy starts in a 印发 notice: a 「附件」 line followed by its title."""
    if not info.notice_title:
        return None
    key = _title_key(info.title)
    for i, seg in enumerate(segments):
        if seg.kind != "attachment":
            continue
        after = next((s for s in segments[i + 1:] if s.kind not in _META), None)
        if after is not None and key and _title_key(after.text).startswith(key[: max(4, len(key) // 2)]):
            return i
    return None


def _title_key(text: str) -> str:
    return "".join(ch for ch in text if ch not in " 《》〈〉“”\"")


class _Walk:
    """The state of one pass over the segments, in the order they stand."""

    def __init__(self, info: DocumentInfo, attachment: int | None):
        self.info = info
        self.attachment = attachment
        self.drafts: list[Draft] = []
        self.notice = self._new(Draft("front", None, NOTICE))
        self.preamble: Draft | None = None
        # Before a body heading, wording is the notice's (when the document is a notice) or the preamble.
        self.front = True
        self.front_draft = self.notice if info.notice_title else self._preamble()
        self.current = self.front_draft
        self.parts: list[str] = []
        self.part_starts: list[tuple[int, int]] = []  # (first measure number after a part heading, part)
        self.pending_part: int | None = None
        self.chapter: str | None = None
        self.expect_preamble = False
        self.first_leads = False  # a note said 「列第一位者为牵头单位，下同」
        self.titles: dict[int, str | None] = {}  # measure number → its title, to see numbering restart
        self.restarts = False  # measures are numbered per part
        self.run_end: int | None = None  # number of the last item seen, in any measure
        self.strays: list[Draft] = []

    def _new(self, draft: Draft) -> Draft:
        self.drafts.append(draft)
        return draft

    def _preamble(self) -> Draft:
        if self.preamble is None:
            self.preamble = self._new(Draft("front", None, FRONT))
        return self.preamble

    def step(self, i: int, seg: Segment) -> None:
        if self.attachment is not None and i <= self.attachment:
            self._notice_text(seg)
            if i == self.attachment:
                self.front, self.front_draft = True, self._preamble()
                self.current = self.front_draft
            return
        if seg.kind in _META or seg.kind == "attachment":
            self.expect_preamble = False
            return
        if seg.kind == "doc_title":
            if self.front:  # the attached policy begins: what follows is its preamble
                self.front_draft = self.current = self._preamble()
            else:  # a title scattered by a careless copy; the sentence after it is the preamble
                self.expect_preamble = True
            return
        if self.expect_preamble and seg.kind == "sentence":
            self._preamble().add(Sentence(seg.text, (seg.start, seg.end)))
            self.expect_preamble = False
            return
        self.expect_preamble = False
        handler = getattr(self, f"_{seg.kind}", None)
        if handler is not None:
            handler(seg)

    def _notice_text(self, seg: Segment) -> None:
        """Everything before a notice's 「附件」 is the notice's own text, its headings included."""
        if seg.kind == "units":
            note = read_note(seg.title or "")
            self.notice.close(note.units, note.lead, seg.title or "")
        elif seg.kind not in (*_META, "doc_title", "attachment") and not is_header_line(seg.text):
            self.notice.add(Sentence(seg.text, (seg.start, seg.end)))

    # --- headings -------------------------------------------------------------------------

    def _division(self, label: str, wording: Segment | None = None) -> None:
        self.front = False
        self.parts.append(label)
        self.pending_part = len(self.parts) - 1
        # A part's own text (a 工作目标 paragraph) stands before its first measure.
        self.current = self._new(Draft("part", None, label, part=self.pending_part))
        if wording is not None:
            self.current.add(Sentence(wording.text, (wording.start, wording.end)))

    def _part(self, seg: Segment) -> None:
        label = paragraph_label(seg.title)
        self._division(f"{int_to_cn(seg.number)}、{label or seg.title}", seg if label else None)

    def _chapter(self, seg: Segment) -> None:
        self.chapter = seg.text
        self._division(seg.text)

    def _section(self, seg: Segment) -> None:
        # Sections are numbered within their chapter; the label keeps both.
        self._division(f"{self.chapter} {seg.text}" if self.chapter else seg.text)

    def _measure(self, seg: Segment) -> None:
        self.front = False
        seen = self.titles.setdefault(seg.number, seg.title)
        self.restarts = self.restarts or seen != seg.title
        heading = Sentence(seg.text, (seg.start, seg.end))
        part = len(self.parts) - 1 if self.parts else None
        self.current = self._new(Draft(seg.kind, seg.number, seg.title, part=part, heading=heading))
        if reads_as_sentence(seg.title):
            self.current.add(heading)
        if self.pending_part is not None:
            self.part_starts.append((seg.number, self.pending_part))
            self.pending_part = None

    _article = _measure

    def _item(self, seg: Segment) -> None:
        span = (seg.start, seg.end)
        if self.current.kind == "article":
            # A 项 of an article is part of its wording, label and all.
            self.current.add(Sentence(seg.text, span))
            return
        if not starts_own_run(self.current, seg.number, self.run_end):
            owner = self.current.after if self.current in self.strays else self.current
            part = len(self.parts) - 1 if self.parts else None
            self.current = self._new(Draft("measure", None, UNLABELLED, part=part, after=owner))
            self.strays.append(self.current)
        self.current.item(seg.number, seg.title, span)
        if reads_as_sentence(seg.title):
            self.current.add(Sentence(seg.text, span))
        self.run_end = seg.number

    # --- content --------------------------------------------------------------------------

    def _units(self, seg: Segment) -> None:
        note = read_note(seg.title or "")
        if self.first_leads:
            note = with_first_lead(note)
        self.first_leads = self.first_leads or note.lasting
        self.current.close(note.units, note.lead, seg.title or "")

    def _sentence(self, seg: Segment) -> None:
        if self.front and is_header_line(seg.text):
            return
        self.current.add(Sentence(seg.text, (seg.start, seg.end)))

    # --- the outline ----------------------------------------------------------------------

    def document(self) -> Document:
        placed = self._merge([d for d in self.drafts if d not in self.strays])
        measures = [d for d in placed if d.kind == "measure" and d.number is not None]
        unplaced = place_strays(self.strays, measures)
        drafts = sorted(placed + self._merge(unplaced), key=self._order)
        out = [m for d in drafts
               if (m := d.freeze(self.info.title, self._part_label(d))).text or any(it.number for it in m.items)]
        preamble = self.preamble.freeze(self.info.title, None).text if self.preamble else ""
        return Document(replace(self.info, preamble=self.info.preamble or preamble or None), tuple(out))

    def _key(self, d: Draft):
        """What makes two drafts one measure: a repeated copy of it in a noisy file."""
        if d.kind in ("front", "part") or d.number is None:
            # Runs without a heading are one measure per part: nothing else tells them apart.
            return (d.kind, d.title, self._part_index(d))
        # Where parts restart their numbering, a part may hold two lists, each from （一）.
        return (d.kind, d.number, d.part, d.title) if self.restarts else (d.kind, d.number)

    def _merge(self, drafts: list[Draft]) -> list[Draft]:
        merged: dict[tuple, Draft] = {}
        for d in drafts:
            key = self._key(d)
            if key in merged:
                merged[key].items.extend(d.items)
            else:
                merged[key] = d
        return list(merged.values())

    def _part_index(self, d: Draft) -> int | None:
        if d.kind == "front":
            return None
        if d.after is not None:
            return self._part_index(d.after)
        if d.kind == "part" or self.restarts or d.number is None:
            return d.part
        candidates = [(first, p) for first, p in self.part_starts if first <= d.number]
        return max(candidates)[1] if candidates else None

    def _part_label(self, d: Draft) -> str | None:
        index = self._part_index(d)
        return None if index is None else self.parts[index]

    def _order(self, d: Draft) -> tuple:
        if d.kind == "front":
            return (0, 0, 0 if d.title == NOTICE else 1)
        return (1, *self._place(d))

    def _place(self, d: Draft) -> tuple[float, float]:
        """(part rank, position in it). Numbered through the document, measures go by number
        (a careless copy shuffles them), a part's own text before them and a run without a
        heading just after the measure it follows; numbered per part, everything stays where it stands."""
        if self.restarts:
            part = self._part_index(d)
            return (part if part is not None else -1), self.drafts.index(d)
        if d.after is not None:
            return 0, self._place(d.after)[1] + 0.5
        if d.number is not None:
            return 0, d.number
        following = [first for first, p in self.part_starts if p == d.part]
        if following:
            return 0, following[0] - 0.5
        before = [x.number for x in self.drafts[: self.drafts.index(d)] if x.number is not None]
        return 0, (before[-1] if before else 0) + 0.25

