"""Structure of the common shapes of government documents, on small texts written for each shape:
articles with 款/项 and 节, responsibility notes with lead and cooperating units, a 印发 notice
with its 附件, item runs whose measure heading is elsewhere or missing, parts numbered per part."""

from __future__ import annotations

import pytest
from conftest import assert_spans_match

from rag.answering.aggregate import by_unit
from rag.corpus.chunking import chunk_documents
from rag.corpus.cleaning import segment
from rag.corpus.dedup import deduplicate
from rag.corpus.folder import SourceFile, parse_file
from rag.corpus.measures import NOTICE, UNLABELLED
from rag.corpus.notes import read_note
from rag.corpus.outline import outline_from_chunks


def parse(tmp_path, text: str, name: str = "doc.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    parsed = parse_file(SourceFile(path, text))
    return parsed, chunk_documents([parsed.document])


def only(chunks, measure: str):
    found = [c for c in chunks if c.measure == measure]
    assert len(found) == 1, [(c.measure, c.item) for c in chunks]
    return found[0]


REGULATION = """某省地方金融监督管理条例

第一章 总则
第一条 为了规范地方金融活动，制定本条例。
第二章 地方金融组织
第一节 一般规定
第二条 设立小额贷款公司，应当具备下列条件：
（一）有符合规定的章程；
（二）注册资本不低于五千万元；
（三）有具备任职资格的董事和高级管理人员。
设立融资担保公司，参照前款规定执行。
第三条 小额贷款公司应当审慎经营。
第二节 监督检查
第四条 小额贷款公司有下列情形之一的，责令改正：
（一）未按照规定报送材料；
（二）违反审慎经营规则。
有违法所得的，没收违法所得。
第五条 融资担保公司有下列情形之一的，处一万元以上五万元以下罚款：
（一）未按照规定报送材料；
（二）提供虚假材料。
有违法所得的，没收违法所得。
第三章 附则
第六条 本条例自2024年1月1日起施行。
"""


def test_an_article_its_paragraphs_and_its_items_are_one_chunk(tmp_path):
    parsed, chunks = parse(tmp_path, REGULATION)
    two = only(chunks, "第二条")
    assert two.item is None
    assert two.text == ("设立小额贷款公司，应当具备下列条件：（一）有符合规定的章程；（二）注册资本不低于五千万元；"
                        "（三）有具备任职资格的董事和高级管理人员。设立融资担保公司，参照前款规定执行。")
    assert [c.measure for c in chunks] == [f"第{n}条" for n in "一二三四五六"]
    for c in chunks:
        assert_spans_match(parsed.source.raw, c)


def test_an_article_heading_a_copy_spaced_off_its_numeral_is_still_a_heading(tmp_path):
    # 「第十五 条工商行政管理部门发现…」: a PDF copy's space inside the heading; glued, the article ran on in 第十四条
    text = REGULATION.replace("第三条 小额贷款公司", "第三 条小额贷款公司").replace("第二章 地方", "第 二 章 地方")
    parsed, chunks = parse(tmp_path, text)
    assert [c.measure for c in chunks] == [f"第{n}条" for n in "一二三四五六"]
    assert only(chunks, "第二条").part.startswith("第二章")  # 「第 二 章」 spaced throughout is a chapter too
    assert only(chunks, "第三条").text == "小额贷款公司应当审慎经营。"
    assert "审慎经营" not in only(chunks, "第二条").text


def test_a_paragraph_opening_with_a_reference_to_its_own_law_stays_in_its_article(tmp_path):
    # 「…违反本条例」 at a line start reads like a title ending in 条例, and 第十五条 like its first article
    text = REGULATION.replace("有违法所得的，没收违法所得。\n第三章",
                              "融资担保公司违反本条例第十五条规定，未报告重大风险事件的，处五万元以上罚款。\n第三章")
    parsed, chunks = parse(tmp_path, text)
    five = only(chunks, "第五条")
    assert five.text.endswith("融资担保公司违反本条例第十五条规定，未报告重大风险事件的，处五万元以上罚款。")
    assert [c.measure for c in chunks] == [f"第{n}条" for n in "一二三四五六"]


def test_a_section_refines_its_chapter_and_is_no_wording(tmp_path):
    _, chunks = parse(tmp_path, REGULATION)
    parts = {c.measure: c.part for c in chunks}
    assert parts["第一条"] == "第一章总则"
    assert parts["第二条"] == parts["第三条"] == "第二章地方金融组织 第一节一般规定"
    assert parts["第四条"] == parts["第五条"] == "第二章地方金融组织 第二节监督检查"
    assert parts["第六条"] == "第三章附则"
    assert not any("节" in c.text for c in chunks)


def test_a_section_on_the_chapter_line_or_glued_to_an_article_is_a_heading(tmp_path):
    text = ("某市融资担保条例\n第一章 总则 第一节 一般规定\n第一条 为了规范融资担保，制定本条例。"
            " 第二节 管理\n第二条 融资担保公司应当依法经营。\n")
    _, chunks = parse(tmp_path, text)
    assert [(c.part, c.measure, c.text) for c in chunks] == [
        ("第一章总则 第一节一般规定", "第一条", "为了规范融资担保，制定本条例。"),
        ("第一章总则 第二节管理", "第二条", "融资担保公司应当依法经营。"),
    ]
    # an article glued to its chapter's title, set off from its own wording
    _, chunks = parse(tmp_path, "某支付办法\n第一章　总则\n第一条　为了规范预付卡业务，制定本办法。\n"
                                "第二章　使用和赎回第二条　预付卡不得用于或变相用于提取现金。\n")
    assert [(c.part, c.measure, c.text) for c in chunks][-1] == ("第二章使用和赎回", "第二条", "预付卡不得用于或变相用于提取现金。")


def test_wording_a_law_repeats_is_kept_in_every_article(tmp_path):
    parsed, chunks = parse(tmp_path, REGULATION)
    assert parsed.dedup.dropped == ()
    for n in "四五":
        text = only(chunks, f"第{n}条").text
        assert "（一）未按照规定报送材料；" in text
        assert text.endswith("有违法所得的，没收违法所得。")


def test_a_penalty_clause_two_articles_end_with_is_kept_in_both(tmp_path):
    tail = "没有违法所得的，并处十万元以上一百万元以下的罚款。对直接负责的主管人员给予警告。"
    text = (f"某基金条例\n第一条 未经登记使用基金字样的，责令改正，并处违法所得一倍以上五倍以下的罚款；{tail}\n"
            f"第二条 违反本条例第一条规定向不特定对象宣传推介的，没收违法所得，并处违法所得一倍以上五倍以下的罚款；{tail}\n")
    parsed, chunks = parse(tmp_path, text)
    assert parsed.dedup.dropped == ()
    assert only(chunks, "第二条").text.endswith("对直接负责的主管人员给予警告。")


def test_a_pasted_passage_in_a_regulation_is_still_dropped(tmp_path):
    pasted = REGULATION.replace("第三条 小额贷款公司应当审慎经营。",
                                "第三条 小额贷款公司应当审慎经营。\n（一）有符合规定的章程；\n（二）注册资本不低于五千万元；")
    parsed, chunks = parse(tmp_path, pasted)
    dropped = [(d.reason, d.segment.kind, d.segment.text) for d in parsed.dedup.dropped]
    assert dropped == [("exact_duplicate", "item", "（一）"), ("exact_duplicate", "sentence", "有符合规定的章程；"),
                       ("exact_duplicate", "item", "（二）"), ("exact_duplicate", "sentence", "注册资本不低于五千万元；")]
    assert only(chunks, "第三条").text == "小额贷款公司应当审慎经营。"


@pytest.mark.parametrize(("body", "units", "lead"), [
    ("责任单位：省财政厅、国资委，人行福州中心支行", ("省财政厅", "省国资委", "人行福州中心支行"), ()),
    ("牵头单位：省发改委；配合单位：省财政厅、省自然资源厅", ("省发改委", "省财政厅", "省自然资源厅"), ("省发改委",)),
    ("牵头部门：市金融办；配合部门：市财政局", ("市金融办", "市财政局"), ("市金融办",)),
    ("责任部门：市商务委、市税务局", ("市商务委", "市税务局"), ()),
    ("负责单位：省教育厅", ("省教育厅",), ()),
    # a clause that names no role is no unit list, whatever separates it
    ("负责部门：发展改革委、粮食和储备局，适用范围：浙江自贸试验区", ("发展改革委", "粮食和储备局"), ()),
    ("负责部门：人民银行等部门；适用范围：福建自贸试验区", ("人民银行",), ()),
    ("省财政厅牵头，人行某省分行、某省银保监局配合", ("省财政厅", "人行某省分行", "某省银保监局"), ("省财政厅",)),
    ("人力资源社会保障部、财政部负责", ("人力资源社会保障部", "财政部"), ()),
    ("人力资源社会保障部、科技部，各省级人民政府按职责分工负责",
     ("人力资源社会保障部", "科技部", "各省级人民政府"), ()),
    ("人力资源社会保障部等有关部门和单位负责", ("人力资源社会保障部",), ()),
    ("人力资源社会保障部、财政部负责。列第一位者为牵头单位，下同", ("人力资源社会保障部", "财政部"), ("人力资源社会保障部",)),
])
def test_a_note_names_its_units_lead_first(body, units, lead):
    note = read_note(body)
    assert (note.units, note.lead) == (units, lead)


@pytest.mark.parametrize("text", [
    "（一）加快发展。支持企业上市（由省财政厅负责）。",  # a bracket inside a sentence is wording
    "（一）加快发展。支持企业上市。（以下简称“上市企业”）",  # no role in it
])
def test_a_bracket_that_is_no_note_stays_wording(text):
    assert "units" not in [s.kind for s in segment(text)]


def test_the_first_listed_unit_leads_where_the_document_says_so(tmp_path):
    text = ("某省关于促进就业的若干意见\n为促进就业，提出以下意见：\n一、稳定岗位\n"
            "（一）加大稳岗支持。返还失业保险费。（省人社厅、省财政厅负责。列第一位者为牵头单位，下同）\n"
            "（二）支持小微企业。提供担保支持。（省财政厅、省人社厅负责）\n")
    _, chunks = parse(tmp_path, text)
    one, two = (only(chunks, m) for m in ("（一）加大稳岗支持", "（二）支持小微企业"))
    assert (one.responsible_units, one.lead_units) == (("省人社厅", "省财政厅"), ("省人社厅",))
    assert (two.responsible_units, two.lead_units) == (("省财政厅", "省人社厅"), ("省财政厅",))
    # without the convention a plain list tells nobody apart
    _, plain = parse(tmp_path, text.replace("。列第一位者为牵头单位，下同", ""))
    assert all(c.lead_units == () for c in plain)


NOTICE_TEXT = """某省人民政府办公厅关于印发某省普惠金融发展实施方案的通知
某政办发〔2023〕12号

各市、县（区）人民政府，省直各部门：
《某省普惠金融发展实施方案》已经省政府同意，现印发给你们，请认真贯彻执行。
一、加强组织领导。各地要建立工作机制。
二、抓好督促落实。省金融监管局要定期调度。

某省人民政府办公厅
2023年3月1日

附件

某省普惠金融发展实施方案

为提升普惠金融服务水平，制定本方案。
一、总体要求
（一）工作目标。到2025年，普惠小微贷款明显增长。（牵头单位：省金融监管局；配合单位：人行某省分行、省财政厅）
二、重点任务
（二）加大信贷投放。引导银行扩大信用贷款。（省财政厅牵头，人行某省分行、某省银保监局配合）

抄送：省委办公厅，省人大常委会办公厅。
某省人民政府办公厅 2023年3月2日印发
"""


def test_a_notice_keeps_its_own_text_and_its_attachment_is_parsed(tmp_path):
    parsed, chunks = parse(tmp_path, NOTICE_TEXT)
    assert [(c.part, c.measure) for c in chunks] == [
        (None, NOTICE), (None, "前言"), ("一、总体要求", "（一）工作目标"), ("二、重点任务", "（二）加大信贷投放")]
    notice = chunks[0].text
    assert notice.startswith("各市、县（区）人民政府，省直各部门：《某省普惠金融发展实施方案》已经省政府同意")
    assert "一、加强组织领导。各地要建立工作机制。二、抓好督促落实。" in notice  # the notice's own points
    assert chunks[1].text == parsed.document.info.preamble == "为提升普惠金融服务水平，制定本方案。"
    goal, credit = chunks[2:]
    assert (goal.responsible_units, goal.lead_units) == (("省金融监管局", "人行某省分行", "省财政厅"), ("省金融监管局",))
    assert (credit.responsible_units, credit.lead_units) == (("省财政厅", "人行某省分行", "某省银保监局"), ("省财政厅",))
    # neither the 文号 nor the 版记 (抄送, 印发) is wording
    assert not any("〔2023〕" in c.text or "抄送" in c.text or "印发" in c.text[-4:] for c in chunks)
    for c in chunks:
        assert_spans_match(parsed.source.raw, c)


def test_an_opinion_without_notice_has_a_preamble_and_no_header_lines(tmp_path):
    text = ("某省人民政府关于做好当前和今后一个时期\n促进就业工作的若干意见\n某政发〔2023〕3号\n"
            "各市人民政府，省直各部门：\n就业是最大的民生。为此，提出以下意见：\n一、稳定岗位\n（一）加大稳岗支持。返还失业保险费。\n")
    _, chunks = parse(tmp_path, text)
    assert [c.measure for c in chunks] == ["前言", "（一）加大稳岗支持"]
    assert chunks[0].text == "各市人民政府，省直各部门：就业是最大的民生。为此，提出以下意见："


def test_an_item_run_that_continues_another_measure_is_filed_there(tmp_path):
    text = ("一、加大支持\n（一）加强信贷。1.扩大投放。引导银行增加贷款。\n"
            "（二）优化服务。1.简化流程。2.压缩时限。3.公开标准。\n"
            "（三）强化保障。加强统筹。2.降低费用。清理不合理收费。\n")
    _, chunks = parse(tmp_path, text)
    assert [(c.measure, c.item) for c in chunks if c.measure.startswith("（一）")] == [
        ("（一）加强信贷", "1.扩大投放"), ("（一）加强信贷", "2.降低费用")]
    assert [c.item for c in chunks if c.measure.startswith("（三）")] == [None]
    assert not any(c.measure == UNLABELLED for c in chunks)


def test_an_item_run_no_measure_claims_is_marked_unlabelled(tmp_path):
    text = ("一、加大支持\n（一）加强信贷。1.扩大投放。2.优化结构。\n"
            "（二）优化服务。加强统筹。（责任单位：省财政厅）\n"
            "2.降低费用。清理不合理收费。3.规范收费。公开收费目录。（责任单位：省发改委）\n"
            "（三）强化保障。1.加强考核。2.加强宣传。1.加强督查。定期通报。\n")
    _, chunks = parse(tmp_path, text)
    where = [(c.part, c.measure, c.item) for c in chunks]
    assert where == [
        ("一、加大支持", "（一）加强信贷", "1.扩大投放"), ("一、加大支持", "（一）加强信贷", "2.优化结构"),
        ("一、加大支持", "（二）优化服务", None),
        # 2. 3. after （二）'s note: （一） ends at 2, not 1, so nothing says whose run this is;
        # a run starting again at 1 inside （三） is another measure's, whose heading is missing.
        # Nothing tells headless runs of one part apart: they are one measure, after the first one's place.
        ("一、加大支持", UNLABELLED, "2.降低费用"), ("一、加大支持", UNLABELLED, "3.规范收费"),
        ("一、加大支持", UNLABELLED, "1.加强督查"),
        ("一、加大支持", "（三）强化保障", "1.加强考核"), ("一、加大支持", "（三）强化保障", "2.加强宣传"),
    ]
    fees = next(c for c in chunks if c.item == "2.降低费用")
    assert fees.responsible_units == ("省发改委",)
    assert only(chunks, "（二）优化服务").responsible_units == ("省财政厅",)


def test_items_numbered_through_the_part_stay_with_their_measures(tmp_path):
    text = "一、加大支持\n（一）加强信贷。1.扩大投放。2.优化结构。\n（二）优化服务。3.简化流程。4.压缩时限。\n"
    _, chunks = parse(tmp_path, text)
    assert [(c.measure, c.item) for c in chunks] == [
        ("（一）加强信贷", "1.扩大投放"), ("（一）加强信贷", "2.优化结构"),
        ("（二）优化服务", "3.简化流程"), ("（二）优化服务", "4.压缩时限")]


def test_parts_that_restart_their_numbering_keep_their_own_measures(tmp_path):
    text = ("某市海绵城市建设实施意见\n为推进海绵城市建设，提出以下意见：\n一、工作目标\n到2025年，建成区40%以上面积达标。\n"
            "二、重点任务\n（一）完善规划。编制系统方案。\n（二）推进建设。建设海绵型公园。\n"
            "三、保障措施\n（一）加强组织领导。强化统筹协调。\n（二）强化资金保障。落实资金。\n")
    _, chunks = parse(tmp_path, text)
    assert [(c.part, c.measure) for c in chunks] == [
        (None, "前言"),
        ("一、工作目标", "一、工作目标"),  # a part's own text, filed under the part
        ("二、重点任务", "（一）完善规划"), ("二、重点任务", "（二）推进建设"),
        ("三、保障措施", "（一）加强组织领导"), ("三、保障措施", "（二）强化资金保障"),
    ]
    assert chunks[1].text == "到2025年，建成区40%以上面积达标。"


def test_a_measure_that_is_one_sentence_is_its_own_wording(tmp_path):
    text = ("一、营造投资环境\n（一）将建筑工程施工许可等审批权限下放至自贸试验区。（负责部门：住房城乡建设部）\n"
            "（二）借鉴试点经验，放宽外籍技术人员比例要求。支持人才中介机构发展。（负责部门：商务部；适用范围：所有自贸试验区）\n")
    parsed, chunks = parse(tmp_path, text)
    one, two = chunks
    assert (one.text, one.responsible_units) == ("（一）将建筑工程施工许可等审批权限下放至自贸试验区。", ("住房城乡建设部",))
    assert two.text == "（二）借鉴试点经验，放宽外籍技术人员比例要求。支持人才中介机构发展。"
    assert two.responsible_units == ("商务部",)
    for c in chunks:
        assert_spans_match(parsed.source.raw, c)


def test_a_part_that_is_a_paragraph_is_wording_under_its_first_clause(tmp_path):
    text = ("一、基本原则\n（一）坚持严控风险。把防范风险放在重要位置。\n"
            "二、资产管理业务是指金融机构接受委托，对受托财产进行投资和管理的金融服务。委托人自担投资风险。\n")
    _, chunks = parse(tmp_path, text)
    last = chunks[-1]
    assert (last.part, last.measure) == ("二、资产管理业务是指金融机构接受委托", "二、资产管理业务是指金融机构接受委托")
    assert last.text == "二、资产管理业务是指金融机构接受委托，对受托财产进行投资和管理的金融服务。委托人自担投资风险。"


def test_lead_units_decide_who_leads_in_outline_answers(tmp_path):
    text = ("一、加大支持\n（一）加强信贷。扩大投放。（省财政厅牵头，省发改委配合）\n"
            "（二）优化服务。简化流程。（省发改委牵头，省财政厅配合）\n"
            "（三）强化保障。加强统筹。（责任单位：省财政厅、省发改委）\n")
    _, chunks = parse(tmp_path, text)
    answer = by_unit("省发改委牵头或参与哪些措施？", outline_from_chunks(chunks))
    assert answer.statements == ("（一）加强信贷（参与）[1]", "（二）优化服务（牵头）[2]", "（三）强化保障（参与）[3]")
    answer = by_unit("省财政厅牵头或参与哪些措施？", outline_from_chunks(chunks))
    # a plain 责任单位 list: the unit listed first leads
    assert answer.statements == ("（一）加强信贷（牵头）[1]", "（二）优化服务（参与）[2]", "（三）强化保障（牵头）[3]")
    assert answer.citations[0].chunk.lead_units == ("省财政厅",)


def test_segments_of_the_closing_record_are_not_content():
    raw = "（一）加强信贷。扩大投放。\n抄 送：省委办公厅。\n内部发送：办公厅。\n某省人民银行办公厅 2018年6月25日印发\n"
    kept = deduplicate(segment(raw)).kept
    assert [s.kind for s in kept] == ["measure", "sentence", "closing", "closing", "closing"]


ANNEXED = """某银行关于做好个人银行账户服务工作的指导意见
一、优化开户流程
（一）推行简易开户。鼓励银行推行简易开户服务。
（二）核实客户身份。鼓励银行利用有效数据核实身份。
二、建立长效机制
（三）建立核验机制。银行探索建立跨行开户核验机制。
附件：跨行代发工资业务指引、简易开户服务业务指引
某银行
2021年9月26日
附件1
跨行代发工资业务指引
第一条 为减少重复开户，制定本指引。
第二条 银行为单位提供代发工资服务适用本指引。
附件2
简易开户服务业务指引
第一章 总则
第一条 为优化账户服务，制定本指引。
第二条 银行应当建立账户分类分级管理体系。
"""


def test_each_annex_is_numbered_on_its_own_under_its_title(tmp_path):
    # walked with the body, the annexes' 第一条 made the whole text a document of articles: the body's
    # 一、/（一） sank into its preamble and 附件2's articles merged into 附件1's of the same number
    parsed, chunks = parse(tmp_path, ANNEXED)
    assert [(c.part, c.measure) for c in chunks if c.measure != "前言"] == [
        ("一、优化开户流程", "（一）推行简易开户"), ("一、优化开户流程", "（二）核实客户身份"),
        ("二、建立长效机制", "（三）建立核验机制"),
        ("附件1 跨行代发工资业务指引", "第一条"), ("附件1 跨行代发工资业务指引", "第二条"),
        ("附件2 简易开户服务业务指引 第一章总则", "第一条"), ("附件2 简易开户服务业务指引 第一章总则", "第二条")]
    assert only([c for c in chunks if c.part.startswith("附件2")], "第二条").text == "银行应当建立账户分类分级管理体系。"
    for c in chunks:
        assert_spans_match(parsed.source.raw, c)


TWO_RULES = """中国人民银行关于开办港币支票结算业务的通知
现将《港币支票联合结算管理办法》和《港币支票结算业务外汇管理暂行办法》印发给你分行，请遵照执行。
港币支票联合结算管理办法
第一条 为确保港币支票结算的安全，制定本办法。
第二条 银行对港币支票交换遵循收妥抵用原则。
第三条 本办法自公布之日起施行。
港币支票结算业务外汇管理暂行办法
第一章 总则
第一条 为保障港币支票结算的顺利运作，制定本办法。
第二条 企业一次签发支票面额不得超过100万港币。
第三条 本办法自发布之日起施行。
"""


def test_a_second_rule_attached_under_its_title_alone_is_numbered_on_its_own(tmp_path):
    # its 第一条 to 第三条 were taken for copies of the first rule's and dropped: its wording ran on in the first's 第三条
    parsed, chunks = parse(tmp_path, TWO_RULES)
    second = [c for c in chunks if (c.part or "").startswith("港币支票结算业务外汇管理暂行办法")]
    assert [c.measure for c in second] == ["第一条", "第二条", "第三条"]
    assert only(second, "第二条").text == "企业一次签发支票面额不得超过100万港币。"
    assert only([c for c in chunks if c not in second], "第三条").text == "本办法自公布之日起施行。"
    for c in chunks:
        assert_spans_match(parsed.source.raw, c)


def test_measures_set_the_same_standard_each_keep_it(tmp_path):
    # parallel wording is neither a pasted copy nor a splice of 「资产总额」 and another's 「…亿元以下的为中小微型企业。」
    text = ("五、指标标准值\n（一）银行业存款类金融机构。资产总额40000亿元以下的为中小微型企业。\n"
            "（二）信托公司。信托资产1000亿元以下的为中小微型企业。\n"
            "（三）贷款公司、小额贷款公司及典当行。资产总额1000亿元以下的为中小微型企业。其中，资产总额200亿元及以上的为中型企业。\n"
            "（四）其他金融机构。资产总额1000亿元以下的为中小微型企业。其中，资产总额200亿元及以上的为中型企业。\n")
    _, chunks = parse(tmp_path, text)
    for measure in ("（三）贷款公司、小额贷款公司及典当行", "（四）其他金融机构"):
        assert only(chunks, measure).text.endswith("资产总额1000亿元以下的为中小微型企业。其中，资产总额200亿元及以上的为中型企业。")


def test_a_notice_whose_measures_are_its_parts_numbers_them_by_part(tmp_path):
    """「十三、对…的省（区、市），在…专项资金中给予倾斜。（科技部负责）」: the part is the measure, so 「第十三项」
    (and 「第十三条」) finds it; in a 条例 a 第三项 is an item of an article, and a notice with （一） measures keeps them."""
    from rag.answering.aggregate import by_number

    text = ("某某通知\n一、对商事制度改革成效显著的市县，给予激励。（市场监管总局负责）\n"
            "二、对外贸稳定增长的省，给予支持。（商务部负责）\n三、对科技创新成效较好的省，在专项资金中给予倾斜。（科技部负责）\n")
    _, chunks = parse(tmp_path, text)
    views = outline_from_chunks(chunks)
    assert [v.number for v in views if v.heading != "前言"] == [1, 2, 3]
    for question in ("那第三项呢？", "第三条讲什么？"):
        answer = by_number(question, views)
        assert answer is not None and "专项资金中给予倾斜" in answer.text and "科技部" in answer.text
    assert "第五项" in by_number("第五项是什么？", views).summary
    # measures numbered （一）: 三、 is a part, and a 第X项 names none of them
    _, chunks = parse(tmp_path, "一、总体要求\n（一）加强信贷。扩大投放。\n（二）优化服务。简化流程。\n二、保障\n（三）强化保障。加强统筹。\n")
    views = outline_from_chunks(chunks)
    assert by_number("第二项是什么？", views) is None
    assert "强化保障" in by_number("第（三）条讲什么？", views).text
    # nothing numbered at all: retrieval answers, not an empty list of numbers
    assert by_number("第三条讲什么？", [v for v in views if v.number is None]) is None


def test_the_article_that_fines_a_breach_is_found_from_the_duty(tmp_path):
    """「违反这一条会怎么处罚？」 after 第二条, or 「违反第二条会怎么罚」: the article citing it, not 第二条 again."""
    from rag.answering import aggregate, penalty

    text = ("某省电子商务条例\n第一条 为了促进电子商务发展，制定本条例。\n"
            "第二条 电子商务经营者不得利用算法对交易条件相同的消费者实行不合理差别待遇。\n"
            "第三条 电子商务经营者违反本条例第二条规定的，由市场监督管理部门依法处罚。\n")
    _, chunks = parse(tmp_path, text)
    views = outline_from_chunks(chunks)
    duty = aggregate.numbered("违反第二条规定会怎么处罚？", views)
    assert duty is not None and duty.heading == "第二条"
    assert penalty.setting(duty, views).heading == "第三条"
    assert penalty.setting(aggregate.numbered("第一条讲什么？", views), views) is None
