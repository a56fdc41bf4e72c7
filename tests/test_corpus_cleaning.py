"""Cleaning, segmentation and 责任单位 splitting: noise goes, wording stays."""

from __future__ import annotations

import pytest
from conftest import REAL_FILE, assert_spans_match

from rag.corpus.chunking import chunk_documents
from rag.corpus.cleaning import normalise, segment, strip_markdown
from rag.corpus.folder import SourceFile, parse_file
from rag.corpus.measures import split_units
from rag.corpus.notes import read_note


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("省财政厅、国资委、金融监管局", ("省财政厅", "省国资委", "省金融监管局")),
        ("三明、南平市政府", ("三明市政府", "南平市政府")),
        (
            "省金融监管局、发改委、财政厅、生态环境厅、自然资源厅、林业局，人行福州中心支行、福建银保监局，三明、南平市政府",
            ("省金融监管局", "省发改委", "省财政厅", "省生态环境厅", "省自然资源厅", "省林业局",
             "人行福州中心支行", "福建银保监局", "三明市政府", "南平市政府"),
        ),
        # 省委 is its own prefix: the names after it are not 省委 offices.
        ("省委台港澳办，省金融监管局、财政厅", ("省委台港澳办", "省金融监管局", "省财政厅")),
        ("省法院、检察院，省金融监管局、公安厅", ("省法院", "省检察院", "省金融监管局", "省公安厅")),
        # a group that does not start with 省 is left as written
        ("人行福州中心支行、福建银保监局、厦门银保监局", ("人行福州中心支行", "福建银保监局", "厦门银保监局")),
        # half-width separators and a repeated unit
        ("省财政厅,省财政厅;福建证监局", ("省财政厅", "福建证监局")),
    ],
)
def test_split_units_distributes_prefixes_and_suffixes(note, expected):
    assert split_units(note) == expected


def test_units_note_in_segment_is_split_the_same_with_either_colon():
    full = segment("（一）推动银行业高质量发展。督促城商行建立审慎经营文化。（责任单位：省财政厅、国资委）")
    half = segment("（一）推动银行业高质量发展。督促城商行建立审慎经营文化。(责任单位:省财政厅、国资委)")
    for segs in (full, half):
        assert [s.kind for s in segs] == ["measure", "sentence", "units"]
        # the segment keeps the note's whole text, label included: the label tells the role
        assert read_note(segs[-1].title).units == ("省财政厅", "省国资委")


@pytest.mark.parametrize(
    ("noisy", "clean"),
    [
        ("\ufeff推动\u200b银行业高质量发展。", "推动银行业高质量发展。"),
        ("推动银行业 高质量\u3000发展 。", "推动银行业高质量发展。"),
        ("力争到 2025 年末\xa0达到 8.2 万亿元。", "力争到2025年末达到8.2万亿元。"),
        ("  加快资管产品公募化、\n净值化改造。\t", "加快资管产品公募化、净值化改造。"),
        ("金\u200c融\u200d服\u2060务\u00ad能力。", "金融服务能力。"),
        # NFC: a decomposed character is composed, the wording is the same
        ("Cafe\u0301贷款", "Café贷款"),
        # Latin words keep one space between them
        ("supports  banks\tthat lend", "supports banks that lend"),
    ],
)
def test_normalise_removes_noise_only(noisy, clean):
    assert normalise(noisy) == clean


def test_normalise_keeps_full_width_punctuation_and_digits():
    text = "（责任单位：省财政厅、国资委，人行福州中心支行）“科技贷”、“商贸贷”；首台（套）！？８.２万亿元"
    assert normalise(text) == text


def test_half_width_measure_number_is_the_same_measure():
    segs = segment("(六)提高金融服务科技创新能力。引导金融机构利用投贷联动等产品。")
    assert [(s.kind, s.number) for s in segs] == [("measure", 6), ("sentence", None)]
    assert segs[0].title == "提高金融服务科技创新能力"


def test_segment_offsets_point_at_the_raw_wording():
    raw = REAL_FILE.read_text(encoding="utf-8-sig")
    segs = segment(raw)
    assert len(segs) > 100
    previous_end = 0
    for s in segs:
        assert previous_end <= s.start < s.end <= len(raw)
        assert normalise(raw[s.start:s.end]) == s.text
        assert raw[previous_end:s.start].strip() == "", f"characters skipped before {s.text!r}"
        previous_end = s.end
    assert raw[previous_end:].strip() == ""


def test_glued_headings_are_split_off_the_previous_sentence():
    raw = ("提升普惠金融服务能力。（责任单位：省金融监管局）（六）提高金融服务科技创新能力。"
           "引导金融机构利用投贷联动。二、金融服务经济社会全方位发展超越（七）支持产业结构优化升级。")
    kinds = [(s.kind, s.text) for s in segment(raw, family="measures")]
    assert kinds == [
        ("sentence", "提升普惠金融服务能力。"),
        ("units", "（责任单位：省金融监管局）"),
        ("measure", "（六）提高金融服务科技创新能力。"),
        ("sentence", "引导金融机构利用投贷联动。"),
        ("part", "二、金融服务经济社会全方位发展超越"),
        ("measure", "（七）支持产业结构优化升级。"),
    ]


def test_numbers_inside_sentences_are_not_headings():
    segs = segment("力争到2025年末全省本外币各项存款余额达8.2万亿元。平均融资担保费率降至1%以内。", family="measures")
    assert [s.kind for s in segs] == ["sentence", "sentence"]


def test_a_bracketed_zero_numbers_nothing(tmp_path):
    """「低（零）碳热力」 was taken for measure （零）, and building the library failed on numbering 0."""
    raw = "关于印发零碳园区方案的通知\n一、主要任务\n（一）加快用能转型。鼓励“光伏+储能+低（零）碳热力”综合供能。\n（二）推进改造。\n"
    parsed = parse_file(SourceFile(tmp_path / "lingtan.txt", raw))
    assert [s.number for s in segment(raw, family="measures") if s.kind == "measure"] == [1, 2]
    assert any("低（零）碳热力" in c.text for c in chunk_documents([parsed.document]))


def test_strip_markdown_keeps_offsets():
    raw = "# 标题\n\n### （一）加大**绿色**信贷投放。\n- 列表项`代码`\n"
    stripped = strip_markdown(raw)
    assert len(stripped) == len(raw)
    assert "#" not in stripped and "**" not in stripped and "`" not in stripped
    assert stripped.index("（一）") == raw.index("（一）")
    assert normalise(stripped) == "标题（一）加大绿色信贷投放。列表项代码"


def _noisy_copy(raw: str) -> str:
    """The real file with invisible characters, odd spaces and CRLF line ends sprinkled in."""
    return ("\ufeff" + raw.replace("金融", "金\u200b融")
            .replace("。", "。 \u3000")
            .replace("万亿元", "\xa0万亿元")
            .replace("服务", "服\u2060务")
            .replace("\n", "\r\n"))


def test_noise_does_not_change_chunks(tmp_path):
    raw = REAL_FILE.read_text(encoding="utf-8-sig")
    noisy_path = tmp_path / REAL_FILE.name
    with open(noisy_path, "w", encoding="utf-8", newline="") as fh:
        fh.write(_noisy_copy(raw))
    clean = parse_file(SourceFile(REAL_FILE, raw))
    with open(noisy_path, encoding="utf-8", newline="") as fh:  # keep the BOM and the \r\n
        noisy = parse_file(SourceFile(noisy_path, fh.read()))
    assert "\u200b" in noisy.source.raw and "\r\n" in noisy.source.raw and len(noisy.source.raw) > len(raw) + 300

    clean_chunks = chunk_documents([clean.document])
    noisy_chunks = chunk_documents([noisy.document])
    assert [c.text for c in noisy_chunks] == [c.text for c in clean_chunks]
    assert [(c.measure, c.item, c.part, c.responsible_units) for c in noisy_chunks] == \
        [(c.measure, c.item, c.part, c.responsible_units) for c in clean_chunks]
    assert [c.id for c in noisy_chunks] == [c.id for c in clean_chunks]
    assert noisy.document.title == clean.document.title
    assert noisy.document.info.published == clean.document.info.published == "2021-02-09"
    # the noisy file's spans still point at its own raw text
    noisy_raw = noisy.source.raw
    for c in noisy_chunks:
        assert_spans_match(noisy_raw, c)
    assert sum(len(c.text) for c in noisy_chunks) == sum(len(c.text) for c in clean_chunks)
