"""Render an :class:`~rag.types.Answer` for each WeCom channel within its byte limit.

Fitting drops whole citations first (from the last), then whole statements from the end;
only a single statement larger than the limit is cut, at a UTF-8 character boundary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.types import MARKER, Answer, Citation

BOT_STREAM_LIMIT = 20_480
APP_TEXT_LIMIT = 2_048
GROUP_MARKDOWN_LIMIT = 4_096

OMITTED = "……（篇幅所限，其余内容从略）"
ELLIPSIS = "…"
_ORDINAL = re.compile(r"^\s*([（(][一二三四五六七八九十百零〇\d]+[）)])\s*")


def utf8_len(text: str) -> int:
    return len(text.encode())


def cut_utf8(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes without splitting a character."""
    if utf8_len(text) <= limit:
        return text
    # A cut inside a multi-byte character leaves an incomplete tail that "ignore" drops.
    return text.encode()[:limit].decode(errors="ignore")


def fit(
    head: str, statements: Sequence[str], citations: Sequence[str], limit: int, cite_sep: str = "\n\n"
) -> str:
    """Join head, statements and citation blocks, dropping whole parts until it fits ``limit`` bytes."""
    stmts, cits = list(statements), list(citations)
    while True:
        text = _join(head, stmts, cits, len(stmts) < len(statements), cite_sep)
        if utf8_len(text) <= limit:
            return text
        if cits:
            cits.pop()
        elif len(stmts) > 1:
            stmts.pop()
        else:
            return cut_utf8(text, max(0, limit - utf8_len(ELLIPSIS))) + ELLIPSIS


def _join(head: str, stmts: list[str], cits: list[str], omitted: bool, cite_sep: str) -> str:
    lines = [line for line in (head, *stmts) if line]
    if omitted:
        lines.append(OMITTED)
    text = "\n".join(lines)
    return text + "\n\n" + cite_sep.join(cits) if cits else text


def _units(c: Citation) -> str:
    return f" · {c.chunk.note}" if c.chunk.note else ""


def quote_citation(c: Citation) -> str:
    """A markdown quote block: ``> [n] heading · 责任单位：…`` then the exact source text."""
    body = [f"> {line}" for line in c.chunk.text.splitlines() if line.strip()]
    return "\n".join([f"> [{c.ref}] {c.source} {c.chunk.where}{_units(c)}", *body])


def compact_mark(c: Citation) -> str:
    """``【（六）】`` from a measure heading such as ``（六）提高…``; the heading's start otherwise."""
    m = _ORDINAL.match(c.chunk.measure)
    return f"【{m.group(1)}】" if m else f"【{cut_utf8(c.chunk.measure, 30)}】"


def related_line(answer: Answer) -> tuple[str, ...]:
    """For an answer without citations (a refusal), the nearby measures to rephrase toward."""
    if answer.citations or not answer.related:
        return ()
    return ("相关措施：" + "；".join(answer.related),)


def markdown(answer: Answer, limit: int) -> str:
    """Bold summary, statements with their ``[n]`` markers, citations as quote blocks."""
    head = f"**{answer.summary}**" if answer.summary else ""
    statements = (*answer.statements, *related_line(answer))
    return fit(head, statements, [quote_citation(c) for c in answer.citations], limit)


def bot_stream(answer: Answer) -> str:
    """Markdown content of an intelligent-bot stream message."""
    return markdown(answer, BOT_STREAM_LIMIT)


def group_markdown(answer: Answer) -> str:
    """Markdown content of a group-robot push."""
    return markdown(answer, GROUP_MARKDOWN_LIMIT)


def app_text(answer: Answer) -> str:
    """Plain text for the self-built app: ``[n]`` becomes ``【（六）】``, one short source line per citation."""
    marks = {c.ref: compact_mark(c) for c in answer.citations}

    def replace(m: re.Match) -> str:
        return marks.get(int(m.group(1)), m.group(0))

    statements = [MARKER.sub(replace, s) for s in answer.statements] + list(related_line(answer))
    # Several passages of one measure share a mark; its source line is shown once.
    sources = {marks[c.ref]: f"{marks[c.ref]}{c.source}{_title_after_ordinal(c)}{_units(c)}" for c in answer.citations}
    return fit(answer.summary, statements, list(sources.values()), APP_TEXT_LIMIT, cite_sep="\n")


def _title_after_ordinal(c: Citation) -> str:
    # A heading without an ordinal is already whole inside its mark.
    return _ORDINAL.sub("", c.chunk.measure) if _ORDINAL.match(c.chunk.measure) else ""
