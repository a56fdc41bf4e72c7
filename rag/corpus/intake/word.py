"""DOCX → text with python-docx: paragraphs and tables in body order, Word's list numbers restored.

``Document.paragraphs`` and ``Document.tables`` are two separate lists, which would move every
table to the end; the body's children (w:p, w:tbl, and content controls holding them) are read
in order instead. A table becomes one line per row, its cells joined by 「；」: a tab would
not survive (white space next to Chinese characters is noise to every later step and would
glue the cells together), while 「；」 keeps each cell a clause the sentence splitter can cut at.
Headers, footers, footnotes, comments and text boxes are not read.
"""

from __future__ import annotations

import io

from rag.corpus.intake.wordnumbering import ListNumbering, W

CELL_SEPARATOR = "；"
_CLAUSE_END = tuple("。；：！？;:")


class BrokenDocxError(ValueError):
    """python-docx cannot open the package."""


def docx_text(data: bytes) -> str:
    """The document's text, one paragraph or table row per line."""
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    # A damaged package fails in many layers (zip, XML parser, package relationships,
    # python-docx's own checks); each is the same thing to the user.
    except Exception as e:
        raise BrokenDocxError(f"a broken DOCX file ({type(e).__name__}: {e})") from e
    numbering = ListNumbering(document)
    return "\n".join(_blocks(document.element.body, numbering))


def _blocks(container, numbering: ListNumbering):
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in container.iterchildren():
        if child.tag == f"{W}p":
            text = Paragraph(child, None).text
            label = numbering.label(child)
            if text.strip() or label:
                yield label + text
        elif child.tag == f"{W}tbl":
            yield from _rows(Table(child, None), numbering)
        elif child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                yield from _blocks(content, numbering)


def _rows(table, numbering: ListNumbering):
    for row in table.rows:
        cells, seen = [], []
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans; holding the elements
            # keeps lxml's proxies alive, so ``is`` tells them apart.
            if any(cell._tc is tc for tc in seen):
                continue
            seen.append(cell._tc)
            text = CELL_SEPARATOR.join(line for line in _blocks(cell._tc, numbering) if line.strip())
            cells.append(text.strip())
        line = ""
        for text in filter(None, cells):
            line += (CELL_SEPARATOR if line and not line.endswith(_CLAUSE_END) else "") + text
        if line:
            yield line
