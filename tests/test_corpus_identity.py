"""Document identity (rag.corpus.identity): the development library against its manifest,
the shipped Fujian file, and the general shapes one at a time on small synthetic texts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.corpus.identity import DocumentIdentity, identify, read_sidecar, sidecar_path
from rag.corpus.identity.issuers import level_of, split_issuers
from rag.errors import CorpusError

REPO = Path(__file__).resolve().parents[1]
LIBRARY = REPO / "eval" / "library"
MANIFEST = json.loads((LIBRARY / "manifest.json").read_text(encoding="utf-8"))
DOCS = MANIFEST["documents"]
FIELDS = ("title", "notice_title", "number", "issuers", "signed", "published", "effective", "date", "region", "type")


def _values(identity: DocumentIdentity) -> dict:
    return {k: v for k, v in identity.as_dict().items() if k in FIELDS}


@pytest.mark.parametrize("doc", DOCS, ids=[d["file"] for d in DOCS])
def test_library_document_identity_matches_the_manifest(doc):
    path = LIBRARY / doc["file"]
    identity = identify(path.read_text(encoding="utf-8"), path.name, read_sidecar(path))
    gold = {k: doc["identity"][k] for k in FIELDS}
    assert _values(identity) == gold
    assert identity.status == "unknown"
    # The manifest's own summary fields agree with the identity gold.
    assert (doc["title"], doc["issuers"]) == (gold["title"], gold["issuers"])


@pytest.mark.parametrize("doc", DOCS, ids=[d["file"] for d in DOCS])
def test_library_fields_not_in_a_sidecar_come_from_the_text_alone(doc):
    path = LIBRARY / doc["file"]
    identity = _values(identify(path.read_text(encoding="utf-8"), path.name))
    from_sidecar = set(doc["identity"]["from_sidecar"])
    for field in set(FIELDS) - from_sidecar - {"date"}:
        assert identity[field] == doc["identity"][field], field
    for field in from_sidecar:
        assert identity[field] is None, f"{field} is in the sidecar because the text does not state it"
    assert (read_sidecar(path) is not None) == bool(from_sidecar)


@pytest.mark.parametrize("doc", DOCS, ids=[d["file"] for d in DOCS])
def test_library_identity_survives_losing_every_line_break(doc):
    """Extraction that runs everything together still leaves title, 文号 and issuers readable."""
    path = LIBRARY / doc["file"]
    glued = "".join(path.read_text(encoding="utf-8").splitlines())
    identity = _values(identify(glued, path.name, read_sidecar(path)))
    for field in ("title", "notice_title", "number", "issuers", "effective", "region", "type"):
        assert identity[field] == doc["identity"][field], field


def test_shipped_fujian_file():
    path = REPO / "data" / "fujian-finance-measures-2021.txt"
    identity = identify(path.read_text(encoding="utf-8"), path.name)
    assert identity.id == "fujian-finance-measures-2021"
    assert identity.title == "福建省加快金融业发展更好服务全方位推动高质量发展超越的若干措施"
    # The notice's title as this copy writes it (without 的 before 若干措施); the policy's
    # own title comes from its name quoted in the notice.
    assert identity.notice_title == "福建省人民政府办公厅关于印发福建省加快金融业发展更好服务全方位推动高质量发展超越若干措施的通知"
    assert identity.number is None  # the copy carries no 文号
    assert identity.issuers == ("福建省人民政府办公厅",)
    assert (identity.signed, identity.published, identity.date) == ("2021-02-05", "2021-02-09", "2021-02-09")
    assert (identity.region, identity.type, identity.status) == ("province", "措施", "unknown")


# --- shapes, one at a time -------------------------------------------------------------

BODY = "为推进工作，现提出如下意见。\n一、总体要求\n（一）坚持稳中求进。各地要加强组织领导。\n"


def test_a_title_wrapped_over_three_lines_is_joined_and_the_letterhead_is_not_a_title():
    text = ("贵州省人民政府文件\n\n黔府发〔2022〕8号\n\n贵州省人民政府关于推进\n农业农村现代化加快\n"
            "“三农”高质量发展的指导意见\n\n各市、州人民政府，省政府各部门：\n" + BODY + "贵州省人民政府\n2022年3月1日\n")
    identity = identify(text, "wrapped.txt")
    assert identity.title == "贵州省人民政府关于推进农业农村现代化加快“三农”高质量发展的指导意见"
    assert identity.number == "黔府发〔2022〕8号"
    assert identity.issuers == ("贵州省人民政府",)
    assert (identity.signed, identity.type, identity.notice_title) == ("2022-03-01", "指导意见", None)


@pytest.mark.parametrize("letterhead", ["中国人民银行文件", "江苏省人民政府办公厅文件", "中国人民银行 财政部"])
def test_a_letterhead_is_skipped(letterhead):
    text = f"{letterhead}\n银发〔2020〕5号\n关于做好普惠金融服务工作的通知\n{BODY}"
    identity = identify(text, "letterhead.txt")
    assert identity.title == "关于做好普惠金融服务工作的通知"
    assert identity.number == "银发〔2020〕5号"
    assert identity.issuers == tuple(letterhead.removesuffix("文件").split())


def test_a_yinfa_notice_keeps_the_policy_title_apart_from_the_notice_title():
    text = ("江苏省人民政府办公厅关于印发《江苏省促进普惠金融发展实施方案（试行）》的通知\n"
            "苏政办发〔2021〕12号\n各设区市人民政府，省各委办厅局：\n"
            "《江苏省促进普惠金融发展实施方案（试行）》已经省人民政府同意，现印发给你们，请认真贯彻执行。\n"
            "江苏省人民政府办公厅\n2021年3月2日\n（此件公开发布）\n"
            "江苏省促进普惠金融发展实施方案（试行）\n" + BODY + "本方案自2021年4月1日起施行。\n")
    identity = identify(text, "notice.txt")
    assert identity.title == "江苏省促进普惠金融发展实施方案（试行）"
    assert identity.notice_title == "江苏省人民政府办公厅关于印发《江苏省促进普惠金融发展实施方案（试行）》的通知"
    assert identity.issuers == ("江苏省人民政府办公厅",)
    assert identity.number == "苏政办发〔2021〕12号"
    assert (identity.signed, identity.effective, identity.date) == ("2021-03-02", "2021-04-01", "2021-03-02")
    assert (identity.type, identity.region) == ("方案", "province")


def test_a_notice_without_quotes_takes_the_policy_title_as_the_attachment_writes_it():
    text = ("某市人民政府关于印发某市支持科技企业融资若干措施的通知\n各区人民政府：\n"
            "现将《某市支持科技企业融资的若干措施》印发给你们，请认真执行。\n某市人民政府\n2023年5月6日\n"
            "某市支持科技企业融资的若干措施\n" + BODY)
    identity = identify(text, "city.txt")
    assert identity.title == "某市支持科技企业融资的若干措施"
    assert identity.notice_title == "某市人民政府关于印发某市支持科技企业融资若干措施的通知"
    assert (identity.issuers, identity.region, identity.type) == (("某市人民政府",), "city", "措施")


def test_a_forwarding_notice():
    text = ("安徽省人民政府办公厅转发省财政厅关于加强政府性融资担保管理意见的通知\n各市人民政府：\n"
            "省财政厅《关于加强政府性融资担保管理的意见》已经省人民政府同意，现转发给你们。\n"
            "安徽省人民政府办公厅\n2020年6月1日\n")
    identity = identify(text, "forward.txt")
    assert identity.notice_title == "安徽省人民政府办公厅转发省财政厅关于加强政府性融资担保管理意见的通知"
    assert identity.title == "省财政厅关于加强政府性融资担保管理意见"
    assert identity.issuers == ("安徽省人民政府办公厅",)
    assert (identity.signed, identity.type) == ("2020-06-01", "意见")
    # 印发 without 关于, the policy's title in 《》
    issued = identify("上海市人民政府办公厅印发《关于加快发展本市保障性租赁住房的实施意见》的通知\n沪府办规〔2021〕12号\n"
                      "各区人民政府：\n《关于加快发展本市保障性租赁住房的实施意见》已经市政府同意，现印发给你们。\n"
                      "上海市人民政府办公厅\n2021年11月9日\n", "issued.txt")
    assert (issued.title, issued.type) == ("关于加快发展本市保障性租赁住房的实施意见", "实施意见")
    assert issued.notice_title.startswith("上海市人民政府办公厅印发《")


def test_a_joint_document_names_every_issuer_in_order():
    text = ("中国人民银行中国银行保险监督管理委员会文件国家外汇管理局\n银发〔2021〕9号\n"
            "中国人民银行 银保监会、证监会 财政部关于深化供应链金融服务的指导意见\n" + BODY
            + "中国人民银行\n中国银行保险监督管理委员会\n中国证券监督管理委员会\n财政部\n2021年1月20日\n")
    identity = identify(text, "joint.txt")
    assert identity.issuers == ("中国人民银行", "银保监会", "证监会", "财政部")
    assert identity.title == "中国人民银行 银保监会 证监会 财政部关于深化供应链金融服务的指导意见"
    assert (identity.signed, identity.region) == ("2021-01-20", "national")


def test_names_glued_by_pdf_extraction_are_split():
    assert split_issuers("中国银行保险监督管理委员会中国证券监督管理委员会") == (
        "中国银行保险监督管理委员会", "中国证券监督管理委员会")
    assert split_issuers("国家发展改革委财政部") == ("国家发展改革委", "财政部")
    assert split_issuers("浙江省财政厅浙江省发展和改革委员会") == ("浙江省财政厅", "浙江省发展和改革委员会")
    assert split_issuers("福建省人民政府办公厅") == ("福建省人民政府办公厅",)
    assert split_issuers("各省、自治区、直辖市人民政府") is None
    assert split_issuers("总理 李克强") is None


@pytest.mark.parametrize(("signature", "iso"), [
    ("二〇二一年二月五日", "2021-02-05"),
    ("二○二○年十二月三十一日", "2020-12-31"),
    ("2019年1月22日", "2019-01-22"),
    ("２０２２年３月１日", "2022-03-01"),
])
def test_signature_dates_in_any_numerals(signature, iso):
    text = f"关于加强金融消费者权益保护的意见\n{BODY}某某市人民政府\n{signature}\n"
    identity = identify(text, "dates.txt")
    assert identity.signed == iso
    assert identity.issuers == ("某某市人民政府",)


@pytest.mark.parametrize("written", ["国办发〔2019〕6号", "国办发[2019]6号", "国办发(2019)6号", "国办发（2019）6号",
                                     "国办发［2019］6号", "国办发【2019】6号", "国办发 〔 2019 〕 6 号"])
def test_number_bracket_variants_are_normalised(written):
    identity = identify(f"国务院办公厅关于加强融资担保工作的通知\n{written}\n{BODY}", "n.txt")
    assert identity.number == "国办发〔2019〕6号"


def test_a_number_in_brackets_after_the_title_is_taken_out_of_it():
    identity = identify(f"中国人民银行 国家金融监督管理总局关于优化信贷服务的通知（银发〔2023〕7号）\n{BODY}", "t.txt")
    assert identity.title == "中国人民银行 国家金融监督管理总局关于优化信贷服务的通知"
    assert identity.number == "银发〔2023〕7号"


def test_a_cited_number_in_the_preamble_is_not_the_documents_number():
    text = "国务院关于推进普惠金融发展的意见\n各省人民政府：\n根据《国务院关于金融工作的意见》（国发〔2015〕43号），现提出以下意见。\n"
    assert identify(text, "c.txt").number is None


def test_an_order_header_gives_number_title_and_dates():
    text = ("中华人民共和国国务院令\n第683号\n"
            "《融资担保公司监督管理条例》已经2017年6月21日国务院第177次常务会议通过，现予公布，自2017年10月1日起施行。\n"
            "总理 李克强\n2017年8月2日\n\n融资担保公司监督管理条例\n\n第一章 总则\n第一条 为了规范融资担保公司的行为，制定本条例。\n")
    identity = identify(text, "order.txt")
    assert identity.title == "融资担保公司监督管理条例"
    assert identity.number == "中华人民共和国国务院令第683号"
    assert identity.issuers == ("国务院",)
    assert (identity.signed, identity.published, identity.effective) == ("2017-06-21", "2017-08-02", "2017-10-01")
    assert (identity.type, identity.region, identity.date) == ("条例", "national", "2017-08-02")


def test_a_ministry_order_with_the_year_in_brackets():
    text = ("中国人民银行令\n〔2021〕第3号\n"
            "《征信业务管理办法》已经2021年8月27日中国人民银行2021年第9次行务会议审议通过，现予发布，自2022年1月1日起施行。\n"
            "行长　易纲\n2021年9月17日\n征信业务管理办法\n第一章　总则\n第一条　为了规范征信业务，制定本办法。\n")
    identity = identify(text, "order.txt")
    assert (identity.title, identity.number, identity.issuers) == ("征信业务管理办法", "中国人民银行令〔2021〕第3号",
                                                                   ("中国人民银行",))
    assert (identity.signed, identity.published, identity.effective) == ("2021-08-27", "2021-09-17", "2022-01-01")


def test_a_listing_line_of_number_and_bracketed_title():
    # how a regulation listing heads the order it copies: the number, then the title in brackets
    text = ("中国人民银行令〔2020〕第5号（中国人民银行金融消费者权益保护实施办法）\n中国人民银行令\n〔2020〕第5号\n"
            "《中国人民银行金融消费者权益保护实施办法》已经2020年9月1日中国人民银行2020年第6次行务会议审议通过，"
            "现予发布，自2020年11月1日起施行。\n行长 易纲\n2020年9月15日\n中国人民银行金融消费者权益保护实施办法\n"
            "第一章 总则\n第一条 为了保护金融消费者合法权益，制定本办法。\n")
    identity = identify(text, "listing.txt")
    assert (identity.title, identity.number, identity.type) == (
        "中国人民银行金融消费者权益保护实施办法", "中国人民银行令〔2020〕第5号", "办法")
    assert identity.effective == "2020-11-01"


def test_a_law_is_of_type_law():
    text = "中华人民共和国反洗钱法\n（2024年11月8日第十四届全国人民代表大会常务委员会第十二次会议修订）\n第一章 总则\n第一条 为了预防洗钱活动，制定本法。\n"
    identity = identify(text, "law.txt")
    assert (identity.title, identity.type) == ("中华人民共和国反洗钱法", "法")


def test_an_order_that_says_xian_gongbu():
    text = "中华人民共和国财政部令\n第105号\n现公布《政府采购货物和服务招标投标管理办法》，自2017年10月1日起施行。\n部长 肖捷\n2017年7月11日\n"
    identity = identify(text, "order.txt")
    assert (identity.title, identity.number, identity.issuers) == (
        "政府采购货物和服务招标投标管理办法", "中华人民共和国财政部令第105号", ("财政部",))
    assert (identity.published, identity.effective, identity.type) == ("2017-07-11", "2017-10-01", "办法")


def test_a_date_under_the_title_is_the_signing_date_not_part_of_the_title():
    text = "中共中央 国务院关于完善市场经济体制的意见\n（2020年5月11日）\n社会主义市场经济体制是重大创新。\n一、坚持改革\n"
    identity = identify(text, "d.txt")
    assert (identity.title, identity.issuers, identity.signed) == (
        "中共中央 国务院关于完善市场经济体制的意见", ("中共中央", "国务院"), "2020-05-11")


def test_a_web_page_information_table_and_breadcrumbs_are_not_the_title():
    text = ("首页 > 政策 > 政策文件库\n索 引 号：000014349/2019-00024\n主题分类：财政、金融\n"
            "发文字号：国办发〔2019〕6号\n发布日期：2019年02月14日\n国务院办公厅关于加强融资担保\n"
            "体系建设的指导意见\n各省、自治区、直辖市人民政府：\n近年来，各地积极探索。\n国务院办公厅\n2019年1月22日\n")
    identity = identify(text, "page.html")
    assert identity.title == "国务院办公厅关于加强融资担保体系建设的指导意见"
    assert (identity.number, identity.signed, identity.published) == ("国办发〔2019〕6号", "2019-01-22", "2019-02-14")


def test_an_attachment_label_is_not_the_title():
    identity = identify("附件\n\n银行业金融机构\n支持民营企业发展的指导意见\n\n为贯彻落实要求，提出以下意见。\n", "a.txt")
    assert identity.title == "银行业金融机构支持民营企业发展的指导意见"


def test_a_regulation_header_with_a_congress_announcement():
    text = ("某某市物业管理条例\n\n"
            "（2019年4月25日某某市第十五届人民代表大会常务委员会第二十次会议通过　"
            "2019年5月30日浙江省第十三届人民代表大会常务委员会第十二次会议批准）\n\n"
            "第一章　总则\n第一条 为了规范物业管理活动，制定本条例。\n第五十条 本条例自2020年1月1日起施行。\n")
    identity = identify(text, "reg.txt")
    assert identity.issuers == ("某某市人民代表大会常务委员会",)
    assert (identity.signed, identity.effective, identity.region) == ("2019-05-30", "2020-01-01", "city")


def test_a_measure_starting_on_a_date_is_not_the_documents_own_effective_date():
    text = f"关于支持小微企业的若干措施\n{BODY}（二）自2020年1月1日起实行贷款贴息。\n本措施自印发之日起施行。\n"
    assert identify(text, "e.txt").effective is None


def test_glued_header_fields_are_read():
    text = ("江西省人民政府办公厅关于印发江西省金融支持稳外贸若干措施的通知发布日期:2022-06-09各市人民政府:"
            "《江西省金融支持稳外贸的若干措施》已经省政府同意，现印发给你们。江西省人民政府办公厅2022年6月2日（此件主动公开）"
            "江西省金融支持稳外贸的若干措施为支持外贸企业，制定以下措施。一、加大信贷支持\n")
    identity = identify(text, "glued.txt")
    assert identity.title == "江西省金融支持稳外贸的若干措施"
    assert identity.notice_title == "江西省人民政府办公厅关于印发江西省金融支持稳外贸若干措施的通知"
    assert identity.issuers == ("江西省人民政府办公厅",)
    assert (identity.published, identity.signed, identity.date) == ("2022-06-09", "2022-06-02", "2022-06-09")


def test_labelled_page_fields_come_first():
    text = ("标　　题：关于金融支持乡村振兴的通知\n发文字号：某金发〔2022〕3号\n发文机关：某某市金融工作局\n"
            "成文日期：2022年04月01日\n发布日期：2022年04月08日\n关于金融支持乡村振兴的通知\n" + BODY)
    identity = identify(text, "page.html")
    assert (identity.title, identity.number, identity.issuers) == (
        "关于金融支持乡村振兴的通知", "某金发〔2022〕3号", ("某某市金融工作局",))
    assert (identity.signed, identity.published, identity.region) == ("2022-04-01", "2022-04-08", "city")


def test_a_page_table_copied_one_cell_a_line_keeps_its_fields():
    text = ("中国人民银行 财政部\n关于金融支持乡村振兴的通知\n标题：\n中国人民银行 财政部\n关于金融支持乡村振兴的通知\n"
            "索引号：\nHB/2024-1\n文号：\n银发〔2024〕4号\n发文机关：\n中国人民银行 财政部\n发布日期：\n2024年01月18日\n" + BODY)
    identity = identify(text, "page.txt")
    assert (identity.number, identity.issuers, identity.published) == (
        "银发〔2024〕4号", ("中国人民银行", "财政部"), "2024-01-18")
    assert identity.title.endswith("关于金融支持乡村振兴的通知")


def test_a_number_heading_a_copy_that_lost_its_issuer_is_no_title():
    text = ("[2005]第 7 号\n为规范信贷资产证券化试点工作，中国人民银行、中国银行业监督管理委员会制定了《信贷资产证券化试点管理办法》，"
            "现予公布。\n二〇〇五年四月二十日\n第一章 总 则\n第一条 为规范信贷资产证券化试点工作，制定本办法。\n")
    assert identify(text, "notice.txt").title == "信贷资产证券化试点管理办法"


def test_the_synthetic_fixtures_read_their_title_and_type():
    for name, title, kind in [("kejijinrong-banfa.txt", "某市科技金融支持办法", "办法"),
                              ("lvse-jinrong-cuoshi.md", "某市绿色金融发展若干措施", "措施")]:
        identity = identify((REPO / "tests" / "fixtures" / name).read_text(encoding="utf-8"), name)
        assert (identity.title, identity.type, identity.issuers, identity.date) == (title, kind, (), None)


def test_a_text_with_no_title_falls_back_to_the_file_name():
    identity = identify("为推进工作，现提出如下意见。\n", "some-policy.txt")
    assert (identity.title, identity.id) == ("some-policy", "some-policy")


@pytest.mark.parametrize(("name", "level"), [
    ("国务院办公厅", "national"), ("国家金融监督管理总局", "national"), ("上海市人民政府办公厅", "province"),
    ("广西壮族自治区人民政府", "province"), ("浙江省人民代表大会常务委员会", "province"),
    ("上海市浦东新区人民政府", "city"), ("湖州市人民代表大会常务委员会", "city"), ("某某县人民政府", "city"),
    ("国家金融监督管理总局福建监管局", "province"),
])
def test_region_of_an_issuer(name, level):
    assert level_of(name) == level


def test_status_is_unknown_without_a_sidecar_and_date_falls_back():
    identity = identify(f"关于支持小微企业的若干措施\n{BODY}本措施自2021年7月1日起施行。\n", "s.txt")
    assert identity.status == "unknown"
    assert (identity.published, identity.signed, identity.date) == (None, None, "2021-07-01")


@pytest.mark.parametrize(("filename", "slug"), [
    ("policy.pdf", "policy"), ("Policy_Doc 2021.PDF", "policy-doc-2021"), ("dir/x.y.txt", "x-y"),
])
def test_id_is_an_ascii_slug_of_the_file_name(filename, slug):
    assert identify("", filename).id == slug


def test_a_chinese_file_name_gets_a_stable_distinct_id():
    a, b = identify("", "政策-2021.txt").id, identify("", "办法-2021.txt").id
    assert a != b and a == identify("", "政策-2021.txt").id
    assert a.startswith("2021-") and a.isascii()


# --- sidecars ----------------------------------------------------------------------------


def _write(tmp_path: Path, text: str, sidecar: str | None) -> Path:
    doc = tmp_path / "policy.pdf"
    doc.write_text(text, encoding="utf-8")
    if sidecar is not None:
        sidecar_path(doc).write_text(sidecar, encoding="utf-8")
    return doc


def test_sidecar_values_override_the_text(tmp_path):
    text = f"关于支持小微企业的若干措施\n{BODY}某某市人民政府\n2021年2月5日\n"
    doc = _write(tmp_path, text, json.dumps({
        "id": "sme-measures", "number": "某政发[2021]3号", "issuers": "某某市人民政府、某某市财政局",
        "published": "2021年2月9日", "effective": "2021-03-01", "status": "repealed", "type": "若干措施",
    }, ensure_ascii=False))
    assert sidecar_path(doc).name == "policy.pdf.meta.json"
    identity = identify(doc.read_text(encoding="utf-8"), doc.name, read_sidecar(doc))
    assert identity.id == "sme-measures"
    assert identity.number == "某政发〔2021〕3号"
    assert identity.issuers == ("某某市人民政府", "某某市财政局")
    assert (identity.signed, identity.published, identity.effective) == ("2021-02-05", "2021-02-09", "2021-03-01")
    assert (identity.status, identity.type, identity.region) == ("repealed", "若干措施", "city")
    assert identity.title == "关于支持小微企业的若干措施"


def test_sidecar_issuers_as_a_list_and_region_override(tmp_path):
    doc = _write(tmp_path, "关于X的通知\n", json.dumps({"issuers": ["甲局", "乙局"], "region": "province",
                                                       "title": "真标题", "number": None}, ensure_ascii=False))
    identity = identify("关于X的通知\n", doc.name, read_sidecar(doc))
    assert (identity.issuers, identity.region, identity.title, identity.number) == (("甲局", "乙局"), "province", "真标题", None)


def test_no_sidecar_is_none(tmp_path):
    assert read_sidecar(_write(tmp_path, "x", None)) is None


@pytest.mark.parametrize(("content", "named"), [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"titel": "x"}', "'titel'"),
    ('{"published": "yesterday"}', "'published'"),
    ('{"published": "2021-02-30"}', "'published'"),
    ('{"status": "valid"}', "'status'"),
    ('{"region": "county"}', "'region'"),
    ('{"id": "Not A Slug"}', "'id'"),
    ('{"issuers": 5}', "'issuers'"),
    ('{"title": null}', "'title'"),
])
def test_an_invalid_sidecar_is_a_corpus_error_naming_file_and_field(tmp_path, content, named):
    doc = _write(tmp_path, "x", content)
    with pytest.raises(CorpusError) as e:
        read_sidecar(doc)
    assert "policy.pdf.meta.json" in str(e.value) and named in str(e.value)


def test_identify_checks_a_sidecar_given_directly():
    with pytest.raises(CorpusError, match="'colour'"):
        identify("关于X的通知\n", "x.txt", {"colour": "red"})


def test_the_identity_table_prints_one_row_per_document(capsys):
    from eval.identity_table import main

    main([str(LIBRARY)])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| `")]
    assert len(rows) == len(DOCS)
    assert any("沪府办发〔2024〕3号\\*" in line for line in rows)  # a sidecar value is marked


def test_a_date_glued_to_a_decree_number_is_not_part_of_it():
    """PDF and Word text loses the space in 「2021年1月26日 中华人民共和国国务院令第737号公布」."""
    text = "某某管理条例\n2021年1月26日中华人民共和国国务院令第737号公布\n第一条 为了规范管理，制定本条例。\n"
    assert identify(text, "x.txt").number == "中华人民共和国国务院令第737号"


HEADER_SHAPES = {
    # 「加 急」 spaced out by extraction is a mark, not the first line of the title
    "spaced mark": ("加 急\n中国人民银行文件\n银发〔2014〕235 号\n中国人民银行关于全面推进深化农村支付服务环境建设的指导意见\n"
                    "各分行：\n为加强农村金融服务，现提出以下意见。\n一、指导思想\n",
                    ("中国人民银行关于全面推进深化农村支付服务环境建设的指导意见", "银发〔2014〕235号", ("中国人民银行",)), {}),
    # no title line heads it: the sentence that issues the policy names it
    "announcement": ("中国人民银行公告\n（2013）第9号\n为规范银行卡收单业务管理，中国人民银行制定了《银行卡收单业务管理办法》，"
                     "现予公布实施。\n2013年7月5日\n银行卡收单业务管理办法\n第一章 总则\n第一条 为规范银行卡收单业务，制定本办法。\n",
                     ("银行卡收单业务管理办法", "中国人民银行公告〔2013〕第9号", ("中国人民银行",)), {"published": "2013-07-05"}),
    # the issuing sentence runs on to 「本公告…」, which ends in a type word: a sentence's end is past any title
    "announcement taking effect": ("中国人民银行公告\n〔2005〕第 23 号\n为规范电子支付业务，中国人民银行制定了《电子支付指引（第一号）》，"
                                   "现予公布。本公告自公布之日起施行。\n二〇〇五年十月二十六日\n电子支付指引(第一号)\n第一章 总则\n"
                                   "第一条 为规范和引导电子支付的健康发展，制定本指引。\n",
                                   ("电子支付指引（第一号）", "中国人民银行公告〔2005〕第23号", ("中国人民银行",)), {}),
    # the laws it is made under are quoted first: the title is the one the issuing words stand beside
    "order under laws": ("中国人民银行令\n（2009）第 2 号\n为规范电子商业汇票业务管理，根据《中华人民共和国中国人民银行法》、"
                         "《中华人民共和国票据法》等有关法律，中国人民银行制定了《电子商业汇票业务管理办法》，经 2009 年 9 月 22 日"
                         "第 18 次行长办公会议通过，现予公布，自公布之日起施行。\n行长：周小川二〇〇九年十月十六日\n电子商业汇票业务管理办法\n"
                         "第一章 总则\n第一条 为规范电子商业汇票业务，制定本办法。\n",
                         ("电子商业汇票业务管理办法", "中国人民银行令〔2009〕第2号", ("中国人民银行",)), {}),
    # the source lost the 令 of 「…委员会令」: the number line alone must not become the title
    "bare order number": ("中国人民银行中国银行业监督管理委员会\n（2017）第 2 号\n为规范汽车贷款业务管理，中国人民银行、"
                          "中国银行业监督管理委员会决定修订《汽车贷款管理办法》。修订后的《汽车贷款管理办法》现予发布，"
                          "自 2018 年 1 月 1 日起施行。\n汽车贷款管理办法\n（2017年修订）\n第一章 总则\n第一条 为规范汽车贷款业务管理，制定本办法。\n",
                          ("汽车贷款管理办法", None, ("中国人民银行", "中国银行业监督管理委员会")), {"effective": "2018-01-01"}),
    "half-width brackets": ("非银行支付机构监督管理条例(国务院令 第768号)\n中华人民共和国国务院令\n第768号\n"
                            "《非银行支付机构监督管理条例》已经2023年11月24日国务院第19次常务会议通过，现予公布，自2024年5月1日起施行。\n"
                            "总理 李强\n2023年12月9日\n非银行支付机构监督管理条例\n第一章 总则\n第一条 为了规范非银行支付机构行为，制定本条例。\n",
                            ("非银行支付机构监督管理条例", "国务院令第768号", ("国务院",)), {}),
    "joint order": ("中国人民银行 中国银行保险监督管理委员会令〔2022〕第4号\n"
                    "《商业汇票承兑、贴现与再贴现管理办法》已经2022年8月24日中国人民银行2022年第7次行务会议审议通过，现予发布，"
                    "自2023年1月1日起施行。\n商业汇票承兑、贴现与再贴现管理办法\n第一章 总则\n第一条 为了规范商业汇票承兑，制定本办法。\n",
                    ("商业汇票承兑、贴现与再贴现管理办法", "中国人民银行中国银行保险监督管理委员会令〔2022〕第4号",
                     ("中国人民银行", "中国银行保险监督管理委员会")), {}),
    # a page's table flattened onto one line: each label ends the value before it
    "flattened table": ("中国人民银行关于做好个人银行账户服务工作的指导意见\n"
                        "标题：中国人民银行关于做好个人银行账户服务工作的指导意见索引号：HB/2021-4358499文号：银发〔2021〕245号"
                        "发文机关：中国人民银行公文种类：发布日期：2021年09月30日生效日期：\n各分行：\n为优化就业环境，现提出以下意见。\n"
                        "一、发放工资\n",
                        ("中国人民银行关于做好个人银行账户服务工作的指导意见", "银发〔2021〕245号", ("中国人民银行",)),
                        {"published": "2021-09-30"}),
}


@pytest.mark.parametrize("shape", HEADER_SHAPES)
def test_header_shapes_from_real_sources(shape):
    text, (title, number, issuers), dates = HEADER_SHAPES[shape]
    identity = identify(text, "header.txt")
    assert (identity.title, identity.number, identity.issuers) == (title, number, issuers)
    for field, value in dates.items():
        assert getattr(identity, field) == value, field
