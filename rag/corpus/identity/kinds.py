"""Document type from how a title ends (…的指导意见 → 指导意见, …若干措施 → 措施)."""

from __future__ import annotations

import re
from functools import lru_cache

from rag.corpus.identity import lexicon

# （试行）, （暂行）, （2021—2025年）, （修订） close a title without changing its type.
_TRAILING_PARENS = re.compile(r"(?:[（(][^（）()]{1,20}[）)])+$")


def strip_trailing_parens(title: str) -> str:
    return _TRAILING_PARENS.sub("", title.strip())


@lru_cache(maxsize=1)
def endings_pattern() -> re.Pattern:
    """Any type ending, longest alternatives first."""
    return re.compile("|".join(re.escape(e) for e, _ in lexicon.type_endings()))


def ending_of(title: str) -> tuple[str, str] | None:
    """(ending, type) closing ``title``, ignoring a trailing parenthesis."""
    bare = strip_trailing_parens(title)
    return next(((e, t) for e, t in lexicon.type_endings() if bare.endswith(e)), None)


def doc_type(title: str) -> str | None:
    found = ending_of(title)
    return found[1] if found else None


def is_complete_title(title: str) -> bool:
    """Whether ``title`` can end here.

    A title naming its subject with 关于 ends 的+type (关于…的指导意见), and a notice that
    issues or forwards another document ends 的通知; anything else ends at a type word.
    A wrapped title's first line usually ends mid-phrase and fails this test.
    """
    found = ending_of(title)
    if found is None:
        return False
    bare = strip_trailing_parens(title)
    head = bare[: -len(found[0])]
    if re.search(r"关于(?:印发|转发)", bare) and not bare.endswith("的通知"):
        return False
    if "关于" in bare:
        return bool(re.search(r"[的之](?:若干|实施|指导|补充|有关|具体|暂行)?$", head))
    return len(bare) > len(found[0])
