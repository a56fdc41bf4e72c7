"""Cleaning and segmentation: raw policy text → a stream of typed segments.

Each segment keeps the character offsets of the raw file it came from, so a chunk can
cite where its wording stands. Cleaning only removes noise (invisible characters,
stray whitespace); it never rewrites the wording.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rag.corpus import numbering as nb
from rag.corpus.notes import LABELLED, match_note

SegmentKind = Literal["notice_title", "publish_date", "signature", "doc_title", "attachment", "closing", "part",
                      "measure", "item", "chapter", "section", "article", "units", "sentence"]

# Invisible characters that copy-and-paste from web pages and Word leave behind.
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\ufffd\u00ad"), None)
_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’"
_SPACE_NEAR_CJK = re.compile(rf"\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+")
_SPACES = re.compile(r"\s+")

_SENTENCE_END = "。！？；"
_NOTICE_TITLE = re.compile(r"[^。\n]{2,60}?关于印发[^。\n]{2,120}?的通知")
_PUBLISH_DATE = re.compile(r"发布日期[:：]\s*(\d{4})-(\d{1,2})-(\d{1,2})")
_SIGNATURE = re.compile(
    r"([^。，；\n（]{2,30}?(?:办公厅|人民政府|委员会|办公室))\s*(\d{4}年\d{1,2}月\d{1,2}日)(?:\s*（此件[^）]{0,10}）)?"
)
# The 版记 under a document: distribution (主送, 抄送, 内部发送), disclosure options and the
# 「XX办公厅 2018年6月25日印发」 line. Each is a line of its own; none is policy wording.
_CLOSING = re.compile(r"(?:(?:(?:信息|政务)公开(?:选项|属性|方式)|主\s*送|抄\s*送|抄\s*报|分\s*送|内部发送)\s*[:：]"
                      r"|[^。\n]{2,40}?\d{4}年\d{1,2}月\d{1,2}日\s*印发[ \t]*(?=\n|$))[^\n]*")
# 「附件」「附件2：」 alone on its line: what follows is the attached document, not the notice.
_ATTACHMENT = re.compile(r"附\s*件\s*\d{0,2}\s*[:：]?[ \t]*(?=\n|$)")
_ANNEX_LINE = re.compile(rf"(?m)^[ \t\u3000]*{_ATTACHMENT.pattern}")
# 「地方金融组织违反本条例第十五条规定…」 opens a paragraph with a reference to its own law, not a title.
_DOC_TITLE = re.compile(
    r"(?!第[一二三四五六七八九十百\d]+[章节条]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.．、])"
    r"([^。，；：\n《》]{6,80}?(?<!本)(?:若干措施|实施意见|指导意见|管理办法|实施细则|工作方案|实施方案|暂行办法|规定|办法|条例|意见))"
    r"(?=\s*(?:为|根据|$|\n|第[一二三四五六七八九十]+[章条]|一、))"
)


@dataclass(frozen=True)
class Segment:
    """One typed piece of the raw text; ``start``/``end`` are raw-file offsets."""

    kind: SegmentKind
    text: str
    start: int
    end: int
    number: int | None = None
    title: str | None = None


STRUCTURE: tuple[SegmentKind, ...] = ("part", "chapter", "section", "article", "measure")


def retitled(segments: Sequence[Segment], at: int) -> bool:
    """Whether another policy begins at ``at``: a title after another one, under which the numbering starts again
    at a number used before. A notice issuing two 办法 (「现将《…管理办法》和《…暂行办法》印发给你」) may attach the
    second under its title alone, from 第一条 again. The first title is the document's own, wherever a careless copy
    scattered it, and so is any repeat of it."""
    seg = segments[at]
    if seg.kind != "doc_title":  # asked of every segment while de-duplicating: the rest only for a title
        return False
    titles = {s.text for s in segments[:at] if s.kind == "doc_title"}
    if not titles or seg.text in titles:
        return False
    under = segments[at + 1:]
    under = under[:next((k for k, s in enumerate(under) if s.kind == "doc_title"), len(under))]
    first: dict[str, int | None] = {}  # the number each kind of heading starts from under the title
    for s in under:
        if s.kind in STRUCTURE:
            first.setdefault(s.kind, s.number)
    return any(n == 1 and any(s.kind == kind and s.number == 1 for s in segments[:at]) for kind, n in first.items())


def normalise(text: str) -> str:
    """Remove invisible characters and whitespace noise without touching the wording."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = text.replace("\u3000", " ").replace("\xa0", " ")
    text = _SPACE_NEAR_CJK.sub("", text)
    return _SPACES.sub(" ", text).strip()


def strip_markdown(raw: str) -> str:
    """Blank out Markdown markup with spaces so raw offsets stay valid."""
    def blank(m: re.Match) -> str:
        return " " * len(m.group(0))

    raw = re.sub(r"(?m)^[ \t]*(?:#{1,6}|[-*+>])[ \t]+", blank, raw)
    return re.sub(r"\*\*|__|`", blank, raw)


def detect_family(raw: str) -> str:
    """``articles`` for 第一章/第一条 texts, ``measures`` for 一、/（一）/1. texts.

    A notice that cites other rules' articles (「《…办法》第九条」) is still numbered 一、/（一）: with
    part headings opening lines and no article opening one, the articles it names are citations.
    A noisy copy that glues articles to the text before them has no part headings either.
    """
    opening = len(_OPENING_ARTICLE.findall(raw))
    parts = len(_OPENING_PART.findall(raw))
    return "articles" if opening >= 2 or (len(nb.ARTICLE.findall(raw)) >= 2 and parts < 2) else "measures"


_OPENING_ARTICLE = re.compile(rf"(?m)^[ \t\u3000]*{nb.ARTICLE.pattern}")
_OPENING_PART = re.compile(rf"(?m)^[ \t\u3000]*{nb.PART.pattern}")


def segment(raw: str, family: str | None = None) -> list[Segment]:
    """Split raw text into headings, 责任单位 notes, metadata and sentences, in order.

    Without ``family`` each annex (from its 「附件N」 line) is numbered in its own: a 一、/（一） notice may
    attach a 指引 of 第一条….
    """
    starts = [0] + ([m.start() for m in _ANNEX_LINE.finditer(raw)] if family is None else [])
    families = [family or detect_family(raw[a:b]) for a, b in zip(starts, [*starts[1:], len(raw)])]
    out: list[Segment] = []
    pos, n = 0, len(raw)
    article = 0  # number of the last article heading: only the next one can be glued on
    region = 0
    while pos < n:
        if raw[pos].isspace() or raw[pos] in "\ufeff\u200b":
            pos += 1
            continue
        while region + 1 < len(starts) and pos >= starts[region + 1]:
            region, article = region + 1, 0
        seg = (_match_meta(raw, pos) or _match_heading(raw, pos, families[region])
               or _sentence(raw, pos, families[region], next_article=article + 1))
        if seg.kind == "article":
            article = seg.number
        if seg.text:
            out.append(seg)
        pos = seg.end
    return out


def _seg(kind: SegmentKind, raw: str, start: int, end: int, **kw) -> Segment:
    return Segment(kind, normalise(raw[start:end]), start, end, **kw)


def _match_meta(raw: str, pos: int) -> Segment | None:
    if m := match_note(raw, pos):
        return _seg("units", raw, pos, m.end(), title=normalise(m.group("body")))
    if m := _ATTACHMENT.match(raw, pos):
        return _seg("attachment", raw, pos, m.end())
    if _line_start(raw, pos) and (m := _CLOSING.match(raw, pos)):
        return _seg("closing", raw, pos, m.end())
    if m := _NOTICE_TITLE.match(raw, pos):
        return _seg("notice_title", raw, pos, m.end())
    if m := _PUBLISH_DATE.match(raw, pos):
        y, mo, d = m.groups()
        return _seg("publish_date", raw, pos, m.end(), title=f"{y}-{int(mo):02d}-{int(d):02d}")
    if m := _SIGNATURE.match(raw, pos):
        return _seg("signature", raw, pos, m.end(), title=m.group(2))
    # A policy title opens a line or follows the signature's closing bracket; elsewhere
    # "…本办法" is the subject of a sentence.
    before = raw[:pos].rstrip(" \t")
    if (not before or before[-1] in "\n。）)") and (m := _DOC_TITLE.match(raw, pos)):
        return _seg("doc_title", raw, pos, m.end())
    return None


def _match_heading(raw: str, pos: int, family: str) -> Segment | None:
    try:
        return _heading(raw, pos, family)
    except ValueError:  # a malformed numeral such as （十四五） names something; it numbers nothing
        return None


def _heading(raw: str, pos: int, family: str) -> Segment | None:
    if family == "articles":
        for kind, pattern in (("chapter", nb.CHAPTER), ("section", nb.SECTION)):
            if m := pattern.match(raw, pos):
                end = _division_end(raw, m.end())
                return _seg(kind, raw, pos, end, number=nb.cn_to_int(m.group(1)),
                            title=normalise(raw[m.end():end]) or None)
        if m := nb.ARTICLE.match(raw, pos):
            return _seg("article", raw, pos, m.end(), number=nb.cn_to_int(m.group(1)))
        if m := nb.MEASURE.match(raw, pos):
            return _seg("item", raw, pos, m.end(), number=nb.cn_to_int(m.group(1)))
        return None
    if m := nb.PART.match(raw, pos):
        end = _title_end(raw, m.end(), stop_at_sentence_end=False)
        return _seg("part", raw, pos, end, number=nb.cn_to_int(m.group(1)),
                    title=normalise(raw[m.end():end]))
    for kind, pattern in (("measure", nb.MEASURE), ("item", nb.ITEM)):
        if m := pattern.match(raw, pos):
            end = _title_end(raw, m.end(), stop_at_sentence_end=True)
            return _seg(kind, raw, pos, end, number=nb.cn_to_int(m.group(1)),
                        title=normalise(raw[m.end():end]).rstrip("。") or None)
    return None


def _line_start(raw: str, pos: int) -> bool:
    return raw[:pos].rstrip(" \t")[-1:] in ("", "\n")


def _line_end(raw: str, pos: int) -> int:
    nl = raw.find("\n", pos)
    return len(raw) if nl < 0 else nl


def _division_end(raw: str, pos: int) -> int:
    """End of a chapter or section title: its line, or a section or article set off after it
    by white space (「第二章 监督管理 第一节 一般规定」 on one line), or an article glued to it that
    white space sets off from its wording (「第四章　使用、充值和赎回第二十九条　预付卡不得…」)."""
    end = _line_end(raw, pos)
    for m in re.finditer(r"\s*(?=第)", raw[pos:end]):
        at = pos + m.end()
        if m.group() and (nb.SECTION.match(raw, at) or nb.ARTICLE.match(raw, at)):
            return pos + m.start()
        if (article := nb.ARTICLE.match(raw, at)) and raw[article.end():article.end() + 1].isspace():
            return at
    return end


def _title_end(raw: str, pos: int, stop_at_sentence_end: bool) -> int:
    """End of a heading's title: its 。, a newline, or the next glued heading or note."""
    end = pos
    while end < len(raw) and raw[end] != "\n":
        if stop_at_sentence_end and raw[end] in _SENTENCE_END:
            return end + 1
        if end > pos and _starts_structure(raw, end, include_items=stop_at_sentence_end):
            return end
        end += 1
    return end


def _starts_structure(raw: str, pos: int, include_items: bool) -> bool:
    if LABELLED.match(raw, pos) or nb.MEASURE.match(raw, pos):
        return True
    # An item number glued to a title, e.g. 做好民生领域金融服务1.保障…; not 8.2万亿元.
    return include_items and bool(nb.ITEM.match(raw, pos)) and not raw[pos - 1].isdigit()


def _sentence(raw: str, pos: int, family: str, next_article: int) -> Segment:
    end = pos
    while end < len(raw):
        ch = raw[end]
        if ch == "\n":
            break
        if ch in _SENTENCE_END:
            end += 1
            break
        if end > pos and _glued_heading(raw, end, family, next_article):
            break
        end += 1
    return _seg("sentence", raw, pos, end)


def _glued_heading(raw: str, pos: int, family: str, next_article: int) -> bool:
    if LABELLED.match(raw, pos) or _SIGNATURE.match(raw, pos) or _PUBLISH_DATE.match(raw, pos):
        return True
    if family == "articles":
        # Inside a sentence 第一条 is a cross-reference (本办法第一条); a glued article
        # heading is set off by white space at least.
        if not raw[pos - 1].isspace():
            return False
        # A reference can be spaced too (本办法 第一条 规定); it points elsewhere, while a
        # glued heading carries on the numbering, so only the next article number counts.
        if m := nb.ARTICLE.match(raw, pos):
            return nb.number_or_none(m.group(1)) == next_article
        return bool(nb.CHAPTER.match(raw, pos) or nb.SECTION.match(raw, pos))
    return bool(nb.MEASURE.match(raw, pos))
