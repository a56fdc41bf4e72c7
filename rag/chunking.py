"""Measures → retrievable chunks that never cross a measure or item boundary.

A measure is split at its items, then at the 责任单位 notes that close its blocks, then
at sentence ends, so that each chunk stays near ``max_chars`` Chinese characters (well
inside the encoder's 512 tokens). Very short measures stay whole.
"""

from __future__ import annotations

import hashlib

from rag.measures import Document, Item, Measure, Sentence
from rag.types import Chunk

MAX_CHARS = 350
MIN_CHARS = 80


def chunk_documents(documents: list[Document], max_chars: int = MAX_CHARS, min_chars: int = MIN_CHARS) -> list[Chunk]:
    """All chunks of all documents, in outline order."""
    return [c for d in documents for m in d.measures for c in chunk_measure(m, max_chars, min_chars)]


def chunk_measure(measure: Measure, max_chars: int = MAX_CHARS, min_chars: int = MIN_CHARS) -> list[Chunk]:
    chunks = []
    for item in measure.items:
        for sentences, units in _pack(item, measure.responsible_units, max_chars, min_chars):
            chunks.append(_make(measure, item, sentences, units))
    return chunks


def _pack(item: Item, fallback_units: tuple[str, ...], max_chars: int, min_chars: int):
    """Greedy packing of (sentence, units) pairs; closes at block ends once long enough."""
    if not any(b.sentences for b in item.blocks):
        # An item with a heading and no body: its title is the only wording it has.
        span_units = tuple(u for b in item.blocks for u in b.units) or fallback_units
        yield [Sentence(f"{item.title}。", item.span)], span_units
        return
    groups: list[tuple[list[Sentence], list[str]]] = [([], [])]
    for block in item.blocks:
        units = block.units or fallback_units
        for sentence in block.sentences:
            body, unit_list = groups[-1]
            if body and _length(body) + len(sentence.text) > max_chars:
                groups.append(([], []))
                body, unit_list = groups[-1]
            body.append(sentence)
            unit_list.extend(u for u in units if u not in unit_list)
        if _length(groups[-1][0]) >= min_chars:
            groups.append(([], []))
    groups = [g for g in groups if g[0]]
    if len(groups) > 1 and _length(groups[-1][0]) < min_chars and _length(groups[-2][0]) + _length(groups[-1][0]) <= max_chars:
        tail = groups.pop()
        groups[-1][0].extend(tail[0])
        groups[-1][1].extend(u for u in tail[1] if u not in groups[-1][1])
    for body, units in groups:
        yield body, tuple(units)


def _length(sentences: list[Sentence]) -> int:
    return sum(len(s.text) for s in sentences)


def _make(measure: Measure, item: Item, sentences: list[Sentence], units: tuple[str, ...]) -> Chunk:
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
    )


def _merge_spans(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((a, b) for a, b in merged)
