"""文号: the issuing number of a document, in its two shapes.

- 机关代字〔年份〕序号号 (国办发〔YYYY〕N号); the year's brackets vary with the source
  ([2019], (2019), ［2019］, 【2019】) and are written 〔2019〕 here.
- 令/公告 numbers (国务院令第N号, …常务委员会公告第N号), which carry the issuer in them.
"""

from __future__ import annotations

import re

from rag.corpus.identity import lexicon
from rag.corpus.identity.text import fold, squeeze

_OPEN, _CLOSE = re.escape("〔[［(（【〖"), re.escape("〕]］)）】〗")
_CN_SEQ = "一二三四五六七八九十百千〇零"
# A joint order names each issuer, a space apart: 中国人民银行 中国银行保险监督管理委员会令〔2022〕第4号.
_BRACKETED = (rf"(?P<code>(?:[\u4e00-\u9fff]{{2,20}} +){{1,4}}[\u4e00-\u9fff]{{2,20}}(?:令|公告)"
              rf"|[\u4e00-\u9fff][\u4e00-\u9fff ]{{0,11}}?)\s*[{_OPEN}]\s*(?P<year>\d{{4}})\s*[{_CLOSE}]"
              r"\s*(?P<seq>第?\s*\d+)\s*号")
# A 令 body never starts with the 日 of a date glued before it (2021年1月26日中华人民共和国国务院令…),
# as PDF and Word text is once the spaces next to Chinese characters are gone.
_DATE_END = rf"(?!(?<=[\d{_CN_SEQ}])日)"
_ORDER = rf"{_DATE_END}(?P<body>[\u4e00-\u9fff]{{2,40}}?(?:令|公告))\s*[（(]?\s*第\s*(?P<oseq>\d+|[{_CN_SEQ}]+)\s*号[）)]?"
NUMBER = re.compile(rf"(?:{_BRACKETED})|(?:{_ORDER})")
_ALONE = re.compile(rf"\s*(?:{_BRACKETED}|{_ORDER})\s*(?:签发人.*)?")
_IN_BRACKETS_AT_END = re.compile(rf"\s*[（(]\s*(?:{_BRACKETED}|{_ORDER})\s*[）)]\s*$")
# 令 and 公告 headers often put the number on a line of its own under the issuer's line.
_ORDER_HEAD = re.compile(rf"{_DATE_END}[\u4e00-\u9fff]{{2,40}}(?:令|公告)")
_SEQ_LINE = re.compile(rf"[（(]?\s*第\s*(?:\d+|[{_CN_SEQ}]+)\s*号\s*[）)]?"
                       rf"|[{_OPEN}]\s*\d{{4}}\s*[{_CLOSE}]\s*第?\s*\d+\s*号")


def _glued_name() -> re.Pattern:
    endings = "|".join(map(re.escape, lexicon.issuer_suffixes()))
    return re.compile(rf"^[\u4e00-\u9fff]{{3,}}(?:{endings})(?=[\u4e00-\u9fff]{{2,}}$)")


_GLUED_NAME = _glued_name()


def normalise(m: re.Match, glued: bool = False) -> str:
    """The number as one string: brackets made 〔〕, spaces dropped.

    ``glued``: the number was found run together with the text before it, so the code may
    have taken in the end of a letterhead (…财政部银发〔YYYY〕N号); a leading run of four
    or more characters ending like an issuer's name is dropped from it.
    """
    groups = m.groupdict()
    if groups.get("code"):
        code = squeeze(groups["code"])
        if glued:
            code = _GLUED_NAME.sub("", code) or code
        return f"{code}〔{groups['year']}〕{squeeze(groups['seq'])}号"
    return f"{groups['body']}第{groups['oseq']}号"


def normalise_text(text: str) -> str:
    """A number written by hand (a sidecar): normalised when it has a known shape, else trimmed."""
    text = fold(text).strip()
    m = NUMBER.fullmatch(text)
    return normalise(m) if m else squeeze(text)


def number_alone(line: str) -> re.Match | None:
    """The number when ``line`` is nothing but a number (a 签发人 may follow it)."""
    return _ALONE.fullmatch(line)


def number_at(text: str, pos: int = 0) -> re.Match | None:
    """A number starting exactly at ``pos``: one glued to the end of a title by PDF extraction."""
    return NUMBER.match(text, pos)


def trailing_bracketed(title: str) -> re.Match | None:
    """A number in brackets closing a title line: …的意见（银发〔YYYY〕N号）, …条例(国务院令 第768号)."""
    return _IN_BRACKETS_AT_END.search(title)


def is_order_head(line: str) -> bool:
    return bool(_ORDER_HEAD.fullmatch(line))


def is_seq_line(line: str) -> bool:
    return bool(_SEQ_LINE.fullmatch(line))


def order_issuer(m: re.Match) -> str | None:
    """Who a 令/公告 number belongs to (国务院令第N号, X部令〔YYYY〕第N号); None for other numbers."""
    groups = m.groupdict()
    body = groups.get("body") or (groups.get("code") or "").strip()
    return re.sub(r"(?:令|公告)$", "", body) if re.search(r"(?:令|公告)$", body) else None
