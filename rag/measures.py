"""Structure: the de-duplicated segment stream → document metadata, parts, measures, items.

Content is attributed to the heading it follows in the de-duplicated order. A measure's
part comes from the numbering (measures are numbered through the whole document), so a
measure heading that surfaces after a later part heading still files under its own part.
Metadata that the noisy copy scatters (the signature, the policy's own title and its
preamble) is lifted out without changing which measure the following text belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.cleaning import Segment
from rag.numbering import int_to_cn

FRONT = "前言"
NOTICE = "印发通知"


@dataclass(frozen=True)
class Sentence:
    text: str
    span: tuple[int, int]


@dataclass(frozen=True)
class Block:
    """Consecutive sentences and the 责任单位 note that closes them (if any)."""

    sentences: tuple[Sentence, ...]
    units: tuple[str, ...]


@dataclass(frozen=True)
class Item:
    number: int | None
    title: str | None
    blocks: tuple[Block, ...]
    span: tuple[int, int] = (0, 0)  # where the item heading stands in the raw file

    @property
    def label(self) -> str | None:
        return None if self.number is None else f"{self.number}.{self.title or ''}"


@dataclass(frozen=True)
class Measure:
    """A numbered measure （六） or article 第六条, with its items and responsible units."""

    document: str
    part: str | None
    number: int | None
    title: str | None
    items: tuple[Item, ...]
    kind: str = "measure"  # measure | article | front

    @property
    def heading(self) -> str:
        if self.kind == "front" or self.number is None:
            return self.title or FRONT
        if self.kind == "article":
            return f"第{int_to_cn(self.number)}条" + (f" {self.title}" if self.title else "")
        return f"（{int_to_cn(self.number)}）{self.title or ''}"

    @property
    def responsible_units(self) -> tuple[str, ...]:
        units = (u for item in self.items for b in item.blocks for u in b.units)
        return tuple(dict.fromkeys(units))

    @property
    def text(self) -> str:
        return "".join(s.text for item in self.items for b in item.blocks for s in b.sentences)


@dataclass(frozen=True)
class Document:
    title: str
    source: str
    measures: tuple[Measure, ...]
    notice_title: str | None = None
    issuer: str | None = None
    publish_date: str | None = None
    signing_date: str | None = None
    preamble: str | None = None


def split_units(note: str) -> tuple[str, ...]:
    """责任单位 list in source order, with 省/市 prefixes and suffixes distributed.

    ``省财政厅、国资委、金融监管局`` → 省财政厅, 省国资委, 省金融监管局;
    ``三明、南平市政府`` → 三明市政府, 南平市政府.
    """
    out: list[str] = []
    for group in re.split(r"[，,；;]", note):
        names = [n.strip() for n in re.split(r"[、]", group) if n.strip()]
        if not names:
            continue
        if names[0].startswith("省") and not names[0].startswith("省委"):
            names = [names[0]] + [n if n.startswith("省") else "省" + n for n in names[1:]]
        suffix = re.search(r"(市政府|县政府|区政府)$", names[-1])
        if suffix and len(names) > 1 and all(len(n) <= 3 for n in names[:-1]):
            names = [n + suffix.group(1) for n in names[:-1]] + [names[-1]]
        out.extend(names)
    return tuple(dict.fromkeys(out))


@dataclass
class _Draft:
    """Mutable accumulator for one measure while the stream is walked."""

    kind: str
    number: int | None
    title: str | None
    items: list[list] = field(default_factory=list)  # [number, title, blocks, open sentences, span]

    def item(self, number: int | None, title: str | None, span: tuple[int, int] = (0, 0)) -> None:
        self.items.append([number, title, [], [], span])

    def add(self, sentence: Sentence) -> None:
        if not self.items:
            self.item(None, None)
        self.items[-1][3].append(sentence)

    def close(self, units: tuple[str, ...]) -> None:
        if not self.items:
            self.item(None, None)
        current = self.items[-1]
        current[2].append(Block(tuple(current[3]), units))
        current[3] = []

    def freeze(self, document: str, part: str | None) -> Measure:
        items = []
        for number, title, blocks, open_, span in self.items:
            blocks = blocks + ([Block(tuple(open_), ())] if open_ else [])
            items.append(Item(number, title, tuple(blocks), span))
        return Measure(document, part, self.number, self.title, tuple(items), self.kind)


def parse_document(segments: list[Segment] | tuple[Segment, ...], source: str, fallback_title: str) -> Document:
    """Build the document outline from de-duplicated segments."""
    meta: dict[str, str] = {}
    parts: dict[int, str] = {}  # part number → "一、title"
    part_starts: list[tuple[int, int]] = []  # (first measure number seen after it, part)
    drafts: list[_Draft] = [_Draft("front", None, NOTICE)]
    current = drafts[0]
    pending_part: int | None = None
    expect_preamble = False
    for seg in segments:
        if seg.kind in ("notice_title", "publish_date", "signature", "doc_title"):
            _take_meta(seg, meta)
            expect_preamble = seg.kind == "doc_title"
            continue
        if expect_preamble and seg.kind == "sentence":
            meta.setdefault("preamble", seg.text)
            drafts.append(_Draft("front", None, FRONT))
            drafts[-1].add(Sentence(seg.text, (seg.start, seg.end)))
            expect_preamble = False
            continue
        expect_preamble = False
        if seg.kind in ("part", "chapter"):
            label = f"{int_to_cn(seg.number)}、{seg.title}" if seg.kind == "part" else seg.text
            parts[seg.number] = label
            pending_part = seg.number
        elif seg.kind in ("measure", "article"):
            current = _Draft(seg.kind, seg.number, seg.title)
            drafts.append(current)
            if pending_part is not None:
                part_starts.append((seg.number, pending_part))
                pending_part = None
        elif seg.kind == "item":
            current.item(seg.number, seg.title, (seg.start, seg.end))
        elif seg.kind == "units":
            current.close(split_units(seg.title or ""))
        elif seg.kind == "sentence":
            current.add(Sentence(seg.text, (seg.start, seg.end)))
    title = meta.get("doc_title") or meta.get("notice_title") or fallback_title
    measures = _assemble(drafts, title, parts, part_starts)
    return Document(title, source, measures, meta.get("notice_title"), meta.get("issuer"),
                    meta.get("publish_date"), meta.get("signing_date"), meta.get("preamble"))


def _take_meta(seg: Segment, meta: dict[str, str]) -> None:
    if seg.kind == "signature":
        meta.setdefault("issuer", seg.text.split(seg.title or "")[0].strip())
        meta.setdefault("signing_date", seg.title or "")
    elif seg.kind == "publish_date":
        meta.setdefault("publish_date", seg.title or "")
    else:
        meta.setdefault(seg.kind, seg.text)


def _assemble(drafts, title, parts, part_starts) -> tuple[Measure, ...]:
    """Merge repeated drafts of one measure, file each under its part, order by number."""
    merged: dict[tuple[str, int | None, str | None], _Draft] = {}
    for d in drafts:
        key = (d.kind, d.number, d.title if d.number is None else None)
        if key in merged:
            merged[key].items.extend(d.items)
        else:
            merged[key] = d
    measures = []
    for d in merged.values():
        m = d.freeze(title, _part_of(d, parts, part_starts))
        if any(b.sentences for it in m.items for b in it.blocks) or any(it.number for it in m.items):
            measures.append(m)
    order = {"front": 0, "measure": 1, "article": 1}
    front_order = {NOTICE: 0, FRONT: 1}
    return tuple(sorted(measures, key=lambda m: (order[m.kind], m.number or 0, front_order.get(m.title or "", 2))))


def _part_of(d: _Draft, parts: dict[int, str], part_starts: list[tuple[int, int]]) -> str | None:
    if d.number is None:
        return None
    candidates = [(first, p) for first, p in part_starts if first <= d.number]
    return parts[max(candidates)[1]] if candidates else None
