"""Cleaning extraction noise without rewriting the wording, keeping an offset map to the source.

Three profiles, one per kind of source:

* ``plain`` (.txt/.md): only what cannot change a clean text: full-width digits and Latin
  letters become ASCII, and decorated page-number lines (— 3 —, 第3页 共10页) go, as does such a
  number left inside a line between two Chinese characters (余— 9 —额).
* ``flow`` (DOCX paragraphs, HTML blocks: the line breaks are real): ``plain`` plus white
  space next to Chinese characters and at line edges, and blank lines.
* ``paged`` (PDF text, pages separated by form feeds): ``flow`` plus page numbers and running
  headers/footers at page edges, and lines wrapped at the margin joined again.

Chinese punctuation (，。：；（）“”《》〔〕、) is never touched, which is why this is not NFKC:
NFKC would turn （ into ( and ： into :.
"""

from __future__ import annotations

import re
from typing import Literal

from rag.corpus.intake.chars import BLANK, CJK, HALF_WIDTH
from rag.corpus.intake.offsets import MappedText, OffsetMap
from rag.corpus.intake.page_furniture import DECORATED_PAGE_NUMBER, INLINE_PAGE_NUMBER, remove_page_furniture
from rag.corpus.intake.wrapping import join_wrapped_lines

Profile = Literal["plain", "flow", "paged"]

# White space touching a Chinese character on either side: PDF and web pages put it between
# characters (关 于 印 发) and around numbers (2019 年); Chinese typesetting has none.
SPACE_NEAR_CJK = re.compile(rf"(?<=[{CJK}])[{BLANK}]+|[{BLANK}]+(?=[{CJK}])")
# Letter-spaced titles come out of a PDF as 〔2 0 2 4〕: a spaced run of digits between Chinese characters.
_SPACED_DIGITS = re.compile(rf"(?<=[{CJK}])\d(?:[{BLANK}]\d)+(?=[{CJK}])")
_DECORATED_LINE = re.compile(rf"(?m)^{DECORATED_PAGE_NUMBER.pattern}\r?(?:\n|$)")
_LINE_EDGE_SPACE = re.compile(rf"(?m)^[{BLANK}]+|[{BLANK}]+$")
_BLANK_LINES = re.compile(r"\n{2,}")
_OUTER_NEWLINES = re.compile(r"^\n+|\n+$")


def clean(source: str, profile: Profile) -> tuple[str, OffsetMap]:
    """The cleaned text and the map from its offsets to ``source``'s."""
    doc = MappedText(source).translate(HALF_WIDTH)
    if profile == "plain":
        doc = doc.sub(_DECORATED_LINE, "")
    elif profile == "flow":
        doc = doc.sub(_DECORATED_LINE, "").sub(_LINE_EDGE_SPACE, "").sub(_BLANK_LINES, "\n")
        doc = doc.sub(SPACE_NEAR_CJK, "")
        doc = doc.sub(_OUTER_NEWLINES, "")
    else:
        doc = remove_page_furniture(doc).translate({ord("\f"): "\n"})
        # Spaces go before lines are joined: a letter-spaced title (上 海 市 … 的 通 知) must read
        # as a title, and a line's width is counted without them.
        doc = _collapse_spaced_digits(doc.sub(SPACE_NEAR_CJK, ""))
        doc = join_wrapped_lines(doc)
    # after the whole-line numbers: one of them between two lines must take its line break with it
    doc = doc.sub(INLINE_PAGE_NUMBER, "")
    return doc.text, doc.offset_map()


def _collapse_spaced_digits(doc: MappedText) -> MappedText:
    return doc.splice([(m.start() + i, m.start() + i + 1, "") for m in _SPACED_DIGITS.finditer(doc.text)
                       for i, ch in enumerate(m.group()) if not ch.isdigit()])


def squeeze(text: str) -> str:
    """The two normalisations every profile but ``plain`` applies, for comparing a source with its extraction."""
    return SPACE_NEAR_CJK.sub("", text.translate(HALF_WIDTH))
