"""Joining the lines a PDF wrapped at the page margin back into their paragraphs.

A line is joined to the next one when all three hold: it does not end a sentence or a clause
(。！？；：, possibly inside closing quotes or brackets, and not inside an open bracket as in
「（责任单位：」); the next line does not open a new block (a heading, 附件, a 文号, a date line,
a 责任单位 note; 第二十四条、 or （一）项 are references, not headings); and the line runs to the
right margin. The last test keeps short lines apart even without punctuation: a heading such as
一、总体要求 followed by its first paragraph, a signature above its date.

A title is set large and centred, so its lines never reach the margin; the lines that open a
document are joined when together they end like a title (…的通知, …意见, …条例, with or without
its 文号 in brackets).
"""

from __future__ import annotations

import re

from rag.corpus.intake.chars import BLANK, print_width
from rag.corpus.intake.offsets import MappedText

_CN = "一二三四五六七八九十百零〇两"
_CLAUSE_END = re.compile(r"[。！？；：!?;:][”’」』）)》]*$")
BLOCK_START = re.compile(
    rf"(?:[{_CN}]+、"                      # 一、
    rf"|[（(][{_CN}]+[）)](?![项目款])"       # （一）, but not 第一款第（一）项
    r"|\d{1,2}[.．、](?!\d)"               # 1.  but not 1.5倍
    rf"|[（(]\d{{1,2}}[）)]"                # （1）
    rf"|第[{_CN}\d]+[编章节](?![、，,的和或至及中])"   # 第一章
    rf"|第[{_CN}\d]+条(?![、，,的规和或至及中第之（(])"  # 第三条, but not 第三条、第五条 or 第三条规定
    r"|附件|附：|附表"
    r"|[（(](?:责任单位|牵头单位|配合单位|此件)"
    r"|抄送|印发"
    r"|\S{1,20}〔\d{4}〕\d+号$"             # 国发〔2018〕39号
    r"|\d{4}年\d{1,2}月\d{1,2}日$)"         # a date on its own line
)
# How far short of the longest lines a wrapped line may stop, in ems: a first line's
# two-character indent, a character pushed down by line-breaking rules, an unbreakable number.
_SLACK_EMS = 4.5
_SLACK_SHARE = 0.15
_WINDOW = 3  # lines either side that set a line's full width
_LOCAL_FLOOR = 0.7
_LINE = re.compile(r"[^\n]*")
_TITLE_END = re.compile(r"(?:通知|意见|办法|条例|规定|决定|措施|方案|细则|规则|规划|纲要|批复|公告|通告|函)"
                        r"(?:[（(][^（）()]{2,30}[）)])?$")
_ABOVE_TITLE = re.compile(r"文件$|^(?:加急|特急|特提|平急|急件|[绝机]?密.{0,8})$|〔\d{4}〕\d+号$")
_TITLE_MAX_LINES = 5
_TITLE_MAX_CHARS = 120
_LATIN_END = re.compile(r"[A-Za-z]$")
_LATIN_START = re.compile(r"^[A-Za-z]")


def join_wrapped_lines(doc: MappedText) -> MappedText:
    """Join wrapped lines; strip each line's edge white space; drop blank lines."""
    lines = [m.span() for m in _LINE.finditer(doc.text) if m.group().strip(BLANK + "\f")]
    if not lines:
        return doc.splice([(0, len(doc.text), "")])
    texts = [doc.text[s:e].strip(BLANK + "\f") for s, e in lines]
    full = _full_widths(texts)
    title_first, title_last = _title_span(texts)
    edits: list[tuple[int, int, str]] = []
    prev_end = 0
    for i, (start, end) in enumerate(lines):
        raw = doc.text[start:end]
        content_start = start + len(raw) - len(raw.lstrip(BLANK + "\f"))
        content_end = start + len(raw.rstrip(BLANK + "\f"))
        if i == 0:
            edits.append((0, content_start, ""))
        else:
            previous, current = texts[i - 1], texts[i]
            if title_first < i < title_last or _wraps(previous, current, full[i - 1]):
                hyphen = previous.endswith("-") and previous[-2:-1].isalpha() and current[:1].islower()
                glue = " " if _LATIN_END.search(previous) and _LATIN_START.match(current) else ""
                edits.append((prev_end - 1 if hyphen else prev_end, content_start, glue))
            else:
                edits.append((prev_end, content_start, "\n"))
        prev_end = content_end
    edits.append((prev_end, len(doc.text), ""))
    return doc.splice([e for e in edits if e[0] < e[1] or e[2]])


def _wraps(line: str, following: str, full: float) -> bool:
    return (not _ends_clause(line) and not BLOCK_START.match(following)
            and print_width(line) >= full - max(_SLACK_EMS, _SLACK_SHARE * full))


def _ends_clause(line: str) -> bool:
    return bool(_CLAUSE_END.search(line)) and line.count("（") + line.count("(") <= line.count("）") + line.count(")")


def _title_span(lines: list[str]) -> tuple[int, int]:
    """The opening lines ``[first, last)`` that form one wrapped title (an empty span: nothing to join).

    What may stand above a title is skipped: a letterhead (…人民政府文件), an urgency or secrecy
    mark (加急, 特急, 秘密★1年) and the 文号.
    """
    first = 0
    while first < len(lines) and first < _TITLE_MAX_LINES and _ABOVE_TITLE.search(lines[first]):
        first += 1
    last, joined = first, ""
    for n, line in enumerate(lines[first:first + _TITLE_MAX_LINES], start=first + 1):
        if _ends_clause(line) or (n > first + 1 and BLOCK_START.match(line)) or len(joined + line) > _TITLE_MAX_CHARS:
            break
        joined += line
        if _TITLE_END.search(joined):
            last = n
    return first, last


def _full_widths(lines: list[str]) -> list[float]:
    """Each line's full width: the widest line near it (styles set in larger type hold fewer characters a
    line), but at least a share of the document's usual full line, so a run of short lines is not 'full'."""
    widths = [print_width(line) for line in lines]
    usual = sorted(widths)[min(len(widths) - 1, int(len(widths) * 0.9))]
    floor = _LOCAL_FLOOR * usual
    return [max(floor, max(widths[max(0, i - _WINDOW):i + _WINDOW + 1])) for i in range(len(widths))]
