"""What the chat UI shows and copies: citation cards, the refusal notice, measure pages
and the plain-text answer for the copy box.

Everything from the corpus or the user goes through ``html.escape``; the only markup
added is ours (cards, ``<mark>`` around the question's keywords).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from html import escape

from rag.corpus.outline import MeasureView
from rag.types import Answer, Citation, DocumentInfo

NO_UNITS = "未列明"
TITLE = "政策问答"
HOW_TO_READ = "每条结论后的 [n] 对应右侧引用的政策原文；政策没有写到的内容会明确答复「政策未涉及」。"
LISTED_DOCUMENTS = 5  # a longer library is summed up by its count


def document_choice(document: DocumentInfo) -> str:
    """How the measure browser lists a document: 《title》 文号 date."""
    return " ".join(x for x in (f"《{document.title}》", document.number, document.date) if x)


def library_header(documents: Sequence[DocumentInfo]) -> str:
    """Markdown heading of the chat: the title, and which documents the answers come from."""
    if not documents:
        return f"# {TITLE}\n{HOW_TO_READ}"
    if len(documents) == 1:
        d = documents[0]
        about = "，".join(x for x in ("、".join(d.issuers), d.number, d.date) if x)
        return f"# {TITLE}\n依据《{d.title}》{f'（{about}）' if about else ''}作答，{HOW_TO_READ}"
    if len(documents) <= LISTED_DOCUMENTS:
        titles = "、".join(f"《{d.title}》" for d in documents)
        return f"# {TITLE}\n依据 {len(documents)} 份政策文件（{titles}）作答，{HOW_TO_READ}"
    return f"# {TITLE}\n依据政策库中的 {len(documents)} 份政策文件作答，{HOW_TO_READ}"


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


def _note(note: str) -> str:
    return note or f"责任单位：{NO_UNITS}"


def citation_card(citation: Citation, words: Iterable[str]) -> str:
    """One collapsible card: [n] measure (item) / 责任单位 / exact source text."""
    c = citation
    item = f' <span class="item">{escape(c.chunk.item)}</span>' if c.chunk.item else ""
    dated = f" {c.document.date}" if c.document and c.document.date else ""
    where = escape(c.source + dated + (f" {c.chunk.part}" if c.chunk.part else ""))
    return (
        f'<details class="citation-card" data-ref="{c.ref}">'
        f'<summary><span class="ref">[{c.ref}]</span>{escape(c.chunk.measure)}{item}</summary>'
        f'<div class="units">{escape(_note(c.chunk.note))}</div>'
        f'<blockquote class="source">{highlight(c.chunk.text, words)}</blockquote>'
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
            lines.append(f"[{c.ref}] {c.source} {c.chunk.where}（{_note(c.chunk.note)}）：{c.chunk.text}")
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
        f'<div class="units">{escape(_note(view.note))}</div>'
        f'{"".join(body)}'
        "</article>"
    )


def pieces(text: str, step: int) -> Iterator[str]:
    """Ever longer prefixes of ``text``, ``step`` characters at a time, ending with all of it."""
    for end in range(step, len(text), step):
        yield text[:end]
    yield text
