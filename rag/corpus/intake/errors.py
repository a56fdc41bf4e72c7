"""The one error intake raises: a file it cannot read, said in one line that names the file."""

from __future__ import annotations

from pathlib import Path

from rag.errors import CorpusError


class IntakeError(CorpusError):
    """A document cannot be read: empty, broken, too large, scanned, undecodable or not a supported format.

    ``path`` is the file and ``reason`` the short cause, so a channel can word it its own way;
    ``str()`` is the whole line: ``<file>: <reason>``.
    """

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason
