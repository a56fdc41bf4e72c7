"""Structure of the real documents of eval/library: 条例 with 章/条/款/项, a State Council
意见 with 「列第一位者为牵头单位」, 国发 measures with 负责部门 notes, a Shanghai 印发 notice
with 责任单位 notes and parts numbered per part, PBoC documents with a 版记 at the end."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import assert_spans_match

from rag.corpus.chunking import chunk_documents
from rag.corpus.cleaning import normalise
from rag.corpus.folder import parse_file, read_source
from rag.corpus.measures import NOTICE

LIBRARY = Path(__file__).resolve().parents[1] / "eval" / "library"
REGULATIONS = sorted(p.name for p in LIBRARY.glob("*tiaoli.txt"))
FIRST_ITEM = re.compile(r"[（(]一[）)]")
ITEM = re.compile(r"[（(][一二三四五六七八九十]+[）)]")


@pytest.fixture(scope="module")
def library():
    out = {}
    for path in sorted(LIBRARY.glob("*.txt")):
        parsed = parse_file(read_source(path))
        out[path.name] = (parsed, chunk_documents([parsed.document]))
    return out


def lines(name: str) -> list[str]:
    return [normalise(line) for line in (LIBRARY / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_regulations_are_there():
    assert {"youhua-yingshang-huanjing-tiaoli.txt", "zhejiang-difang-jinrong-tiaoli.txt"} <= set(REGULATIONS)


@pytest.mark.parametrize("name", ["youhua-yingshang-huanjing-tiaoli.txt", "zhejiang-difang-jinrong-tiaoli.txt"])
def test_a_lead_in_before_its_items_is_in_the_same_chunk_as_them(library, name):
    _, chunks = library[name]
    text = lines(name)
    checked = 0
    for i, line in enumerate(text[:-1]):
        if not (line.endswith(("：", ":")) and FIRST_ITEM.match(text[i + 1])):
            continue
        lead_in = re.sub(r"^第[一二三四五六七八九十百]+条", "", line)
        holders = [c for c in chunks if lead_in in c.text]
        assert len(holders) == 1, line
        items = [t for t in text[i + 1:] if ITEM.match(t)][:2]
        assert all(t in holders[0].text for t in items), (holders[0].measure, items)
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("name", REGULATIONS)
def test_every_article_is_one_chunk_with_all_its_items(library, name):
    parsed, chunks = library[name]
    articles = [m for m in parsed.document.measures if m.kind == "article"]
    assert articles and [c.measure for c in chunks] == [m.heading for m in articles]
    assert all(c.item is None for c in chunks)
    wording = "".join(c.text for c in chunks)
    for line in lines(name):
        if ITEM.match(line):
            assert line in wording, line  # no 项 is lost, however often a law repeats it
    for c in chunks:
        assert_spans_match(parsed.source.raw, c)


def test_the_state_council_opinion_names_its_lead_units(library):
    _, chunks = library["guofa-2018-39-cujin-jiuye-yijian.txt"]
    noted = [c for c in chunks if c.responsible_units]
    assert len(noted) >= 14
    first = next(c for c in chunks if c.measure.startswith("（一）"))
    assert first.responsible_units == ("人力资源社会保障部", "财政部")
    assert first.lead_units == ("人力资源社会保障部",)
    # 「列第一位者为牵头单位，下同」: every later list is led by its first unit
    for c in noted:
        assert c.lead_units == c.responsible_units[:1], c.measure
    assert not any("负责" in c.text[-12:] for c in chunks)  # the notes are units, not wording


def test_the_free_trade_zone_measures_all_stand_with_their_departments(library):
    parsed, chunks = library["guofa-2018-38-zimaoqu-gaige-cuoshi.txt"]
    numbered = {m.number for m in parsed.document.measures if m.kind == "measure" and m.number}
    assert numbered == set(range(1, 54))
    units = {u for c in chunks for u in c.responsible_units}
    assert {"住房城乡建设部", "人民银行", "海关总署"} <= units
    assert not any("适用范围" in u or "自贸试验区" in u for u in units)
    one_sentence = next(c for c in chunks if c.measure.startswith("（三）"))
    assert one_sentence.text.startswith("（三）将建筑工程施工许可")
    assert one_sentence.responsible_units == ("住房城乡建设部",)


def test_the_shanghai_notice_its_attachment_and_its_units(library):
    parsed, chunks = library["hufubanfa-2024-3-haimian-chengshi.txt"]
    notice = [c for c in chunks if c.measure == NOTICE]
    assert len(notice) == 1 and "现印发给你们" in notice[0].text
    assert "坚持安全为重" not in notice[0].text  # the attached policy's own text is not the notice's
    goal = [c for c in chunks if c.part == "一、工作目标"]
    assert goal and goal[0].text.startswith("坚持安全为重")
    task = next(c for c in chunks if c.item == "1.强化规划管控")
    assert task.measure == "（一）完善海绵城市规划技术体系" and task.part == "二、重点任务"
    assert task.responsible_units == ("市规划资源局", "市住房城乡建设管理委", "市交通委", "市水务局",
                                      "市绿化市容局", "市房屋管理局", "各区政府")
    assert all(c.lead_units == () for c in chunks)  # plain 责任单位 lists tell nobody apart
    # 三、组织保障 numbers its own （一）（二）（三）
    assert [c.measure for c in chunks if c.part == "三、组织保障"] == [
        "（一）加强组织领导", "（二）强化资金保障", "（三）加强激励宣传引导"]
    # each note closes one item or measure, and each reaches its chunk
    assert sum(bool(c.responsible_units) for c in chunks) == parsed.source.raw.count("（责任单位：") == 29


@pytest.mark.parametrize("name", ["yinfa-2018-106-ziguan-zhidao-yijian.txt", "yinfa-2018-162-xiaowei-jinrong-fuwu.txt"])
def test_the_closing_record_is_no_wording(library, name):
    _, chunks = library[name]
    assert not any(mark in c.text for c in chunks for mark in ("抄送", "抄 送", "内部发送", "公开选项"))


def test_header_lines_are_identity_not_wording(library):
    for name, (parsed, chunks) in library.items():
        number = parsed.document.info.number
        for c in chunks:
            assert not (number and c.text == number), name
            assert not re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日.*(通过|公布|施行|批准)", c.text), (name, c.text)
