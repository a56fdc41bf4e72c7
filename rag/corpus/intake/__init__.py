"""Intake of real document formats: PDF, DOCX, HTML, text and Markdown → cleaned text with offsets.

``extract(path)`` recognises a file by its content, extracts its text with the library
measured best for Chinese policy documents, and removes extraction noise (spaces between
characters, page numbers, running headers, wrapped lines, full-width digits) without rewriting
the wording; ``Extracted.origin`` maps every offset of the cleaned text back to the extracted one.
"""

from rag.corpus.intake.document import MAX_BYTES, Extracted, extract
from rag.corpus.intake.errors import IntakeError
from rag.corpus.intake.offsets import OffsetMap

__all__ = ["MAX_BYTES", "Extracted", "IntakeError", "OffsetMap", "extract"]
