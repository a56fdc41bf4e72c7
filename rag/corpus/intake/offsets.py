"""Text edits that remember, for every character, where it stood in the text they started from.

Noise cleaning only deletes characters or swaps one character for another, so every kept
character has exactly one origin; :class:`OffsetMap` stores those origins as runs, which is
a few dozen numbers for a whole document instead of one per character.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OffsetMap:
    """Offsets in a cleaned text → offsets in its source.

    Run ``i`` covers cleaned offsets ``starts[i]`` up to the next run's start, and its
    characters come from consecutive source offsets beginning at ``sources[i]``.
    ``length``/``source_length`` close the last run, so ``len(text)`` maps to the end.
    """

    starts: tuple[int, ...]
    sources: tuple[int, ...]
    length: int
    source_length: int

    def __call__(self, offset: int) -> int:
        """The source offset of the cleaned character at ``offset`` (``len(text)`` → just past the last one)."""
        if not 0 <= offset <= self.length:
            raise IndexError(f"offset {offset} is outside the text (0–{self.length})")
        if offset == self.length:
            return self.sources[-1] + (offset - self.starts[-1]) if self.starts else self.source_length
        i = bisect_right(self.starts, offset) - 1
        return self.sources[i] + (offset - self.starts[i])

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The source span holding the cleaned span ``[start, end)`` (it may include removed noise)."""
        if end <= start:
            at = self(start)
            return at, at
        return self(start), self(end - 1) + 1

    @classmethod
    def identity(cls, length: int) -> OffsetMap:
        return cls((0,) if length else (), (0,) if length else (), length, length)


class MappedText:
    """A text under edit, with the source offset of each of its characters."""

    def __init__(self, text: str, origin: list[int] | None = None):
        self.text = text
        self.origin = list(range(len(text))) if origin is None else origin
        self.source_length = len(text) if origin is None else (max(origin) + 1 if origin else 0)

    def translate(self, table: dict[int, str]) -> MappedText:
        """Swap single characters (a one-to-one table keeps every offset)."""
        return self._derive(self.text.translate(table), self.origin)

    def sub(self, pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str]) -> MappedText:
        """``pattern.sub`` that keeps origins (see :meth:`splice` for what a replacement may be)."""
        return self.splice([(m.start(), m.end(), repl(m) if callable(repl) else m.expand(repl))
                            for m in pattern.finditer(self.text)])

    def splice(self, edits: list[tuple[int, int, str]]) -> MappedText:
        """Replace each span ``[start, end)`` (ascending, non-overlapping) by a string no longer than it.

        A replacement as long as its span maps character by character; a shorter one (usually
        empty: a deletion) takes the origins of the span's first characters.
        """
        if not edits:
            return self
        pieces: list[str] = []
        origin: list[int] = []
        last = 0
        for start, end, new in edits:
            if start < last or len(new) > end - start:
                raise ValueError("noise edits must be ordered, disjoint, and may delete or swap characters, never insert")
            pieces.append(self.text[last:start])
            origin.extend(self.origin[last:start])
            pieces.append(new)
            origin.extend(self.origin[start:start + len(new)])
            last = end
        pieces.append(self.text[last:])
        origin.extend(self.origin[last:])
        return self._derive("".join(pieces), origin)

    def offset_map(self) -> OffsetMap:
        starts: list[int] = []
        sources: list[int] = []
        for i, src in enumerate(self.origin):
            if not starts or src != sources[-1] + (i - starts[-1]):
                starts.append(i)
                sources.append(src)
        return OffsetMap(tuple(starts), tuple(sources), len(self.text), self.source_length)

    def _derive(self, text: str, origin: list[int]) -> MappedText:
        out = MappedText(text, origin)
        out.source_length = self.source_length
        return out
