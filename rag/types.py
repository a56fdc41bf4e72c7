"""Frozen records that the pipeline stages hand to each other."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Literal, get_args

SearchMode = Literal["hybrid", "dense", "bm25"]
SEARCH_MODES: tuple[SearchMode, ...] = get_args(SearchMode)
AnswerKind = Literal["retrieval", "refusal", "aggregate", "llm"]


def written_note(notes: Sequence[str], units: Sequence[str]) -> str:
    """The notes as written, or the parsed 责任单位 list where an index built before notes were kept has none."""
    if notes:
        return "；".join(notes)
    return f"责任单位：{'、'.join(units)}" if units else ""


@dataclass(frozen=True)
class Chunk:
    """A retrievable piece of one measure (or article): the policy's own wording."""

    id: str
    document: str
    part: str | None
    measure: str
    item: str | None
    text: str
    responsible_units: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    document_id: str = ""  # the DocumentInfo.id of its document
    lead_units: tuple[str, ...] = ()  # the 牵头单位 among responsible_units, when the note tells them apart
    notes: tuple[str, ...] = ()  # its responsibility notes as written (「负责部门：人民银行、外汇局」)

    @property
    def where(self) -> str:
        """「（七）支持产业结构优化升级 · 2.做好“三农”金融服务」: the measure, then the item if any."""
        return f"{self.measure} · {self.item}" if self.item else self.measure

    @property
    def headed(self) -> str:
        """The wording under its heading: 「（一）加大稳岗支持力度：对不裁员…」 names its subject in the heading."""
        return f"{self.where}：{self.text}"

    @property
    def note(self) -> str:
        """Who carries it out, as the document words it (so it can be quoted); "" if no note names anyone."""
        return written_note(self.notes, self.responsible_units)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["responsible_units"] = list(self.responsible_units)
        d["spans"] = [list(s) for s in self.spans]
        d["lead_units"] = list(self.lead_units)
        d["notes"] = list(self.notes)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Chunk:
        return cls(
            id=d["id"],
            document=d["document"],
            part=d.get("part"),
            measure=d["measure"],
            item=d.get("item"),
            text=d["text"],
            responsible_units=tuple(d.get("responsible_units") or ()),
            spans=tuple(tuple(s) for s in d.get("spans") or ()),
            document_id=d.get("document_id") or "",
            lead_units=tuple(d.get("lead_units") or ()),
            notes=tuple(d.get("notes") or ()),
        )


@dataclass(frozen=True)
class DocumentInfo:
    """A document's identity, as the corpus reads it, the index records it and answers cite it."""

    id: str  # stable ASCII slug, unique in the library
    title: str  # the policy's own title (not its 印发 notice's)
    number: str | None = None  # 文号: 国办发〔2019〕6号, 国务院令第722号
    issuers: tuple[str, ...] = ()  # in source order; several for a joint document
    signed: str | None = None  # 成文日期 (a 条例: last adopted or approved), ISO
    published: str | None = None  # 发布日期, ISO
    effective: str | None = None  # 施行日期, ISO
    region: str | None = None  # national | province | city, from the issuers
    type: str | None = None  # 条例, 办法, 意见, 措施, 方案, 通知 …
    status: str = "unknown"  # in_force | repealed | unknown: the text cannot tell; a sidecar can
    notice_title: str | None = None  # the 印发/转发 notice's title, kept apart from the policy's
    source: str = ""  # file name in the corpus folder
    preamble: str | None = None
    header: str | None = None  # the lines under the title (题注, 令 and 公布 sentences): what states its dates

    @property
    def date(self) -> str | None:
        """The date a citation shows: published, else signed, else effective."""
        return self.published or self.signed or self.effective

    @property
    def label(self) -> str:
        """《title》（文号）: how an answer names the document it quotes."""
        return f"《{self.title}》（{self.number}）" if self.number else f"《{self.title}》"

    def as_dict(self) -> dict:
        """JSON-ready, with ``date`` included and issuers as a list."""
        return {**asdict(self), "issuers": list(self.issuers), "date": self.date}

    def to_dict(self) -> dict:
        return {**asdict(self), "issuers": list(self.issuers)}

    @classmethod
    def from_dict(cls, d: dict) -> DocumentInfo:
        known = {f.name for f in fields(cls)}
        return cls(**{k: (tuple(v) if k == "issuers" else v) for k, v in d.items() if k in known})


@dataclass(frozen=True)
class Hit:
    """A chunk returned by a retriever, with the score that ranked it."""

    chunk: Chunk
    score: float
    rank: int


@dataclass(frozen=True)
class Citation:
    """The exact source behind an answer marker ``[ref]``: a chunk (or a whole measure's chunks
    joined, for outline answers), the score that put it there, and the document it is from."""

    ref: int
    chunk: Chunk
    score: float
    document: DocumentInfo | None = None

    @property
    def source(self) -> str:
        """《title》（文号）, or the chunk's document title when the index has no identity for it."""
        return self.document.label if self.document else f"《{self.chunk.document}》"

    def to_dict(self) -> dict:
        """The flat shape the API, the OpenAI sources and the logs share."""
        c, d = self.chunk, self.document
        return {"ref": self.ref, "chunk_id": c.id, "document": c.document, "part": c.part, "measure": c.measure,
                "item": c.item, "text": c.text, "responsible_units": list(c.responsible_units),
                "lead_units": list(c.lead_units), "score": self.score, **document_fields(c, d)}


def document_fields(chunk: Chunk, document: DocumentInfo | None) -> dict:
    """What every citation and search result says about its document."""
    return {"document_id": chunk.document_id, "title": document.title if document else chunk.document,
            "number": document.number if document else None,
            "issuers": list(document.issuers) if document else [],
            "date": document.date if document else None}


MARKER = re.compile(r"\[(\d+)\]")  # a statement's citation marker, ``[n]``


@dataclass(frozen=True)
class Answer:
    """What the answer stage returns to the API, the UI and the WeCom channels.

    ``summary`` is the one-line opening; ``statements`` are the answer's lines, each
    ending with its ``[n]`` markers; ``text`` is summary and statements joined.
    """

    question: str
    summary: str
    statements: tuple[str, ...]
    citations: tuple[Citation, ...]
    found: bool
    kind: AnswerKind = "retrieval"
    related: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        return "\n".join((self.summary, *self.statements))


@dataclass(frozen=True)
class Turn:
    """One earlier message of a conversation (``role`` is ``user`` or ``assistant``)."""

    role: str
    content: str
