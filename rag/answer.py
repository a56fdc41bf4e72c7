"""Extractive answers: the policy's own sentences, grouped by measure, with citations."""

from __future__ import annotations

from rag.types import Answer, Citation, Hit


def _citation(ref: int, hit: Hit) -> Citation:
    c = hit.chunk
    return Citation(ref, c.id, c.document, c.part, c.measure, c.item, c.text, c.responsible_units, hit.score)


def compose(question: str, hits: list[Hit]) -> Answer:
    citations = tuple(_citation(i, h) for i, h in enumerate(hits[:3], start=1))
    statements = tuple(f"{c.measure}：{c.text}[{c.ref}]" for c in citations)
    return Answer(question, f"政策中与该问题相关的措施有 {len(citations)} 条：", statements, citations, True)


def refuse(question: str, hits: list[Hit]) -> Answer:
    related = tuple(dict.fromkeys(h.chunk.measure for h in hits))[:3]
    return Answer(question, "政策未涉及该问题。", (), (), False, "refusal", related)
