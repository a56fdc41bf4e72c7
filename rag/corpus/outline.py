"""The measure outline, derived from chunks: what /api/measures, the UI browser and
structural answers (「一共有哪些措施？」「省财政厅参与哪些措施？」) are built on."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from rag.corpus.numbering import CN_NUM, cn_to_int
from rag.types import Chunk, DocumentInfo, written_note

_NUMBER = re.compile(rf"^[（(]([{CN_NUM}]+)[）)]|^第([{CN_NUM}\d]+)条")
# 「十三、对改善地方科研基础条件…」: in a notice whose measures are its parts, the part's number is the measure's
_PART_NUMBER = re.compile(rf"^([{CN_NUM}]+)、")


@dataclass(frozen=True)
class MeasureView:
    id: str
    document: str
    part: str | None
    heading: str
    number: int | None
    chunks: tuple[Chunk, ...]

    @property
    def document_id(self) -> str:
        return self.chunks[0].document_id

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chunks)

    @property
    def responsible_units(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(u for c in self.chunks for u in c.responsible_units))

    @property
    def lead_units(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(u for c in self.chunks for u in c.lead_units))

    @property
    def note(self) -> str:
        return written_note(tuple(dict.fromkeys(n for c in self.chunks for n in c.notes)), self.responsible_units)

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.item for c in self.chunks if c.item))

    @property
    def title(self) -> str:
        return _NUMBER.sub("", self.heading).strip()


def measure_number(heading: str) -> int | None:
    m = _NUMBER.match(heading)
    return cn_to_int(m.group(1) or m.group(2)) if m else None


def outline_from_chunks(chunks: list[Chunk] | tuple[Chunk, ...]) -> list[MeasureView]:
    """Group chunks by (document, measure), keeping outline order."""
    groups: dict[tuple[str, str], list[Chunk]] = {}
    for c in chunks:
        groups.setdefault((c.document, c.measure), []).append(c)
    views = []
    for (document, heading), members in groups.items():
        mid = hashlib.sha1(f"{document}\x1f{heading}".encode()).hexdigest()[:10]
        views.append(MeasureView(mid, document, members[0].part, heading, measure_number(heading), tuple(members)))
    # only where no measure of the document has a number of its own: 「三、」 would otherwise stand beside 「（三）」
    numbered = {v.document for v in views if v.number is not None}
    return [replace(v, number=cn_to_int(m.group(1))) if v.document not in numbered and (m := _PART_NUMBER.match(v.heading))
            else v for v in views]


def find_measure(views: list[MeasureView], key: str, document_id: str | None = None) -> MeasureView | None:
    """A measure by id, or by its number written 6, 六, （六） or 第六条 (the first document's, or ``document_id``'s)."""
    key = key.strip()
    if document_id is not None:
        views = [v for v in views if v.document_id == document_id]
    for v in views:
        if v.id == key:
            return v
    digits = re.sub(r"[（()）第条\s]", "", key)
    try:
        number = cn_to_int(digits)
    except ValueError:
        return None
    return next((v for v in views if v.number == number), None)


def render_outline(views: list[MeasureView], documents: Sequence[DocumentInfo] = ()) -> str:
    """Readable outline: part → measure → number of chunks → responsible units."""
    lines: list[str] = []
    for doc in documents:
        lines.append(" ".join(x for x in (f"《{doc.title}》", doc.number, "、".join(doc.issuers), doc.date) if x))
    part = object()
    for v in views:
        if v.part != part:
            part = v.part
            lines.append(f"\n{v.part or '（前置内容）'}")
        units = "、".join(v.responsible_units) or "—"
        lead = f"（牵头：{'、'.join(v.lead_units)}）" if v.lead_units else ""
        lines.append(f"  {v.heading}  [{len(v.chunks)} 块]  责任单位：{units}{lead}")
        for item in v.items:
            lines.append(f"      {item}")
    return "\n".join(lines).lstrip("\n")
