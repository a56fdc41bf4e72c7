"""What the chat UI shows and copies: citation cards, the refusal notice, measure pages
and the plain-text answer for the copy box.

Everything from the corpus or the user goes through ``html.escape``; the only markup
added is ours (cards, ``<mark>`` around the question's keywords).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from html import escape

from rag.lexical import ChineseTokenizer
from rag.outline import MeasureView
from rag.query import normalise_query
from rag.types import Answer, Citation

NO_UNITS = "未列明"


def keywords(question: str, tokenizer: ChineseTokenizer) -> tuple[str, ...]:
    """The question's content words (stop words dropped by the tokenizer), longest first.

    Besides the whole words (科技型企业) it keeps the search-mode parts that start or end
    one (科技, 企业), since the policy rarely repeats the question's exact compound; a
    part from the middle (型企) is a character bigram, not a word, and would mark half
    of 成长型企业. Longest first because ``highlight`` builds a regex alternation, which
    takes the first branch that matches: 科技型企业 must win over 科技.
    """
    text = normalise_query(question)
    words = set(tokenizer.words(text))
    parts = {t for t in tokenizer.tokenize(text) if len(t) >= 2
             and any(w.startswith(t) or w.endswith(t) for w in words)}
    return tuple(sorted(words | parts, key=lambda w: (-len(w), w)))


def highlight(text: str, words: Iterable[str]) -> str:
    """``text`` escaped for HTML, every occurrence of a keyword wrapped in ``<mark>``."""
    words = [w for w in words if w]
    if not words:
        return escape(text)
    # The tokenizer lower-cases Latin letters (ETF → etf), so match without case.
    pattern = re.compile("|".join(map(re.escape, words)), re.IGNORECASE)
    parts: list[str] = []
    last = 0
    for m in pattern.finditer(text):
        parts.append(escape(text[last:m.start()]))
        parts.append(f"<mark>{escape(m.group())}</mark>")
        last = m.end()
    parts.append(escape(text[last:]))
    return "".join(parts)


def _units(units: Iterable[str]) -> str:
    return "、".join(units) or NO_UNITS


def citation_card(citation: Citation, words: Iterable[str]) -> str:
    """One collapsible card: [n] measure (item) / 责任单位 / exact source text."""
    c = citation
    item = f' <span class="item">{escape(c.item)}</span>' if c.item else ""
    where = escape(f"《{c.document}》" + (f" {c.part}" if c.part else ""))
    return (
        f'<details class="citation-card" data-ref="{c.ref}">'
        f'<summary><span class="ref">[{c.ref}]</span>{escape(c.measure)}{item}</summary>'
        f'<div class="units">责任单位：{escape(_units(c.responsible_units))}</div>'
        f'<blockquote class="source">{highlight(c.text, words)}</blockquote>'
        f'<div class="document">{where}</div>'
        "</details>"
    )


def refusal_notice(answer: Answer) -> str:
    """The 政策未涉及 box with the nearest measures, so a refusal is never mistaken for an answer."""
    if answer.related:
        related = "".join(f"<li>{escape(m)}</li>" for m in answer.related)
        nearest = f'<div class="related">可能相关：<ul>{related}</ul></div>'
    else:
        nearest = '<div class="related">没有找到相近的措施。</div>'
    return (
        '<div class="refusal">'
        '<div class="verdict">政策未涉及</div>'
        f"<p>{escape(answer.summary)}</p>"
        f"{nearest}"
        "</div>"
    )


def placeholder(message: str) -> str:
    return f'<p class="placeholder">{escape(message)}</p>'


def evidence_panel(answer: Answer, words: Iterable[str]) -> str:
    """The panel beside the chat: the refusal notice, or one card per citation."""
    if not answer.found:
        return refusal_notice(answer)
    if not answer.citations:
        return placeholder("本回答依据措施目录整理，没有逐条引用原文。")
    words = tuple(words)
    cards = "".join(citation_card(c, words) for c in answer.citations)
    return f'<div class="citations"><p class="citations-title">引用原文（{len(answer.citations)} 条，点击展开）</p>{cards}</div>'


def copy_text(answer: Answer) -> str:
    """The answer as plain text a bank officer can paste into a message: answer, then 引用.

    A refusal's text already names the 可能相关 measures, so it is copied as it is.
    """
    lines = [answer.text]
    if answer.citations:
        lines += ["", "引用："]
        for c in answer.citations:
            lines.append(f"[{c.ref}] {c.where}（责任单位：{_units(c.responsible_units)}）：{c.text}")
    return "\n".join(lines)


def measure_page(view: MeasureView) -> str:
    """A measure's full text, chunk by chunk under its item titles, with 责任单位."""
    where = escape(f"《{view.document}》" + (f" {view.part}" if view.part else ""))
    body: list[str] = []
    item = None
    for chunk in view.chunks:
        if chunk.item and chunk.item != item:
            body.append(f'<div class="item-title">{escape(chunk.item)}</div>')
        item = chunk.item
        body.append(f"<p>{escape(chunk.text)}</p>")
    return (
        f'<article class="measure" data-measure="{escape(view.id)}">'
        f"<h3>{escape(view.heading)}</h3>"
        f'<div class="document">{where}</div>'
        f'<div class="units">责任单位：{escape(_units(view.responsible_units))}</div>'
        f'{"".join(body)}'
        "</article>"
    )


def pieces(text: str, step: int) -> Iterator[str]:
    """Ever longer prefixes of ``text``, ``step`` characters at a time, ending with all of it."""
    for end in range(step, len(text), step):
        yield text[:end]
    yield text
