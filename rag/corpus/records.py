"""The outline's records: a document, its measures (or articles), their items, blocks and sentences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rag.corpus.numbering import int_to_cn
from rag.types import DocumentInfo

# front: content before the first heading; part: a part's (or chapter's) own text before its first measure
MeasureKind = Literal["measure", "article", "front", "part"]

FRONT = "前言"
NOTICE = "印发通知"
UNLABELLED = "未标明的措施"


@dataclass(frozen=True)
class Sentence:
    text: str
    span: tuple[int, int]


@dataclass(frozen=True)
class Block:
    """Consecutive sentences and the responsibility note that closes them (if any)."""

    sentences: tuple[Sentence, ...]
    units: tuple[str, ...]
    lead: tuple[str, ...] = ()  # the units the note names as 牵头; empty when it tells nobody apart
    note: str = ""  # the note as written, inside its brackets: what an answer quotes


@dataclass(frozen=True)
class Item:
    number: int | None
    title: str | None
    blocks: tuple[Block, ...]
    span: tuple[int, int] = (0, 0)  # where the item heading stands in the raw file

    @property
    def label(self) -> str | None:
        return None if self.number is None else f"{self.number}.{self.title or ''}"


@dataclass(frozen=True)
class Measure:
    """A numbered measure （六） or article 第六条, with its items and responsible units."""

    document: str
    part: str | None
    number: int | None
    title: str | None
    items: tuple[Item, ...]
    kind: MeasureKind = "measure"

    @property
    def heading(self) -> str:
        if self.kind in ("front", "part") or self.number is None:
            return self.title or FRONT
        if self.kind == "article":
            return f"第{int_to_cn(self.number)}条" + (f" {self.title}" if self.title else "")
        return f"（{int_to_cn(self.number)}）{self.title or ''}"

    @property
    def responsible_units(self) -> tuple[str, ...]:
        units = (u for item in self.items for b in item.blocks for u in b.units)
        return tuple(dict.fromkeys(units))

    @property
    def lead_units(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(u for item in self.items for b in item.blocks for u in b.lead))

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(b.note for item in self.items for b in item.blocks if b.note))

    @property
    def text(self) -> str:
        return "".join(s.text for item in self.items for b in item.blocks for s in b.sentences)


@dataclass(frozen=True)
class Document:
    """A parsed document: its identity and its outline of measures (or articles)."""

    info: DocumentInfo
    measures: tuple[Measure, ...]

    @property
    def title(self) -> str:
        return self.info.title

    @property
    def source(self) -> str:
        return self.info.source
