"""Query normalisation: Traditional → Simplified, width and spacing, domain synonyms."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import opencc

from rag.data import DATA_DIR

_ACCOUNT_CLASS = re.compile(r"(?<![一二三四五六七八九十第])([一二三])(?=类(?:户|账户|支付账户|银行账户|银行结算账户))")
_CLASS_NUMERALS = {"一": "Ⅰ", "二": "Ⅱ", "三": "Ⅲ"}


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise_query(text: str) -> str:
    """Simplified characters, half-width letters and digits, single spaces.

    Full-width punctuation stays (it carries sentence structure for the tokenizers);
    only the ASCII-range letters and digits are folded, so ＡＢＣ１２３ meets ABC123.
    """
    text = "".join(_fold_width(ch) for ch in unicodedata.normalize("NFC", text))
    text = " ".join(text.split())
    # 「二类户」 is how a client says 「Ⅱ类户」 (the tokenizer reads a typed II类 as Ⅱ类 itself)
    text = _ACCOUNT_CLASS.sub(lambda m: _CLASS_NUMERALS[m.group(1)], text)
    return _converter().convert(text)


def _fold_width(ch: str) -> str:
    code = ord(ch)
    if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A:
        return chr(code - 0xFEE0)
    return " " if ch == "\u3000" else ch


def load_synonyms(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Term → the other members of its synonym group, from a tab-separated file."""
    path = path or DATA_DIR / "synonyms.tsv"
    table: dict[str, tuple[str, ...]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        group = [t.strip() for t in line.split("\t") if t.strip()]
        for term in group:
            # the tokenizer lowercases Latin letters: 「RQFII」 is asked about as rqfii
            for key in dict.fromkeys((term, term.lower())):
                table[key] = tuple(dict.fromkeys(table.get(key, ()) + tuple(g for g in group if g != term)))
    return table


def mentions(text: str, word: str, synonyms: Mapping[str, Sequence[str]] | None = None) -> bool:
    """Whether ``text`` holds ``word`` or one of its synonyms."""
    return any(t in text for t in (word, *(synonyms or {}).get(word, ())))


def expand(text: str, synonyms: dict[str, tuple[str, ...]]) -> list[str]:
    """Synonyms of every group member that occurs in ``text``, longest terms first."""
    extra: list[str] = []
    for term in sorted(synonyms, key=len, reverse=True):
        if term in text:
            extra.extend(s for s in synonyms[term] if s not in text and s not in extra)
    return extra
