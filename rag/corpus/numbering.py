"""Chinese policy numbering: 一、 / （一） / 1. and 第一章 / 第一节 / 第一条, and the numerals in them."""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
LARGE_UNITS = {"万": 10**4, "亿": 10**8}
MAGNITUDES = {**SMALL_UNITS, **LARGE_UNITS}
CN_NUM = "零〇一二两三四五六七八九十百千"  # what heading numbers are written with
CN_NUMERALS = "".join(_DIGITS) + "".join(SMALL_UNITS)  # every character a numeral may start with
_CN_DIGITS = "零一二三四五六七八九"
MAX_NUMBER = 9999  # 民法典 has 1,260 articles


def chinese_value(run: str) -> int | None:
    """Value of a Chinese numeral (三, 十二, 两千, 十亿, 八万亿, 二〇二五, 壹佰); None if malformed."""
    if not run or any(ch not in _DIGITS and ch not in MAGNITUDES for ch in run):
        return None
    if not any(ch in MAGNITUDES for ch in run):
        # Positional digits, as in years written 二〇二五.
        return int("".join(str(_DIGITS[ch]) for ch in run))
    total, section, digit = 0, 0, None
    for ch in run:
        if ch in ("零", "〇"):
            continue
        if ch in _DIGITS:
            if digit is not None:
                return None  # 十四五 is a name, not a number
            digit = _DIGITS[ch]
        elif ch in SMALL_UNITS:
            section += (1 if digit is None else digit) * SMALL_UNITS[ch]
            digit = None
        else:
            section += digit or 0
            digit = None
            if ch == "亿":
                total, section = (total + section) * LARGE_UNITS[ch], 0
            else:
                total, section = total + section * LARGE_UNITS[ch], 0
    value = total + section + (digit or 0)
    return value or None


def number_or_none(s: str) -> int | None:
    """Value of a heading number such as 十二, 二十, 一百零三 (ASCII digits pass through); None if malformed.

    Nothing is numbered 0: 「低（零）碳热力」 is a word with a bracketed character, not measure （零）."""
    value = int(s) if s.isdigit() else chinese_value(s)
    return value or None


def cn_to_int(s: str) -> int:
    """:func:`number_or_none`, raising ValueError on a malformed numeral."""
    value = number_or_none(s)
    if value is None:
        raise ValueError(f"not a Chinese numeral: {s!r}")
    return value


def int_to_cn(n: int) -> str:
    """Inverse of :func:`cn_to_int` for 1–9999: 十二, 一百零一, 一百一十 (a law may have over a hundred articles)."""
    if not 0 < n <= MAX_NUMBER:
        raise ValueError(f"numbering outside 1–{MAX_NUMBER}: {n}")
    if 10 <= n < 20:
        return "十" + int_to_cn(n - 10) if n > 10 else "十"
    out, gap = "", False
    for unit, value in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        digit = n // value % 10
        if digit:
            out += ("零" if gap else "") + _CN_DIGITS[digit] + unit
            gap = False
        elif out:
            gap = True  # 一百零一: one 零 for any run of empty places before a digit
    return out


# Headings are recognised only at a segment boundary; the patterns below are anchored
# with ``match`` at that position by the segmenter.
PART = re.compile(rf"([{CN_NUM}]{{1,3}})、")
MEASURE = re.compile(rf"[（(]([{CN_NUM}]{{1,3}})[）)]")
ITEM = re.compile(r"(\d{1,2})[.．、](?!\d)")
# 「第十五 条」「第 一 章」: a copy from a PDF may space the numeral off 第 and the 条 (one space, no more: a wider
# gap is prose)
_GAP = "[ \u3000]?"
CHAPTER = re.compile(rf"第{_GAP}([{CN_NUM}\d]{{1,7}}){_GAP}章")
SECTION = re.compile(rf"第{_GAP}([{CN_NUM}\d]{{1,7}}){_GAP}节")
ARTICLE = re.compile(rf"第{_GAP}([{CN_NUM}\d]{{1,7}}){_GAP}条")  # 第一千二百六十条
HEADINGS = (CHAPTER, SECTION, ARTICLE, MEASURE, PART, ITEM)


def heading_number(heading: str) -> re.Match | None:
    """The number a heading opens with (「第三章」「（八）」「三、」「1.」), or None."""
    return next((m for m in (p.match(heading) for p in HEADINGS) if m), None)
