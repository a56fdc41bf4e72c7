"""Measures → retrievable chunks that never cross a measure or item boundary.

A measure is split at its items, then at the 责任单位 notes that close its blocks, then
at sentence ends, so that each chunk stays near ``max_chars`` Chinese characters. Very
short measures stay whole. An article is never split: its lead-in and its 项 are one
statement, and a chunk is only what a citation shows (retrieval embeds its sentences one
by one, so a long chunk costs the encoder nothing).
"""

from __future__ import annotations

import hashlib

from rag.corpus.measures import Document, Item, Measure, Sentence
from rag.types import Chunk

MAX_CHARS = 350
MIN_CHARS = 80


def chunk_documents(documents: list[Document], max_chars: int = MAX_CHARS, min_chars: int = MIN_CHARS) -> list[Chunk]:
    """All chunks of all documents, in outline order."""
    return [c for d in documents for m in d.measures for c in chunk_measure(m, max_chars, min_chars, d.info.id)]


def chunk_measure(measure: Measure, max_chars: int = MAX_CHARS, min_chars: int = MIN_CHARS,
                  document_id: str = "") -> list[Chunk]:
    fallback = _Units(measure.responsible_units, measure.lead_units, measure.notes)
    if measure.kind == "article":
        sentences = [s for item in measure.items for b in item.blocks for s in b.sentences]
        whole = Item(None, None, tuple(b for item in measure.items for b in item.blocks))
        return [_make(measure, whole, sentences, _block_units(whole.blocks, fallback), document_id)]
    chunks = []
    for item in measure.items:
        for sentences, units in _pack(item, fallback, max_chars, min_chars):
            chunks.append(_make(measure, item, sentences, units, document_id))
    return chunks


class _Units:
    """The units of a chunk in the order met, with the lead units among them and the notes as written."""

    def __init__(self, units: tuple[str, ...] = (), lead: tuple[str, ...] = (), notes: tuple[str, ...] = ()):
        self.units: list[str] = list(dict.fromkeys(units))
        self.lead: list[str] = list(dict.fromkeys(lead))
        self.notes: list[str] = list(dict.fromkeys(notes))

    @classmethod
    def of(cls, block) -> _Units:
        return cls(block.units, block.lead, (block.note,) if block.note else ())

    def extend(self, other: _Units) -> None:
        self.units.extend(u for u in other.units if u not in self.units)
        self.lead.extend(u for u in other.lead if u not in self.lead)
        self.notes.extend(n for n in other.notes if n not in self.notes)

    def ordered(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(all units, lead first; the lead units)."""
        return tuple(dict.fromkeys(self.lead + self.units)), tuple(self.lead)


def _block_units(blocks, fallback: _Units) -> _Units:
    out = _Units()
    for block in blocks:
        out.extend(_Units.of(block) if block.units else fallback)
    return out


def _pack(item: Item, fallback: _Units, max_chars: int, min_chars: int):
    """Greedy packing of (sentence, units) pairs; closes at block ends once long enough."""
    if not any(b.sentences for b in item.blocks):
        # An item with a heading and no body: its title is the only wording it has.
        yield [Sentence(f"{item.title}。", item.span)], _block_units(item.blocks, fallback)
        return
    groups: list[tuple[list[Sentence], _Units]] = [([], _Units())]
    for block in item.blocks:
        units = _Units.of(block) if block.units else fallback
        for sentence in block.sentences:
            body, unit_list = groups[-1]
            if body and _length(body) + len(sentence.text) > max_chars:
                groups.append(([], _Units()))
                body, unit_list = groups[-1]
            body.append(sentence)
            unit_list.extend(units)
        if _length(groups[-1][0]) >= min_chars:
            groups.append(([], _Units()))
    groups = [g for g in groups if g[0]]
    if len(groups) > 1 and _length(groups[-1][0]) < min_chars and _length(groups[-2][0]) + _length(groups[-1][0]) <= max_chars:
        tail = groups.pop()
        groups[-1][0].extend(tail[0])
        groups[-1][1].extend(tail[1])
    yield from groups


def _length(sentences: list[Sentence]) -> int:
    return sum(len(s.text) for s in sentences)


def _make(measure: Measure, item: Item, sentences: list[Sentence], found: _Units, document_id: str) -> Chunk:
    units, lead = found.ordered()
    text = "".join(s.text for s in sentences)
    spans = _merge_spans([s.span for s in sentences])
    key = "\x1f".join((measure.document, measure.heading, item.label or "", text))
    return Chunk(
        id=hashlib.sha1(key.encode("utf-8")).hexdigest()[:16],
        document=measure.document,
        part=measure.part,
        measure=measure.heading,
        item=item.label,
        text=text,
        responsible_units=units,
        spans=spans,
        document_id=document_id,
        lead_units=lead,
        notes=tuple(found.notes),
    )


def _merge_spans(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((a, b) for a, b in merged)
