"""The general knowledge identity extraction needs, read once from ``rag/data/identity/``.

Kept as data (province names, national bodies, issuer-name endings, document-type endings)
so that a new kind of issuer or title is a line in a file, not a code change.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rag.data import DATA_DIR

_DIR = DATA_DIR / "identity"


@dataclass(frozen=True)
class Province:
    full: str   # 广西壮族自治区
    short: str  # 广西
    kind: str   # 省, 自治区, 直辖市, 特别行政区


def _rows(name: str) -> list[list[str]]:
    text = (_DIR / name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def provinces() -> tuple[Province, ...]:
    return tuple(Province(*row[:3]) for row in _rows("provinces.tsv"))


@lru_cache(maxsize=1)
def national_bodies() -> frozenset[str]:
    return frozenset(body_names())


@lru_cache(maxsize=1)
def body_names() -> dict[str, tuple[str, ...]]:
    """Each national body's name → every name of it (its full name and short forms): 银监会 is 中国银行业监督管理委员会."""
    rows = [tuple(name.strip() for name in row) for row in _rows("national_bodies.txt")]
    return {name: row for row in rows for name in row}


@lru_cache(maxsize=1)
def issuer_suffixes() -> tuple[str, ...]:
    # Longest first, so 人民政府办公厅 is tried before 办公厅.
    return tuple(sorted((row[0].strip() for row in _rows("issuer_suffixes.txt")), key=len, reverse=True))


@lru_cache(maxsize=1)
def type_endings() -> tuple[tuple[str, str], ...]:
    """(ending, type) pairs, longest ending first."""
    pairs = ((row[0].strip(), row[1].strip()) for row in _rows("document_types.tsv"))
    return tuple(sorted(pairs, key=lambda p: len(p[0]), reverse=True))
