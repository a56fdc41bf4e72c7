"""The signature block: issuer names over a date at the end of a document (落款), and the
版记 line 「XX办公厅 YYYY年M月D日印发」 that records when the document was printed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.corpus.identity.dates import DATE, iso_of
from rag.corpus.identity.issuers import split_issuers

_OPEN_NOTE = r"(?:（此件[^）]{0,12}）|\(此件[^)]{0,12}\))"
_DATE_LINE = re.compile(rf"[（(]?\s*(?:{DATE.pattern})\s*[）)]?\s*{_OPEN_NOTE}?")
_AFTER_INLINE_DATE = re.compile(rf"\s*(?:{_OPEN_NOTE}|$)")
_CLAUSE_BREAK = re.compile(r"[。；！？）)]")
# The 版记 closes the document: its last line ends with the printing date and 印发.
_PRINTED = re.compile(rf"(?:{DATE.pattern})\s*印发\s*$")
_MAX_NAME_LINE = 60


@dataclass(frozen=True)
class Signature:
    date: str | None
    issuers: tuple[str, ...]


def _names_above(lines: list[str], k: int) -> tuple[str, ...]:
    """Issuer names on the lines just above line ``k``, top to bottom; blank lines skipped."""
    names: list[str] = []
    j = k - 1
    while j >= 0:
        line = lines[j]
        if line:
            found = split_issuers(line) if len(line) <= _MAX_NAME_LINE else None
            if not found:
                break
            names[:0] = found
        j -= 1
    return tuple(names)


def _inline(line: str) -> Signature | None:
    """Issuer and date on one line, or glued after a sentence by extraction: …。X省人民政府办公厅YYYY年M月D日（此件主动公开）."""
    for m in DATE.finditer(line):
        if not _AFTER_INLINE_DATE.match(line, m.end()):
            continue
        before = line[: m.start()]
        breaks = list(_CLAUSE_BREAK.finditer(before))
        names = split_issuers(before[breaks[-1].end():] if breaks else before)
        if names:
            return Signature(iso_of(m), names)
    return None


def find_signature(lines: list[str], start: int) -> Signature | None:
    """The first signature at or after line ``start``."""
    for k in range(start, len(lines)):
        line = lines[k]
        m = _DATE_LINE.fullmatch(line)
        if m:
            return Signature(iso_of(m), _names_above(lines, k))
        found = _inline(line) if line else None
        if found:
            return found
    return None


def printed_date(lines: list[str]) -> str | None:
    """The date of the 版记's 「…印发」 line, the document's last."""
    last = next((line for line in reversed(lines) if line), "")
    m = _PRINTED.search(last)
    return iso_of(m) if m else None
