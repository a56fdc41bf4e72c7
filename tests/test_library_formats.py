"""A policy as PDF, DOCX or a saved web page gives the chunks its plain text gives.

Each format is made from a real public policy by a real tool (ReportLab lays out a PDF with
running headers and page numbers, python-docx writes a Word file, the page is a gov.cn-style
article with navigation, sidebar and footer); the whole path — intake, identity,
segmentation, de-duplication, outline, chunking — runs on it, and at least 98% of the
sentences the text version's chunks quote must be quoted by the format's chunks too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eval.intake_files import gov_page, policy_lines, reportlab_pdf, running_header, word_docx
from rag.corpus.chunking import chunk_documents
from rag.corpus.folder import parse_file, read_source

REPO = Path(__file__).resolve().parents[1]
LIBRARY = REPO / "eval" / "library"
# An article-numbered 条例 and a 一、/（一） document with 责任单位 notes: the two numbering families.
DOCUMENTS = ("fangfan-chuzhi-feifa-jizi-tiaoli.txt", "hufubanfa-2024-3-haimian-chengshi.txt")
_SENTENCE = re.compile(r"[^。！？；]+[。！？；]")


def chunk_sentences(path: Path) -> tuple[set[str], object]:
    document = parse_file(read_source(path)).document
    chunks = chunk_documents([document])
    return {s for c in chunks for s in _SENTENCE.findall(c.text)}, document.info


def make(kind: str, source: Path, folder: Path) -> Path:
    """The policy in ``kind``, beside a copy of the text's sidecar (facts the text does not hold)."""
    lines = policy_lines(source.read_text(encoding="utf-8"))
    path = folder / f"{source.stem}.{kind}"
    if kind == "pdf":
        reportlab_pdf(lines, path, running_header(lines))
    elif kind == "docx":
        word_docx(lines, path)
    else:
        path.write_text(gov_page(lines), encoding="utf-8")
    sidecar = source.with_name(source.name + ".meta.json")
    if sidecar.is_file():
        path.with_name(path.name + ".meta.json").write_bytes(sidecar.read_bytes())
    return path


@pytest.mark.parametrize("name", DOCUMENTS)
@pytest.mark.parametrize("kind", ["pdf", "docx", "html"])
def test_format_gives_the_chunks_of_the_plain_text(kind, name, tmp_path):
    text_path = LIBRARY / name
    expected, text_info = chunk_sentences(text_path)
    assert len(expected) > 40
    made = make(kind, text_path, tmp_path)
    got, info = chunk_sentences(made)
    kept = len(expected & got) / len(expected)
    assert kept >= 0.98, f"{kind}: {kept:.1%} kept; missing e.g. {sorted(expected - got)[:3]}"
    # The identity survives the format too: same title and 文号.
    assert (info.title, info.number) == (text_info.title, text_info.number)
