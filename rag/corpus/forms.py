"""Question forms generated from a library's own wording: the in-scope side of the refusal gate.

The gate compares a question with questions (one scale on both sides). Its out-of-scope
side is generic (everyday banking, near-domain); its in-scope side must come from
whatever documents are loaded, so nothing is written by hand per document. Each measure
heading becomes 「{heading}有哪些措施？」 and the opening clauses of each sentence become
「{clause}有什么规定？」: what a question about that wording looks like to the embedder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rag.corpus.records import UNLABELLED
from rag.corpus.sentences import split_sentences
from rag.types import Chunk

_NUMBERING = re.compile(r"^\s*([（(][一二三四五六七八九十百]+[)）]|第[一二三四五六七八九十百零〇\d]+条|[一二三四五六七八九十]+、|\d+[.．、])\s*")
_CLAUSE = re.compile(r"[，,；;：:。！？]")
CLAUSES_PER_SENTENCE = 2
SHORTEST, LONGEST = 6, 30  # characters of a clause worth asking about
FRONT = ("前言", "印发通知")  # notice and preamble wording: what the document is for, not what it provides


def question_forms(chunks: Iterable[Chunk]) -> list[str]:
    """Distinct question forms for the chunks' headings and sentences, in chunk order."""
    forms: dict[str, None] = {}
    for chunk in chunks:
        if chunk.measure in FRONT:
            continue
        heading = _NUMBERING.sub("", chunk.measure if chunk.measure != UNLABELLED else "").strip("。；： ")
        if len(heading) >= 4:
            forms[f"{heading[:LONGEST]}有哪些措施？"] = None
        for sentence in split_sentences(chunk.text):
            clauses = [c.strip() for c in _CLAUSE.split(_NUMBERING.sub("", sentence))]
            for clause in clauses[:CLAUSES_PER_SENTENCE]:
                if SHORTEST <= len(clause) <= LONGEST:
                    forms[f"{clause}有什么规定？"] = None
    return list(forms)
