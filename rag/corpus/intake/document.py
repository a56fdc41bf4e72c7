"""One file → its text: recognise the format, extract with the chosen library, clean the noise."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rag.corpus.cleaning import strip_markdown
from rag.corpus.intake.decode import UndecodableError, decode
from rag.corpus.intake.errors import IntakeError
from rag.corpus.intake.noise import clean
from rag.corpus.intake.offsets import OffsetMap
from rag.corpus.intake.pdf import PdfProblem, pdf_pages
from rag.corpus.intake.sniff import Format, UnsupportedError, sniff
from rag.corpus.intake.webpage import NoMainTextError, page_text
from rag.corpus.intake.word import BrokenDocxError, docx_text

# A policy document is tens of kilobytes as text and a few megabytes as a PDF; anything far
# larger is not one document, and reading it whole would hold the build up.
MAX_BYTES = 50 * 1024 * 1024
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class Extracted:
    """A document's text as intake hands it on.

    ``text`` is the cleaned text; ``origin`` maps any offset in it (0…len(text)) to an offset in
    ``source_text``, which is what the extraction library produced (for text files: the decoded
    file, so offsets there are the file's own character offsets; for PDF: the pages joined by
    form feeds).
    """

    text: str
    origin: OffsetMap
    source_text: str
    format: Format
    encoding: str | None

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Where the cleaned span ``[start, end)`` stands in ``source_text``."""
        return self.origin.span(start, end)


def extract(path: Path, max_bytes: int = MAX_BYTES) -> Extracted:
    """Read one document; every failure is an :class:`IntakeError` whose message is one line naming the file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise IntakeError(path, f"{size / 2**20:.1f} MiB is over the {max_bytes / 2**20:.0f} MiB limit for one document")
        data = path.read_bytes()
    except OSError as e:
        raise IntakeError(path, f"cannot be read ({e.strerror or e})") from e
    if not data.strip():
        raise IntakeError(path, "the file is empty")
    try:
        return _extract(path, data)
    except (UnsupportedError, PdfProblem, BrokenDocxError, NoMainTextError, UndecodableError) as e:
        raise IntakeError(path, str(e)) from e


def _extract(path: Path, data: bytes) -> Extracted:
    kind = sniff(path, data)
    if kind == "pdf":
        source, encoding, profile = "\f".join(pdf_pages(data)), None, "paged"
    elif kind == "docx":
        source, encoding, profile = docx_text(data), None, "flow"
    elif kind == "html":
        declared = _CHARSET.search(data[:4096])
        html, encoding = decode(data, declared.group(1).decode("ascii") if declared else None)
        source, profile = page_text(html), "flow"
    else:
        source, encoding = decode(data)
        profile = "plain"
        if kind == "markdown":
            # Blanking keeps every offset, so the map still points into the file as decoded.
            return _finish(strip_markdown(source), kind, encoding, profile, shown=source)
    return _finish(source, kind, encoding, profile)


def _finish(source: str, kind: Format, encoding: str | None, profile, shown: str | None = None) -> Extracted:
    text, origin = clean(source, profile)
    if not text.strip():
        raise UnsupportedError("no text in the document")
    return Extracted(text=text, origin=origin, source_text=source if shown is None else shown,
                     format=kind, encoding=encoding)
