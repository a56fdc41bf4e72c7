"""Extraction noise: what the cleaning removes, what it must leave alone, and the offset map back."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.intake_match import misplaced_offsets
from rag.corpus.intake import extract
from rag.corpus.intake.chars import HALF_WIDTH
from rag.corpus.intake.noise import clean
from rag.corpus.sentences import split_sentences

REPO = Path(__file__).resolve().parents[1]
FUJIAN = REPO / "data" / "fujian-finance-measures-2021.txt"
LIBRARY = REPO / "eval" / "library"

# Full lines of a page set 26 characters wide, as pdfplumber returns them from a printed 公文.
BODY = [
    "（一）加大稳岗支持力度。对不裁员或少裁员的参保企",
    "业，可返还其上年度实际缴纳失业保险费的50%。2019年1月1",
    "日至12月31日，对面临暂时性生产经营困难且恢复有望、坚持",
    "不裁员或少裁员的参保企业，返还标准可按6个月的当地月人",
    "均失业保险金和参保职工人数确定，或按6个月的企业及其职",
    "工应缴纳社会保险费50%的标准确定。上述资金由失业保险基",
    "金列支。（人力资源社会保障部、财政部负责）",
]


def assert_maps_back(text: str, source: str, origin) -> None:
    assert misplaced_offsets(text, source, origin) == []


def sentences(text: str) -> set[str]:
    return {s for line in text.splitlines() for s in split_sentences(line) if s.strip()}


def test_spaces_next_to_chinese_characters_go_and_latin_spacing_stays():
    source = "关 于 印 发　《实施 意见》的通知\n　　2019 年起 apply the Basel III rules"
    text, origin = clean(source, "flow")
    assert text == "关于印发《实施意见》的通知\n2019年起apply the Basel III rules"
    assert_maps_back(text, source, origin)


def test_only_full_width_digits_and_letters_become_ascii():
    source = "２０２２年ＧＤＰ增长５．２％，ｅ　（一）：“两个毫不动摇”；《条例》〔２０１９〕６号、"
    text, origin = clean(source, "plain")
    assert text == "2022年GDP增长5．2％，e　（一）：“两个毫不动摇”；《条例》〔2019〕6号、"
    assert len(text) == len(source) and origin(7) == 7


def test_page_numbers_and_running_headers_go_and_the_paragraph_runs_across_pages():
    header = "国务院关于促进就业工作的若干意见"
    pages = [
        "\n".join([header, "— 1 —", "国务院关于做好当前和今后一个时期", "促进就业工作的若干意见", "国发〔2018〕39号", *BODY[:3]]),
        "\n".join([header, *BODY[3:5], "第 2 页 共 4 页"]),
        "\n".join([header, *BODY[5:], "3"]),
        "\n".join([header, "二、鼓励支持就业创业", "- 4 -"]),
    ]
    source = "\f".join(pages)
    text, origin = clean(source, "paged")
    lines = text.splitlines()
    assert lines[0] == "国务院关于做好当前和今后一个时期促进就业工作的若干意见"  # a wrapped title is one line
    assert lines[1] == "国发〔2018〕39号"
    assert lines[2] == "".join(BODY)  # joined across three page breaks, furniture gone
    assert lines[3:] == ["二、鼓励支持就业创业"]
    assert header not in text and "页" not in text
    assert_maps_back(text, source, origin)


def test_a_number_inside_the_page_and_a_repeated_sentence_at_page_tops_stay():
    pages = [
        "\n".join(["浙江省地方金融条例", "第一条 为了规范管理，制定本条例。", "本条例适用于全省。", "3", "下列情形除外：",
                   "（一）其他。", "第 1 页"]),
        "\n".join(["浙江省地方金融条例", "本条例适用于全省。", "第二条 地方金融组织应当依法经营。", "正文结束。", "第 2 页"]),
    ]
    text, _ = clean("\f".join(pages), "paged")
    assert text.splitlines() == ["第一条为了规范管理，制定本条例。", "本条例适用于全省。", "3", "下列情形除外：",
                                 "（一）其他。", "本条例适用于全省。", "第二条地方金融组织应当依法经营。", "正文结束。"]


def test_headings_short_lines_and_clause_ends_are_not_joined():
    source = "\n".join([*BODY[:2], "一、总体要求", "深入贯彻党的十九大精神，全面落实党中央、国务院关于稳就", "业工作的决策部署。",
                        "第三条 本条例所称地方金融组织，是指依法设立的下列组织：", "（一）小额贷款公司；",
                        "依照本条例第二十四条、第二十七条、第二十八条规定处置确有困难的", "第二十四条、第二十七条的规定执行。"])
    text, _ = clean(source, "paged")
    assert text.splitlines() == [
        BODY[0] + BODY[1],
        "一、总体要求",
        "深入贯彻党的十九大精神，全面落实党中央、国务院关于稳就业工作的决策部署。",
        "第三条本条例所称地方金融组织，是指依法设立的下列组织：",
        "（一）小额贷款公司；",
        # 第二十四条、 at a line start is a cross-reference, so the wrapped line is joined
        "依照本条例第二十四条、第二十七条、第二十八条规定处置确有困难的第二十四条、第二十七条的规定执行。",
    ]


def test_hyphenated_and_wrapped_latin_words_are_joined():
    source = "\n".join(["《跨境贸易投资高水平开放试点》适用于 Qualified Foreign Limited Part-",
                        "nership，以及 Qualified Domestic Limited Partnership 和 Renminbi Qualified",
                        "Foreign Institutional Investors 试点，按规定执行。"])
    text, origin = clean(source, "paged")
    assert text == ("《跨境贸易投资高水平开放试点》适用于Qualified Foreign Limited Partnership，以及Qualified Domestic "
                    "Limited Partnership和Renminbi Qualified Foreign Institutional Investors试点，按规定执行。")
    assert_maps_back(text, source, origin)


def test_plain_text_cleaning_keeps_a_clean_file_as_it_is():
    """The shipped policy comes out of intake with the same sentences, digits aside."""
    raw = FUJIAN.read_text(encoding="utf-8-sig")
    extracted = extract(FUJIAN)
    assert extracted.format == "text" and extracted.encoding == "utf-8"
    assert sentences(extracted.text) == sentences(raw.translate(HALF_WIDTH))
    assert extracted.source_text == raw


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.txt"))[:4], ids=lambda p: p.stem)
def test_plain_text_offsets_point_into_the_decoded_file(path):
    extracted = extract(path)
    assert_maps_back(extracted.text, extracted.source_text, extracted.origin)


def test_a_decorated_page_number_line_goes_even_from_plain_text():
    source = "第一条 为了规范管理，制定本条例。\n— ３ —\n第二条 本条例适用于全省。\n"
    text, origin = clean(source, "plain")
    assert text == "第一条 为了规范管理，制定本条例。\n第二条 本条例适用于全省。\n"
    assert source[origin(text.index("第二条")):].startswith("第二条")


@pytest.mark.parametrize("profile", ["plain", "flow", "paged"])
def test_a_page_number_a_copied_pdf_left_inside_a_word_goes(profile):
    # the PDF's page 9 ended in 「…余」 and page 10 began with 「额」: the copy joined them across the number
    source = "绿色不良贷款余— 9 —额/当期末绿色贷款余额"
    text, origin = clean(source, profile)
    assert text == "绿色不良贷款余额/当期末绿色贷款余额"
    assert source[origin(text.index("额")):].startswith("额")
    # a range keeps its dash: no spaces inside it
    assert clean("2021—2025年的目标", profile)[0] == "2021—2025年的目标"
    # at the end of a line, the line break stays for the chunker to read
    assert clean("贷款余— 9 —\n额。", profile)[0].replace("\n", "") == "贷款余额。"
    # a whole line of it goes with its line break, as before
    assert clean("制定本条例。\n— 9 —\n第二条", profile)[0] == "制定本条例。\n第二条"
