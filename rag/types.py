"""Frozen records that the pipeline stages hand to each other."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


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

    def to_dict(self) -> dict:
        d = asdict(self)
        d["responsible_units"] = list(self.responsible_units)
        d["spans"] = [list(s) for s in self.spans]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Chunk":
        return cls(
            id=d["id"],
            document=d["document"],
            part=d.get("part"),
            measure=d["measure"],
            item=d.get("item"),
            text=d["text"],
            responsible_units=tuple(d.get("responsible_units") or ()),
            spans=tuple(tuple(s) for s in d.get("spans") or ()),
        )


@dataclass(frozen=True)
class Hit:
    """A chunk returned by a retriever, with the score that ranked it."""

    chunk: Chunk
    score: float
    rank: int


@dataclass(frozen=True)
class Citation:
    """Exact source text behind an answer marker ``[ref]``."""

    ref: int
    chunk_id: str
    document: str
    part: str | None
    measure: str
    item: str | None
    text: str
    responsible_units: tuple[str, ...]
    score: float

    @property
    def where(self) -> str:
        """「（七）支持产业结构优化升级 3.持续推进金融促消费工作」: measure, then item if any."""
        return f"{self.measure} {self.item}" if self.item else self.measure

    def to_dict(self) -> dict:
        d = asdict(self)
        d["responsible_units"] = list(self.responsible_units)
        return d


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
    kind: str = "retrieval"  # retrieval | refusal | aggregate | llm
    related: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        return "\n".join((self.summary, *self.statements))


@dataclass(frozen=True)
class Turn:
    """One earlier message of a conversation (``role`` is ``user`` or ``assistant``)."""

    role: str
    content: str
