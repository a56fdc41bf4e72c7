"""The accumulator of one measure while the segment stream is walked, and how headings read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.corpus.records import Block, Item, Measure, MeasureKind, Sentence

# A heading "title" with clause punctuation may be the measure's first sentence
# (「（一）借鉴…经验，放宽…限制。」): its wording is then content too. A part heading that
# runs on past a sentence end is a paragraph (「二、资产管理业务是指…。…」), labelled by its
# first clause.
_CLAUSE = re.compile(r"[，,；;：:。！？]")
_SENTENCE_END = re.compile(r"[。！？]")
# A line above the body with no punctuation at all is header matter (a wrapped title, a
# letterhead, a 文号, a 题注 such as 「2019年10月8日 国务院第66次常务会议通过」), which
# identity reads; a salutation ends in ：, and the notice and preamble are sentences.
_PUNCTUATED = re.compile(r"[。！？；：:，,]")


@dataclass(eq=False)
class Draft:
    """Mutable accumulator for one measure while the stream is walked."""

    kind: MeasureKind
    number: int | None
    title: str | None
    part: int | None = None  # index of the part heading it stands under
    heading: Sentence | None = None  # the heading as written: the wording of a measure that has no other
    after: Draft | None = None  # for a run without a heading: the measure it follows
    items: list[list] = field(default_factory=list)  # [number, title, blocks, open sentences, span]

    def item(self, number: int | None, title: str | None, span: tuple[int, int] = (0, 0)) -> None:
        self.items.append([number, title, [], [], span])

    def add(self, sentence: Sentence) -> None:
        if not self.items:
            self.item(None, None)
        self.items[-1][3].append(sentence)

    def close(self, units: tuple[str, ...], lead: tuple[str, ...] = (), note: str = "") -> None:
        if not self.items:
            self.item(None, None)
        current = self.items[-1]
        current[2].append(Block(tuple(current[3]), units, lead, note))
        current[3] = []

    @property
    def last_item(self) -> int | None:
        numbers = [it[0] for it in self.items if it[0] is not None]
        return numbers[-1] if numbers else None

    @property
    def first_item(self) -> int | None:
        return next((it[0] for it in self.items if it[0] is not None), None)

    def freeze(self, document: str, part: str | None) -> Measure:
        items = []
        for number, title, blocks, open_, span in self.items:
            blocks = blocks + ([Block(tuple(open_), ())] if open_ else [])
            items.append(Item(number, title, tuple(blocks), span))
        if self.heading is not None and not any(it.number or any(b.sentences for b in it.blocks) for it in items):
            # A measure that is only its heading (「（三）将…下放至自贸试验区。（负责部门：…）」):
            # the heading is its wording, number and all, so a citation reads as written.
            notes = tuple(b for it in items for b in it.blocks)
            units = tuple(dict.fromkeys(u for b in notes for u in b.units))
            lead = tuple(dict.fromkeys(u for b in notes for u in b.lead))
            written = "；".join(dict.fromkeys(b.note for b in notes if b.note))
            items = [Item(None, None, (Block((self.heading,), units, lead, written),))]
        return Measure(document, part, self.number, self.title, tuple(items), self.kind)


def paragraph_label(title: str | None) -> str | None:
    """The label of a part heading that is a paragraph: its first clause; None for a true title."""
    if title is None or not _SENTENCE_END.search(title):
        return None
    return re.split(r"[，,；;：:。！？]", title, maxsplit=1)[0] or None


def reads_as_sentence(title: str | None) -> bool:
    return bool(title and _CLAUSE.search(title))


def is_header_line(text: str) -> bool:
    return not _PUNCTUATED.search(text)
