"""Files intake cannot read: each gets one IntakeError line naming the file and the reason, never a traceback."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from PIL import Image

from eval import intake_files as make
from rag.corpus.intake import IntakeError, extract
from rag.errors import CorpusError

LIBRARY = Path(__file__).resolve().parents[1] / "eval" / "library"
LINES = make.policy_lines((LIBRARY / "yinfa-2024-2-zhufang-zulin-jinrong.txt").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("intake-errors")


@pytest.fixture(scope="module")
def good_pdf(folder) -> bytes:
    return make.reportlab_pdf(LINES, folder / "good.pdf", "金融支持住房租赁市场发展的意见").read_bytes()


@pytest.fixture(scope="module")
def good_docx(folder) -> bytes:
    return make.word_docx(LINES, folder / "good.docx").read_bytes()


def made(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def assert_refused(path: Path, *words: str) -> str:
    with pytest.raises(IntakeError) as caught:
        extract(path)
    message = str(caught.value)
    assert isinstance(caught.value, CorpusError)
    assert "\n" not in message and message.startswith(str(path)), message
    for word in words:
        assert word in message, message
    return message


def test_a_scanned_pdf_needs_ocr(folder):
    path = make.scanned_pdf(LINES, folder / "scanned.pdf")  # Pillow's PDF writer: one page, one picture
    assert_refused(path, "scanned", "OCR")


def test_an_encrypted_pdf_needs_its_password(folder):
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    path = folder / "locked.pdf"
    pdf = canvas.Canvas(str(path), encrypt=pdfencrypt.StandardEncryption("secret"))
    pdf.drawString(72, 720, "Confidential policy draft")
    pdf.save()
    assert_refused(path, "encrypted", "password")


def test_a_truncated_pdf(folder, good_pdf):
    assert_refused(made(folder, "truncated.pdf", good_pdf[: len(good_pdf) // 3]), "broken or truncated PDF")


def test_a_truncated_docx(folder, good_docx):
    assert_refused(made(folder, "truncated.docx", good_docx[: len(good_docx) // 2]), "broken or truncated ZIP/DOCX")


def test_a_broken_zip(folder):
    assert_refused(made(folder, "broken.docx", b"PK\x03\x04" + b"\x00" * 64), "broken or truncated ZIP/DOCX")


def test_a_docx_whose_document_part_is_damaged(folder, good_docx):
    broken = folder / "damaged.docx"
    with zipfile.ZipFile(folder / "good.docx") as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[: len(data) // 2] if item.filename == "word/document.xml" else data)
    assert_refused(broken, "broken DOCX")


@pytest.mark.parametrize("content", [b"", b"  \n\r\n\t "], ids=["empty", "blank"])
def test_an_empty_file(folder, content):
    assert_refused(made(folder, "empty.txt", content), "empty")


def test_a_png_named_like_a_policy(folder):
    path = folder / "policy.txt"
    Image.new("RGB", (32, 32), "white").save(path, "PNG")
    assert_refused(path, "PNG image")


def test_an_excel_workbook(folder):
    path = folder / "tasks.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert_refused(path, "Excel")


def test_undecodable_text(folder):
    assert_refused(made(folder, "garbled.txt", bytes(range(0x80, 0x100)) * 8), "not UTF-8, GB18030")


def test_binary_bytes(folder):
    assert_refused(made(folder, "data.bin", bytes(range(256)) * 8), "binary")


def test_a_file_over_the_size_limit(folder, good_pdf):
    path = made(folder, "big.pdf", good_pdf)
    with pytest.raises(IntakeError, match="limit"):
        extract(path, max_bytes=len(good_pdf) - 1)


def test_a_missing_file(folder):
    assert_refused(folder / "nowhere.pdf", "cannot be read")
