"""Character classes the noise rules share: what counts as Chinese, and how wide a character prints."""

from __future__ import annotations

# Ideographs, CJK punctuation (、。〔〕《》「」…), full-width forms (，：；（）) and the curly quotes
# Chinese text sets with them.
CJK = "\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef“”‘’"
# Horizontal white space, including the ideographic space U+3000 and the no-break spaces; spelled
# out (no ranges) so that it serves both str.strip and a regex character class.
BLANK = " \t\u00a0" + "".join(map(chr, range(0x2002, 0x200B))) + "\u202f\u205f\u3000"

# Only full-width digits and Latin letters become ASCII; full-width punctuation is the
# published form of Chinese text and stays.
HALF_WIDTH = {
    **{0xFF10 + i: chr(0x30 + i) for i in range(10)},
    **{0xFF21 + i: chr(0x41 + i) for i in range(26)},
    **{0xFF41 + i: chr(0x61 + i) for i in range(26)},
}


# Dashes, curly quotes and the ellipsis print full width in Chinese fonts.
_WIDE_PUNCTUATION = frozenset("—“”‘’…")


def is_wide(ch: str) -> bool:
    o = ord(ch)
    return ch in _WIDE_PUNCTUATION or 0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFE30 <= o <= 0xFE4F or 0xFF00 <= o <= 0xFF60


def print_width(line: str) -> float:
    """Width in ems as a proportional font sets it: a Chinese character is one, Latin and digits about half."""
    return sum(1.0 if is_wide(ch) else 0.5 for ch in line)
