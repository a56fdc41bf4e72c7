"""The outline of the real policy: metadata, parts, measures, responsible units."""

from __future__ import annotations

import re

from conftest import REAL_FILE

from rag.corpus.measures import UNLABELLED
from rag.corpus.numbering import MEASURE, cn_to_int
from rag.corpus.outline import find_measure, measure_number, outline_from_chunks, render_outline

TITLE = "福建省加快金融业发展更好服务全方位推动高质量发展超越的若干措施"
PRESENT = ["一", "二", "三", "四", "五", "六", "七", "八", "十一", "十二", "十四", "十五", "十六", "十八", "二十"]
ABSENT = ["九", "十", "十三", "十七", "十九"]
PARTS = {
    "一、促进金融业自身发展超越": {1, 2, 3, 4, 5},
    "二、金融服务经济社会全方位发展超越": {6, 7, 8},
    "三、推动闽台金融融合发展": {11, 12, 14},
    "四、为全方位高质量发展超越营造良好金融生态": {15, 16, 18, 20},
}


def _chunk_with(chunks, phrase):
    found = [c for c in chunks if phrase in c.text]
    assert len(found) == 1, f"{phrase!r} is in {len(found)} chunks"
    return found[0]


def test_document_metadata(real_parsed):
    doc = real_parsed.document
    assert doc.title == TITLE
    assert doc.source == REAL_FILE.name
    assert doc.info.issuers == ("福建省人民政府办公厅",)
    assert doc.info.published == "2021-02-09"
    assert doc.info.signed == "2021-02-05"
    assert doc.info.notice_title == "福建省人民政府办公厅关于印发福建省加快金融业发展更好服务全方位推动高质量发展超越若干措施的通知"
    assert doc.info.preamble.startswith("为深入学习")
    assert doc.info.preamble.endswith("特制定以下措施。")


def test_every_chunk_records_the_document_title(real_chunks):
    assert {c.document for c in real_chunks} == {TITLE}


def test_measures_present_are_exactly_those_numbered_in_the_source(real_parsed, real_chunks):
    raw = real_parsed.source.raw
    in_source = {cn_to_int(m.group(1)) for m in MEASURE.finditer(raw)}
    assert in_source == {cn_to_int(n) for n in PRESENT}

    headings = [m.heading for m in real_parsed.document.measures if m.kind == "measure"]
    for n in PRESENT:
        assert sum(h.startswith(f"（{n}）") for h in headings) == 1, f"measure （{n}） missing or repeated"
    for n in ABSENT:
        assert not any(h.startswith(f"（{n}）") for h in headings), f"measure （{n}） was invented"
        assert not any(c.measure.startswith(f"（{n}）") for c in real_chunks)
    numbers = [m.number for m in real_parsed.document.measures if m.kind == "measure" and m.number is not None]
    assert numbers == sorted(numbers)
    assert {measure_number(c.measure) for c in real_chunks} - {None} == in_source


def test_measure_headings_carry_their_titles(real_parsed):
    headings = {m.number: m.heading for m in real_parsed.document.measures if m.kind == "measure"}
    assert headings[1] == "（一）推动银行业高质量发展"
    assert headings[6] == "（六）提高金融服务科技创新能力"
    assert headings[8] == "（八）做好民生领域金融服务"  # the glued item 1. is not part of the title
    assert headings[20] == "（二十）加强考核激励"


def test_part_follows_measure_numbering(real_parsed, real_chunks):
    for measure in real_parsed.document.measures:
        if measure.kind != "measure":
            assert measure.part is None
            continue
        if measure.number is None:  # runs whose heading is missing: the part they stand in
            assert measure.heading == UNLABELLED and measure.part == "二、金融服务经济社会全方位发展超越"
            continue
        expected = [p for p, numbers in PARTS.items() if measure.number in numbers]
        assert [measure.part] == expected, measure.heading
    for c in real_chunks:
        n = measure_number(c.measure)
        if n is not None:
            assert n in PARTS[c.part], (c.part, c.measure)


def test_tou_dai_lian_dong_is_filed_under_measure_six(real_chunks):
    chunk = _chunk_with(real_chunks, "投贷联动")
    assert chunk.measure.startswith("（六）")
    assert chunk.part == "二、金融服务经济社会全方位发展超越"


def test_rural_credit_reform_chunk_lists_its_responsible_units(real_chunks):
    chunk = _chunk_with(real_chunks, "农信社改制")
    assert chunk.measure.startswith("（一）")
    assert "福建银保监局" in chunk.responsible_units
    assert "省金融监管局" in chunk.responsible_units
    assert "金融监管局" not in chunk.responsible_units  # the 省 prefix was distributed


def test_units_with_distributed_prefixes_reach_the_chunks(real_chunks):
    green = _chunk_with(real_chunks, "三明、南平绿色金融改革试验区")
    assert {"三明市政府", "南平市政府", "省发改委", "省林业局"} <= set(green.responsible_units)
    assert "三明" not in green.responsible_units
    everything = {u for c in real_chunks for u in c.responsible_units}
    assert "省国资委" in everything and "国资委" not in everything
    # no unit keeps a separator or a bracket
    assert not any(re.search(r"[、，,；;（）()：:\s]", u) for u in everything)


def test_preamble_and_notice_are_front_matter(real_parsed, real_chunks):
    front = [c for c in real_chunks if c.part is None]
    assert [c.measure for c in front] == ["印发通知", "前言"]
    assert front[1].text == real_parsed.document.info.preamble
    assert real_chunks[:2] == front


def test_outline_and_find_measure(real_chunks):
    views = outline_from_chunks(real_chunks)
    assert [v.number for v in views if v.number] == [cn_to_int(n) for n in PRESENT]
    six = find_measure(views, "（六）")
    assert six is not None and six.title == "提高金融服务科技创新能力"
    assert find_measure(views, "6") is six and find_measure(views, "六") is six
    assert find_measure(views, "九") is None
    text = render_outline(views)
    assert "（六）提高金融服务科技创新能力" in text and "责任单位" in text


def test_item_runs_that_continue_no_measure_of_the_file_are_marked_unlabelled(real_parsed, real_chunks):
    # 2. 3. after （七）'s note, then 2. 3. again: neither run begins in （七), and the only
    # measure with an item 1. is （八）, which both would continue, so nothing says whose they are.
    rural = _chunk_with(real_chunks, "乡村振兴战略")
    assert (rural.measure, rural.item) == (UNLABELLED, "2.做好“三农”金融服务")
    assert rural.part == "二、金融服务经济社会全方位发展超越"
    stray = next(m for m in real_parsed.document.measures if m.heading == UNLABELLED)
    assert [it.label for it in stray.items] == ["2.配合实施居民增收计划", "3.持续推进金融促消费工作",
                                                "2.做好“三农”金融服务", "3.推进普惠金融试验区建设"]
    seven = next(m for m in real_parsed.document.measures if m.number == 7)
    assert [it.number for it in seven.items] == [None]
    assert "省农业农村厅" not in seven.responsible_units  # the 三农 item's units are its own
    eight = next(m for m in real_parsed.document.measures if m.number == 8)
    assert [it.label for it in eight.items] == ["1.保障重点项目、重大工程资金需求"]
    headings = [m.heading for m in real_parsed.document.measures]
    assert headings.index(UNLABELLED) == headings.index("（七）支持产业结构优化升级") + 1
