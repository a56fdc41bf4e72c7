"""Dates as government documents write them (2021年2月5日, 二〇二一年二月五日, 2021-02-05) → ISO."""

from __future__ import annotations

import datetime as dt
import re

from rag.corpus.identity.text import fold
from rag.corpus.numbering import chinese_value

# ○ (a circle) and Ｏ stand in for 〇 in many typeset years.
_CN_YEAR = "〇○Ｏ零一二三四五六七八九"
_CN_SMALL = "一二三四五六七八九十"
DATE = re.compile(
    r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
    rf"|(?P<cy>[{_CN_YEAR}]{{4}})\s*年\s*(?P<cm>[{_CN_SMALL}]{{1,2}})\s*月\s*(?P<cd>[{_CN_SMALL}]{{1,3}})\s*日"
)
NUMERIC_DATE = re.compile(r"(?P<y>\d{4})\s*[-./／]\s*(?P<m>\d{1,2})\s*[-./／]\s*(?P<d>\d{1,2})(?!\d)")


def _iso(year: int | None, month: int | None, day: int | None) -> str | None:
    try:
        return dt.date(year, month, day).isoformat() if year and month and day else None
    except ValueError:
        return None


def iso_of(match: re.Match) -> str | None:
    """ISO form of a :data:`DATE` or :data:`NUMERIC_DATE` match; None for an impossible date."""
    groups = match.groupdict()
    if groups.get("cy"):
        year = chinese_value(groups["cy"].replace("○", "〇").replace("Ｏ", "〇"))
        return _iso(year, chinese_value(groups["cm"]), chinese_value(groups["cd"]))
    return _iso(int(groups["y"]), int(groups["m"]), int(groups["d"]))


def parse_date(text: str) -> str | None:
    """ISO date of a string that is exactly one date in any accepted form, else None."""
    text = fold(text).strip()
    for pattern in (DATE, NUMERIC_DATE):
        m = pattern.fullmatch(text)
        if m:
            return iso_of(m)
    return None


def first_date(text: str) -> str | None:
    """ISO form of the first date of either form in ``text``."""
    found = [m for p in (DATE, NUMERIC_DATE) if (m := p.search(text))]
    return iso_of(min(found, key=lambda m: m.start())) if found else None
