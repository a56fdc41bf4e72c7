"""What a file is, told from its bytes: the extension only separates Markdown from plain text.

A .txt that is really a PDF is a PDF; an .html holding no markup is text; a ZIP is a Word
document only if it holds word/document.xml.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Literal

Format = Literal["pdf", "docx", "html", "text", "markdown"]


class UnsupportedError(ValueError):
    """The bytes are a known kind of file that intake does not read, or no text at all."""


MARKDOWN_SUFFIXES = (".md", ".markdown")
_HEAD = 4096
# Binary formats someone may drop into a policy folder, and how to name them in an error.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"), (b"BM", "a BMP image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office file (.doc/.xls/.wps); save it as .docx"),
    (b"{\\rtf", "an RTF document; save it as .docx"), (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"), (b"Rar!", "a RAR archive"), (b"%!PS", "a PostScript file"),
)
_ZIP_KINDS = (
    ("word/document.xml", None), ("xl/workbook.xml", "an Excel workbook (.xlsx)"),
    ("ppt/presentation.xml", "a PowerPoint deck (.pptx)"), ("content.xml", "an OpenDocument file; save it as .docx"),
    ("Contents/Section0.xml", "a Hangul/HWPX document"), ("Doc_0/Document.xml", "an OFD document"),
)
_HTML_START = re.compile(rb"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|meta|body)\b",
                         re.IGNORECASE | re.DOTALL)
_TAG = re.compile(rb"</?(?:p|div|span|br|table|tr|td|a|h[1-6]|li|ul|body|title|font|strong|b|center)\b[^<>]{0,500}>",
                  re.IGNORECASE)


def sniff(path: Path, data: bytes) -> Format:
    """The format of ``data`` (the file's bytes); raises :class:`UnsupportedError` with a reason."""
    head = data[:_HEAD]
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data)
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise UnsupportedError(f"{what}, not a policy document intake can read")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        raise UnsupportedError("a WebP image, not a policy document intake can read")
    if looks_like_html(head):
        return "html"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnsupportedError("a binary file, not text, PDF, DOCX or HTML")
    return "markdown" if path.suffix.lower() in MARKDOWN_SUFFIXES else "text"


def looks_like_html(head: bytes) -> bool:
    """A page opens with a doctype, <html>, <head> or <meta>; a fragment is mostly markup."""
    head = head.removeprefix(b"\xef\xbb\xbf")
    if _HTML_START.match(head):
        return True
    tags = _TAG.findall(head)
    return len(tags) >= 5 and sum(map(len, tags)) >= 0.2 * len(head.strip())


def _zip_kind(data: bytes) -> Format:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise UnsupportedError(f"a broken or truncated ZIP/DOCX file ({e})") from e
    for member, what in _ZIP_KINDS:
        if member in names:
            if what is None:
                return "docx"
            raise UnsupportedError(f"{what}, not a policy document intake can read")
    raise UnsupportedError("a ZIP archive without word/document.xml, not a DOCX")
