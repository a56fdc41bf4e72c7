"""Answers that span documents: side-by-side comparisons and complete lists for broad questions.

A credit officer asking 「科技型企业有哪些融资支持？」 needs every measure on the subject, not
the three that scored highest; 「A和B分别怎么规定」 needs one quote from each. Both are
grouped by document, newest first, each group under its title and 文号, and every listed
measure keeps its citation, also those only named in the 「另有 N 条」 tail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from rag.answering.extractive import MAX_CHARS, Quote, citation
from rag.corpus.sentences import split_sentences
from rag.types import Answer, Chunk, Citation, DocumentInfo, Hit

# 「有哪些支持/政策」 asks for everything on a subject; 「得满足哪些要求」「可以采取哪些措施」 ask for one article's list.
_BROAD = re.compile(r"(有|包括|涉及)哪些|哪些(文件|政策|支持|便利|扶持)|都怎么|各个?文件|这些文件")
SHOWN = 8  # measures quoted in full; the rest of a broad list is named in its tail
BROAD_RATIO = 0.5  # a chunk joins a broad list this close to the best one
BROAD_MAX = 40  # chunks a broad answer may cite in all
BROAD_LEXICAL = 0.2  # …and with this share of the best lexical score (see README: recall and length)


def on_subject(hits: Sequence[Hit], bm25: np.ndarray, positions: Mapping[str, int]) -> list[Hit]:
    """The hits that share the question's words: at least ``BROAD_LEXICAL`` of the best lexical score.

    A dense neighbour without the subject's words (「监管」 for 「现场检查」) is near in meaning yet
    not on the subject, and a broad list of forty such chunks buries the ones that are.
    """
    if not hits:
        return []
    scores = np.array([bm25[positions[h.chunk.id]] for h in hits])
    best = scores.max()
    return [h for h, s in zip(hits, scores) if best <= 0 or s >= BROAD_LEXICAL * best]


def is_broad(question: str) -> bool:
    return bool(_BROAD.search(question))


def is_comparison(question: str, documents: Sequence[str]) -> bool:
    """Two or more named documents are compared side by side, whatever the wording (分别, 对比, 各…)."""
    return len(documents) >= 2


def newest_first(ids: Sequence[str], documents: Mapping[str, DocumentInfo]) -> list[str]:
    return sorted(dict.fromkeys(ids), key=lambda i: (documents[i].date or "") if i in documents else "", reverse=True)


def compose_grouped(question: str, quotes: Sequence[Quote], documents: Mapping[str, DocumentInfo],
                    summary: str) -> Answer:
    """Quotes grouped by document (newest first) and measure; past ``SHOWN`` measures, only their names."""
    order = newest_first([q.hit.chunk.document_id for q in quotes], documents)
    ranked = sorted(quotes, key=lambda q: order.index(q.hit.chunk.document_id))
    statements: list[str] = []
    citations: list[Citation] = []
    tail: list[str] = []
    budget = MAX_CHARS * 2 - len(summary)
    current = None
    for quote in ranked:
        chunk = quote.hit.chunk
        ref = len(citations) + 1
        citations.append(citation(ref, chunk, quote.hit.score))
        if len(statements) >= SHOWN + len(order) or budget <= 0:
            tail.append(f"{_label(chunk.document_id, chunk.document, documents)}{chunk.where}[{ref}]")
            continue
        if chunk.document_id != current and len(order) > 1:  # one document: its citations name it
            current = chunk.document_id
            statements.append(f"{_label(chunk.document_id, chunk.document, documents)}：")
        line = f"{chunk.where}：{_joined(quote)}[{ref}]"
        statements.append(line)
        budget -= len(line)
    if tail:
        statements.append(f"另有 {len(tail)} 条相关措施：{'；'.join(tail)}")
    return Answer(question, summary, tuple(statements), tuple(citations), True)


_ITEM = re.compile(r"^[（(][一二三四五六七八九十]+[)）]|^\d+[.．、]")


_INTRODUCES = re.compile(r"(下列|以下|如下)[^。；]{0,12}[：:。]?$")


def listed_under(chunk: Chunk, chunks: Sequence[Chunk]) -> tuple[str, list[Chunk]]:
    """A lead-in and the items it introduces, when ``chunk`` is one of them or the lead-in itself
    (「十九、…存在以下行为的视为刚性兑付：」 then （一）…（四）); else ("", [])."""
    part = chunk.part or ""
    siblings = [c for c in chunks if c.document_id == chunk.document_id and c.part == chunk.part]
    items = [c for c in siblings if _ITEM.match(c.measure)]
    if not items:
        return "", []
    if part.rstrip().endswith(("：", ":")) and _ITEM.match(chunk.measure):
        return part, siblings
    last = split_sentences(chunk.text)[-1].strip()
    if not _ITEM.match(chunk.measure) and _INTRODUCES.search(last):
        return last, items
    return "", []


def compose_list(question: str, lead: str, items: Sequence[Chunk], score: float) -> Answer:
    """A lead-in with every item it introduces, each item's opening sentence quoted and cited."""
    statements, citations = [], []
    room = MAX_CHARS * 2
    for chunk in items:
        ref = len(citations) + 1
        first = split_sentences(chunk.text)[0]
        line = f"{first}[{ref}]" if first.startswith(chunk.measure[:4]) else f"{chunk.measure}：{first}[{ref}]"
        if room - len(line) < 0:
            break
        statements.append(line)
        citations.append(citation(ref, chunk, score))
        room -= len(line)
    return Answer(question, lead, tuple(statements), tuple(citations), True)


def _label(document_id: str, title: str, documents: Mapping[str, DocumentInfo]) -> str:
    info = documents.get(document_id)
    return info.label if info else f"《{title}》"


def _joined(quote: Quote) -> str:
    out, last = "", None
    for sentence, position in zip(quote.sentences, quote.positions):
        out += ("……" if last is not None and position != last + 1 else "") + sentence
        last = position
    return out
