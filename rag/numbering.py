"""Chinese policy numbering: 一、 / （一） / 1. and 第一章 / 第一条, and the numerals in them."""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUM = "零〇一二两三四五六七八九十百千"


def cn_to_int(s: str) -> int:
    """Value of a Chinese numeral such as 十二, 二十, 一百零三; ASCII digits pass through."""
    if s.isdigit():
        return int(s)
    total, current = 0, 0
    for ch in s:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch in _UNITS:
            total += (current or 1) * _UNITS[ch]
            current = 0
        else:
            raise ValueError(f"not a Chinese numeral: {s!r}")
    return total + current


def int_to_cn(n: int) -> str:
    """Inverse of :func:`cn_to_int` for 1–99, the range policy numbering uses."""
    if not 0 < n < 100:
        raise ValueError(f"numbering outside 1–99: {n}")
    tens, ones = divmod(n, 10)
    digits = "零一二三四五六七八九"
    head = "" if tens == 0 else ("十" if tens == 1 else digits[tens] + "十")
    return head + (digits[ones] if ones else "")


# Headings are recognised only at a segment boundary; the patterns below are anchored
# with ``match`` at that position by the segmenter.
PART = re.compile(rf"([{CN_NUM}]{{1,3}})、")
MEASURE = re.compile(rf"[（(]([{CN_NUM}]{{1,3}})[）)]")
ITEM = re.compile(r"(\d{1,2})[.．、](?!\d)")
CHAPTER = re.compile(rf"第([{CN_NUM}\d]{{1,4}})章")
ARTICLE = re.compile(rf"第([{CN_NUM}\d]{{1,4}})条")
UNITS = re.compile(r"[（(]责任单位[:：]([^）)]*)[）)]")
