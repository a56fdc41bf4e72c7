"""Page furniture in extracted PDF text: page numbers and running headers or footers.

Pages arrive separated by form feeds. Only lines at the top or bottom edge of a page are
candidates, so a number or a repeated phrase inside the body is never touched.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from rag.corpus.intake.chars import BLANK, CJK, HALF_WIDTH
from rag.corpus.intake.offsets import MappedText

EDGE_LINES = 3  # how deep into the top and the bottom of a page furniture may sit
MAX_FURNITURE_CHARS = 40

_DASH = "-—–－―~～·•"
# Unmistakable page numbers: decorated, or spelled out with 第…页. A clean text never has
# such a line, so they go wherever they stand.
DECORATED_PAGE_NUMBER = re.compile(
    rf"[{BLANK}]*(?:[{_DASH}]+[{BLANK}]*\d{{1,4}}[{BLANK}]*[{_DASH}]+"
    rf"|第[{BLANK}]*\d{{1,4}}[{BLANK}]*页(?:[{BLANK}]*[，,/]?[{BLANK}]*共[{BLANK}]*\d{{1,4}}[{BLANK}]*页)?"
    rf"|共[{BLANK}]*\d{{1,4}}[{BLANK}]*页[{BLANK}]*[，,]?[{BLANK}]*第[{BLANK}]*\d{{1,4}}[{BLANK}]*页"
    rf"|[Pp]age[{BLANK}]+\d{{1,4}}(?:[{BLANK}]+of[{BLANK}]+\d{{1,4}})?)[{BLANK}]*"
)
# A text copied out of a PDF may have joined a page's last line to the next page's first across its
# number: 「…贷款余— 9 —额」, or left it at the end of the line (「…贷款余— 9 —⏎额」). Spaced inside its
# dashes and after a Chinese character, it is no range.
INLINE_PAGE_NUMBER = re.compile(rf"(?<=[{CJK}])[{_DASH}]+[{BLANK}]+\d{{1,4}}[{BLANK}]+[{_DASH}]+(?=\n?[{CJK}])")
# A bare 3 or 3/10 is a page number only at a page edge.
_BARE_PAGE_NUMBER = re.compile(rf"[{BLANK}]*\d{{1,4}}(?:[{BLANK}]*/[{BLANK}]*\d{{1,4}})?[{BLANK}]*")
_LINE = re.compile(r"[^\n\f]*")
_SENTENCE_END = tuple("。；！？：，、")
_WIDTH = {k: v for k, v in HALF_WIDTH.items() if v.isdigit()}


def is_page_number(line: str) -> bool:
    line = line.translate(_WIDTH)
    return bool(DECORATED_PAGE_NUMBER.fullmatch(line) or _BARE_PAGE_NUMBER.fullmatch(line))


def remove_page_furniture(doc: MappedText) -> MappedText:
    """Delete page numbers and running headers/footers at page edges; pages stay form-feed separated."""
    edges = [[(side, doc.text[s:e], (s, e)) for side, (s, e) in _edge_lines(lines)] for lines in _pages(doc.text)]
    running = _running_keys(edges)
    doomed: list[tuple[int, int]] = []
    for lines in edges:
        seen: set[tuple[str, str]] = set()
        for side, text, span in lines:
            key = _key(text)
            # A running header stands once per edge: a title line that happens to read the
            # same just below it on the first page is the document's own.
            if is_page_number(text):
                doomed.append(span)
            elif key in running and (side, key) not in seen:
                doomed.append(span)
                seen.add((side, key))
    return doc.splice([(s, e, "") for s, e in sorted(set(doomed))])


def _pages(text: str) -> list[list[tuple[int, int]]]:
    """Each page's non-blank lines, as spans of ``text``."""
    pages = []
    pos = 0
    for page in text.split("\f"):
        pages.append([(pos + m.start(), pos + m.end()) for m in _LINE.finditer(page) if m.group().strip()])
        pos += len(page) + 1
    return pages


def _edge_lines(lines: list[tuple[int, int]]) -> list[tuple[str, tuple[int, int]]]:
    top = [("top", span) for span in lines[:EDGE_LINES]]
    bottom = [("bottom", span) for span in lines[EDGE_LINES:][-EDGE_LINES:]]
    return top + bottom


def _key(line: str) -> str:
    """A line as running headers are compared: without spaces, every number alike (第3期, 2024年)."""
    return re.sub(r"\d+", "#", re.sub(rf"[{BLANK}]+", "", line.translate(_WIDTH)))


def _running_keys(edges: list[list[tuple[str, str, tuple[int, int]]]]) -> set[str]:
    """Short edge lines that recur on at least half the pages, and on two at least."""
    if len(edges) < 2:
        return set()
    pages_with: Counter[str] = Counter()
    for lines in edges:
        # A header is a name (短标题, …人民政府文件), never a sentence: a line ending in 。 or ；
        # at the top of two pages is the policy repeating itself.
        pages_with.update({_key(text) for _side, text, _span in lines
                           if len(text.strip()) <= MAX_FURNITURE_CHARS and not text.rstrip().endswith(_SENTENCE_END)})
    needed = max(2, math.ceil(len(edges) / 2))
    return {key for key, n in pages_with.items() if n >= needed and key}
