"""Each format, made from a real policy text by a real tool, comes out of intake with its sentences.

ReportLab lays out the PDF (Chromium's print is in test_intake_chromium.py, marked slow),
python-docx writes the Word file, the web pages are saved gov.cn-style pages with menus,
sidebars, footers and scripts, and the text files are encoded as offices save them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from eval import intake_files as make
from eval.intake_match import chrome_left, misplaced_offsets, sentence_match
from rag.corpus.intake import extract
from rag.corpus.intake.noise import SPACE_NEAR_CJK
from rag.corpus.intake.page_furniture import is_page_number

LIBRARY = Path(__file__).resolve().parents[1] / "eval" / "library"
SOURCE = LIBRARY / "guofa-2018-39-cujin-jiuye-yijian.txt"  # a 意见 with 牵头单位 notes, 9k characters
TEXT = SOURCE.read_text(encoding="utf-8")
LINES = make.policy_lines(TEXT)
HEADER = "国务院关于促进就业工作的若干意见"
TABLE = [["序号", "重点任务", "牵头单位", "完成时限"],
         ["1", "加大稳岗支持力度", "人力资源社会保障部、财政部", "2019年12月底前"],
         ["2", "发挥政府性融资担保机构作用", "财政部", "持续推进"]]
NUMBERED = ["建立就业形势监测制度。", "完善失业监测预警机制。"]
ARTICLES = ["为了促进就业，制定本办法。", "本办法自发布之日起施行。"]


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("intake-formats")
    pdf = make.reportlab_pdf(LINES, folder / "policy.pdf", HEADER, footer="dash")
    really_pdf = folder / "policy-really-a-pdf.txt"
    shutil.copyfile(pdf, really_pdf)
    (folder / "gb18030.txt").write_bytes(TEXT.encode("gb18030"))
    (folder / "bom.txt").write_bytes(TEXT.encode("utf-8-sig"))
    (folder / "plain-text.html").write_text(TEXT, encoding="utf-8")
    (folder / "page.html").write_text(make.gov_page(LINES), encoding="utf-8")
    (folder / "legacy.htm").write_bytes(make.gov_page_legacy(LINES, "gb2312").encode("gb18030"))
    (folder / "policy.md").write_text("# " + LINES[0] + "\n\n" + "\n\n".join(LINES[1:]), encoding="utf-8")
    return {
        "pdf": pdf, "really_pdf": really_pdf,
        "docx": make.word_docx(LINES, folder / "policy.docx", table=TABLE, numbered=NUMBERED, articles=ARTICLES),
        **{p.stem: p for p in folder.iterdir() if p.suffix in (".txt", ".html", ".htm", ".md")},
    }


def assert_keeps_the_policy(text: str) -> None:
    match = sentence_match(TEXT, text)
    assert match.share >= 0.98, f"{match.kept}/{match.total} sentences kept; missing: {match.missing[:3]}"


def assert_no_noise(text: str) -> None:
    assert not SPACE_NEAR_CJK.search(text), SPACE_NEAR_CJK.search(text)
    assert not [line for line in text.splitlines() if is_page_number(line.strip())]
    assert HEADER not in text


def assert_maps_back(extracted) -> None:
    assert misplaced_offsets(extracted.text, extracted.source_text, extracted.origin) == []
    assert extracted.source_span(0, len(extracted.text))[1] <= len(extracted.source_text)


@pytest.mark.parametrize("name", ["pdf", "really_pdf"])
def test_pdf_with_a_text_layer(made, name):
    extracted = extract(made[name])
    assert extracted.format == "pdf" and extracted.encoding is None
    assert_keeps_the_policy(extracted.text)
    assert_no_noise(extracted.text)
    assert "— 2 —" in extracted.source_text  # the noise was there to remove
    assert extracted.text.startswith("国务院关于做好当前和今后一个时期促进就业工作的若干意见\n国发〔2018〕39号\n")
    assert_maps_back(extracted)


def test_docx_keeps_body_order_word_numbers_and_tables(made):
    extracted = extract(made["docx"])
    assert extracted.format == "docx"
    assert_keeps_the_policy(extracted.text)
    assert_no_noise(extracted.text)
    lines = extracted.text.splitlines()
    tail = lines[-(len(NUMBERED) + len(TABLE) + len(ARTICLES)):]
    assert tail == [
        "1.建立就业形势监测制度。", "2.完善失业监测预警机制。",  # Word's List Number, counted as Word shows it
        "序号；重点任务；牵头单位；完成时限",
        "1；加大稳岗支持力度；人力资源社会保障部、财政部；2019年12月底前",
        "2；发挥政府性融资担保机构作用；财政部；持续推进",
        "第一条为了促进就业，制定本办法。", "第二条本办法自发布之日起施行。",  # numbering.xml's 第%1条
    ]
    assert_maps_back(extracted)


@pytest.mark.parametrize("name", ["page", "legacy"])
def test_html_keeps_the_policy_and_drops_the_site(made, name):
    extracted = extract(made[name])
    assert extracted.format == "html"
    assert extracted.encoding == ("utf-8" if name == "page" else "gb18030")
    assert_keeps_the_policy(extracted.text)
    assert_no_noise(extracted.text)
    assert chrome_left(TEXT, extracted.text) == []
    assert "<" not in extracted.text and "function" not in extracted.text
    assert extracted.text.startswith(LINES[0])  # the page title, set apart from the body, is put back
    assert_maps_back(extracted)


@pytest.mark.parametrize(("name", "encoding"), [("gb18030", "gb18030"), ("bom", "utf-8-sig"), ("plain-text", "utf-8")])
def test_text_files_are_decoded_and_left_as_written(made, name, encoding):
    extracted = extract(made[name])
    assert extracted.format == "text" and extracted.encoding == encoding
    assert extracted.text == TEXT  # a clean text passes unchanged (it holds no full-width digits)
    assert extracted.source_text == TEXT


def test_markdown_markup_is_blanked_with_offsets_kept(made):
    extracted = extract(made["policy"])
    assert extracted.format == "markdown"
    assert "#" not in extracted.text and len(extracted.text) == len(extracted.source_text)
    assert_keeps_the_policy(extracted.text)
    blanked = misplaced_offsets(extracted.text, extracted.source_text, extracted.origin)
    assert blanked and {extracted.source_text[extracted.origin(i)] for i in blanked} == {"#"}
