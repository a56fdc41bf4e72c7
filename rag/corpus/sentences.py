"""Sentence splitting shared by indexing (one passage per sentence) and answering."""

from __future__ import annotations

import re

_SENTENCE = re.compile(r"[^。！？；]+[。！？；]?")
# Where a question's clause ends, in either width: what a word is said of stays within one.
CLAUSE_BREAK = re.compile(r"[，,。？?；;！!]")


def split_sentences(text: str) -> list[str]:
    """Sentences ending in 。！？；, punctuation kept, so joining them gives ``text`` back."""
    return _SENTENCE.findall(text) or [text]
