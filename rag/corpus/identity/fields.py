"""Labelled fields that web pages and database exports put above a document.

gov.cn pages carry a table (标题：… 发文字号：… 成文日期：… 发布日期：…); other exports
glue a 发布日期:YYYY-MM-DD right after the title. A labelled value is the document's own
statement of that field, so it comes before anything inferred from the layout.
"""

from __future__ import annotations

import re

from rag.corpus.identity.dates import DATE, NUMERIC_DATE, iso_of

_LABELS = {
    "title": r"标\s*题|名\s*称|文件名称",
    "number": r"发文字号|文\s*号|发文号",
    "issuers": r"发文机关|发布机关|发文单位|发布机构|制定机关|颁布机关",
    "signed": r"成文日期|签发日期|发文日期",
    "published": r"发布日期|公布日期|印发日期|发布时间|公布时间",
    "effective": r"施行日期|实施日期|生效日期",
}
_DATE_KEYS = ("signed", "published", "effective")
_LINE = re.compile(r"【?(?:{})】?\s*[:：】]\s*(?P<value>.+)".format(
    "|".join(f"(?P<{k}>{v})" for k, v in _LABELS.items())))
# Labels of a page's table this module does not read, which still end the value before them.
_OTHER_LABELS = r"索\s*引\s*号|主题分类|公文种类|主\s*题\s*词|体裁分类|组配分类|信息来源"
# A table flattened onto one line (「标题：…索引号：…文号：…发文机关：…」): each label ends the value before it.
_NEXT_LABEL = re.compile(r"(?:{})\s*[:：]".format("|".join([*_LABELS.values(), _OTHER_LABELS])))
# (a title copied that way may run over several lines, and is read from the layout instead)
_BARE_LABEL = re.compile(r"【?(?:{}|{})】?\s*[:：】]".format(_LABELS["number"], _LABELS["issuers"]))
_INLINE_DATE = {k: re.compile(rf"(?:{_LABELS[k]})】?\s*[:：】]\s*") for k in _DATE_KEYS}
# Labels sit in the page header; a label deep in the body is wording, not a field.
_SCOPE = 3000


def is_field_line(line: str) -> bool:
    return bool(_LINE.fullmatch(line))


def _date_at(text: str, pos: int) -> str | None:
    m = DATE.match(text, pos) or NUMERIC_DATE.match(text, pos)
    return iso_of(m) if m else None


def _with_values(lines: list[str]) -> list[str]:
    """The lines with a 文号 or 发文机关 label that stands alone (「文号：」) joined to the value on the next line, as a
    page's table is often copied one cell a line."""
    out: list[str] = []
    for line in (raw.strip() for raw in lines):
        if out and _BARE_LABEL.fullmatch(out[-1]) and line and not _NEXT_LABEL.match(line):
            out[-1] += line
        elif line:
            out.append(line)
    return out


def read_fields(lines: list[str]) -> dict[str, str]:
    """Labelled values: title, number, issuers (as written) and ISO signed/published/effective."""
    found: dict[str, str] = {}
    for line in _with_values(lines):
        if not _LINE.fullmatch(line):
            continue
        starts = [m.start() for m in _NEXT_LABEL.finditer(line)] + [len(line)]
        for start, end in zip(starts, starts[1:]):
            m = _LINE.fullmatch(line[start:end].strip())
            key = next((k for k in _LABELS if m and m.group(k)), None)
            if key and key not in _DATE_KEYS and key not in found:
                found[key] = m.group("value").strip()
    # Date labels are read wherever they stand in the header, even glued inside a line.
    head = "\n".join(lines)[:_SCOPE]
    for key, label in _INLINE_DATE.items():
        for m in label.finditer(head):
            value = _date_at(head, m.end())
            if value:
                found[key] = value
                break
    return found
