"""PDF → the text of each page, with pdfplumber.

Chosen by measurement (eval/intake.py, figures in the README): on LibreOffice PDFs pypdf and
pdfminer.six's own text output put curly quotes out of reading order in 51 sentences of the
library (“”“”款量与价), pdfplumber in none; on Chromium and ReportLab PDFs all three keep the
wording. pdfplumber is the slowest of the three (about 0.3 s for a 15-page document), which
is paid once per document at build time.
"""

from __future__ import annotations

import io
import logging

# Fewer visible characters than this per page on average: the pages are pictures.
MIN_CHARS_PER_PAGE = 16


class PdfProblem(ValueError):
    """The PDF cannot be read as text; the message says why in a few words."""


def pdf_pages(data: bytes) -> list[str]:
    """The extracted text of every page, in page order."""
    import pdfplumber

    # pdfminer logs each font descriptor it has to repair; the outcome is reported, not the repairs.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    pages: list[str] = []
    try:
        with pdfplumber.open(io.BytesIO(data), password="") as pdf:
            for page in pdf.pages:
                pages.append(page.extract_text() or "")
                page.close()  # frees the page's parsed objects: a long PDF is read in constant memory
    # pdfplumber wraps pdfminer's errors, but a mangled file also fails deeper down (KeyError,
    # struct, zlib and recursion errors); to the user all of them mean the same thing.
    except Exception as e:
        if "PDFPasswordIncorrect" in repr(e) or "PDFEncryptionError" in repr(e):
            raise PdfProblem("an encrypted PDF (a password is needed to read it)") from e
        raise PdfProblem(f"a broken or truncated PDF ({type(e).__name__}: {e})") from e
    if not pages:
        raise PdfProblem("a PDF without pages")
    if sum(len("".join(p.split())) for p in pages) < MIN_CHARS_PER_PAGE * len(pages):
        raise PdfProblem(f"a scanned PDF: its {len(pages)} page(s) have no text layer, OCR is needed to read it")
    return pages
