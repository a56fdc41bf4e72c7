"""Light normalisation of a document's lines for reading its identity.

Only what hides the shape of a header is undone: full-width digits and Latin letters
(２０２１年), invisible characters, Markdown markers and letter-spaced words (国 务 院).
The wording itself is never changed.
"""

from __future__ import annotations

import re

_WIDE = {**{0xFF10 + i: 0x30 + i for i in range(10)},
         **{0xFF21 + i: 0x41 + i for i in range(26)},
         **{0xFF41 + i: 0x61 + i for i in range(26)}}
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"), None)
_SPACES = {0x3000: " ", 0xA0: " ", 0x2002: " ", 0x2003: " ", 0x2009: " "}
_MARKDOWN = re.compile(r"^(?:#{1,6}\s*|>\s*)+|\*\*|__")
_CJK = "\u3400-\u9fff"
# Three or more single characters separated by spaces is letter-spacing from a PDF or a
# centred heading, never a list of names (names are longer than one character).
_LETTER_SPACED = re.compile(rf"(?<![{_CJK}])[{_CJK}](?: +[{_CJK}](?![{_CJK}])){{2,}}")
SENTENCE_PUNCT = "。；！？：:;!?"


def fold(text: str) -> str:
    """Full-width digits and letters to ASCII, odd spaces to a plain space, invisibles removed."""
    return text.translate(_WIDE).translate(_INVISIBLE).translate(_SPACES)


def prepare_lines(text: str) -> list[str]:
    """The text's lines, folded, stripped of Markdown markers and letter-spacing."""
    lines = []
    for raw in fold(text).splitlines():
        line = _MARKDOWN.sub("", raw.strip()).strip()
        lines.append(_LETTER_SPACED.sub(lambda m: re.sub(r" +", "", m.group()), line))
    return lines


def squeeze(text: str) -> str:
    """Remove all whitespace: titles and names never carry meaningful spaces inside a word."""
    return re.sub(r"\s+", "", text)


def tidy(text: str) -> str:
    """Whitespace dropped next to Chinese characters (kept between two Latin words)."""
    return re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", text.strip())


def has_sentence_punct(text: str) -> bool:
    return any(ch in SENTENCE_PUNCT for ch in text)
