"""Word's automatic list numbers, which python-docx does not give: 第一条, （一）, 1. as Word shows them.

Word stores no number in the text of a numbered paragraph, only a reference (w:numPr, on the
paragraph or its style) to a list definition in numbering.xml; the number is counted when the
page is drawn. This counts the same way for what policy documents use: per-level counters
shared by every list instance of one definition, deeper levels restarting under a new parent,
a start value and a start override, and the level text (%1、, 第%1条, （%2）) in decimal,
Chinese, circled or Latin numerals. Not modelled: w:lvlRestart, legal numbering (w:isLgl)
and numbers changed by tracked revisions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.corpus.numbering import MAX_NUMBER, int_to_cn

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PLACEHOLDER = re.compile(r"%([1-9])")
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"
_CAPITAL_DIGITS = dict(zip("一二三四五六七八九十", "壹贰叁肆伍陆柒捌玖拾"))


@dataclass(frozen=True)
class _Level:
    fmt: str
    text: str
    start: int
    suffix: str  # what Word puts after the number: tab, space or nothing


class ListNumbering:
    """Hands out each numbered paragraph's label, in body order (call :meth:`label` for every paragraph)."""

    def __init__(self, document):
        self._abstract_of: dict[str, str] = {}
        self._overrides: dict[str, dict[int, int]] = {}
        self._levels: dict[str, dict[int, _Level]] = {}
        self._style_numbering: dict[str, tuple[str, int]] = {}
        self._counters: dict[str, list[int | None]] = {}
        self._started: set[str] = set()
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return  # no numbering.xml: nothing in the document is auto-numbered
        self._read_definitions(numbering)
        self._read_styles(document)

    def label(self, p) -> str:
        """The number Word shows before paragraph element ``p`` (with its separator), or ''."""
        ref = self._reference(p)
        if ref is None:
            return ""
        num_id, level = ref
        abstract = self._abstract_of.get(num_id)
        levels = self._levels.get(abstract or "", {})
        if level not in levels:
            return ""
        counters = self._counters.setdefault(abstract, [None] * 9)
        if num_id not in self._started:
            self._started.add(num_id)
            for lvl, start in self._overrides.get(num_id, {}).items():
                counters[lvl] = start - 1
        current = counters[level]
        counters[level] = levels[level].start if current is None else current + 1
        for deeper in range(level + 1, 9):
            counters[deeper] = None
        spec = levels[level]
        if spec.fmt in ("bullet", "none"):
            return ""

        def number(m: re.Match[str]) -> str:
            lvl = int(m.group(1)) - 1
            value = counters[lvl] if counters[lvl] is not None else levels.get(lvl, spec).start
            return _format(value, levels.get(lvl, spec).fmt)

        text = _PLACEHOLDER.sub(number, spec.text)
        return text + (" " if text and spec.suffix != "nothing" and text[-1].isalnum() else "")

    def _reference(self, p) -> tuple[str, int] | None:
        num_pr = p.find(f"{W}pPr/{W}numPr")
        style = p.find(f"{W}pPr/{W}pStyle")
        inherited = self._style_numbering.get(style.get(f"{W}val")) if style is not None else None
        if num_pr is None:
            return inherited
        num_id = _val(num_pr.find(f"{W}numId"))
        ilvl = _val(num_pr.find(f"{W}ilvl"))
        if num_id is None:
            return inherited
        if num_id == "0":  # numbering switched off for this paragraph
            return None
        return num_id, int(ilvl) if ilvl is not None else (inherited[1] if inherited else 0)

    def _read_definitions(self, numbering) -> None:
        for abstract in numbering.iter(f"{W}abstractNum"):
            levels = {}
            for lvl in abstract.iter(f"{W}lvl"):
                levels[int(lvl.get(f"{W}ilvl", "0"))] = _Level(
                    fmt=_val(lvl.find(f"{W}numFmt")) or "decimal",
                    text=_val(lvl.find(f"{W}lvlText")) or "",
                    start=int(_val(lvl.find(f"{W}start")) or 1),
                    suffix=_val(lvl.find(f"{W}suff")) or "tab")
            self._levels[abstract.get(f"{W}abstractNumId")] = levels
        for num in numbering.iter(f"{W}num"):
            num_id = num.get(f"{W}numId")
            self._abstract_of[num_id] = _val(num.find(f"{W}abstractNumId"))
            self._overrides[num_id] = {
                int(o.get(f"{W}ilvl", "0")): int(_val(o.find(f"{W}startOverride")))
                for o in num.iter(f"{W}lvlOverride") if o.find(f"{W}startOverride") is not None}

    def _read_styles(self, document) -> None:
        styles = {s.get(f"{W}styleId"): s for s in document.styles.element.iter(f"{W}style")}
        for style_id in styles:
            seen, current = set(), styles.get(style_id)
            while current is not None and style_id not in self._style_numbering:
                num_pr = current.find(f"{W}pPr/{W}numPr")
                if num_pr is not None and _val(num_pr.find(f"{W}numId")) not in (None, "0"):
                    self._style_numbering[style_id] = (_val(num_pr.find(f"{W}numId")),
                                                       int(_val(num_pr.find(f"{W}ilvl")) or 0))
                seen.add(current.get(f"{W}styleId"))
                parent = _val(current.find(f"{W}basedOn"))
                current = styles.get(parent) if parent not in seen else None


def _val(element) -> str | None:
    return None if element is None else element.get(f"{W}val")


def _format(n: int, fmt: str) -> str:
    chinese = fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "ideographLegalTraditional",
                      "chineseLegalSimplified", "taiwaneseCounting", "taiwaneseCountingThousand")
    if chinese and 0 < n <= MAX_NUMBER:
        text = int_to_cn(n)
        return "".join(_CAPITAL_DIGITS.get(c, c) for c in text) if fmt == "chineseLegalSimplified" else text
    if fmt in ("ideographDigital", "japaneseDigitalTenThousand", "taiwaneseDigital"):
        return "".join("〇一二三四五六七八九"[int(d)] for d in str(n))
    if fmt == "ideographTraditional" and 0 < n <= 10:
        return _HEAVENLY_STEMS[n - 1]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 0 < n <= 20:
        return _CIRCLED[n - 1]
    if fmt in ("lowerLetter", "upperLetter") and n > 0:
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman") and 0 < n < 4000:
        roman = _roman(n)
        return roman.lower() if fmt == "lowerRoman" else roman
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)  # decimal, full-width decimal (made ASCII by the noise rules anyway) and the rest


def _roman(n: int) -> str:
    out = []
    for value, numeral in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        count, n = divmod(n, value)
        out.append(numeral * count)
    return "".join(out)
