"""Framing articles (purpose, scope, definitions, commencement) are quoted after the rest."""

from __future__ import annotations

from rag.answering import framing
from rag.types import Chunk, Hit


def _hit(measure: str, text: str, score: float) -> Hit:
    chunk = Chunk(id=measure, document="某条例", part=None, measure=measure, item=None, text=text,
                  responsible_units=(), spans=())
    return Hit(chunk, score, 0)


DEFINITION = _hit("第二条", "本条例所称地方金融组织，包括小额贷款公司、融资担保公司、商业保理公司。", 1.0)
PURPOSE = _hit("第一条", "为了规范地方金融组织的经营行为，根据有关法律、行政法规，制定本条例。", 0.9)
DUTY = _hit("第十八条", "地方金融组织不得有下列行为：（二）出借、出租许可证件或者试点文件；", 0.8)
# a 通知's last measure runs on into its commencement sentence; it is still a measure
LAST = _hit("（十五）", "可接收从境外同名账户汇入的人民币资金。本通知自2021年2月4日起实施。", 0.7)


def test_framing_articles_follow_the_rest():
    hits = [DEFINITION, PURPOSE, DUTY, LAST]
    assert framing.last(hits, "保理公司想把牌照租给别的公司用，行吗？") == [DUTY, LAST, DEFINITION, PURPOSE]


def test_a_question_about_what_they_state_keeps_them_first():
    hits = [DEFINITION, PURPOSE, DUTY]
    for question in ("地方金融组织是指哪些机构？", "这个条例的目的是什么？", "“青年”是多大年龄？", "条例什么时候施行？",
                     "这个条例管不管金融机构里的国有资产？"):
        assert framing.last(hits, question) == hits


def test_a_scope_article_frames_and_a_scored_list_shows_framing_articles_last():
    scope = _hit("第二条", "本条例适用于本省行政区域内开展家政服务活动。", 0.95)
    hits = [PURPOSE, scope, DUTY]
    listed = framing.last(hits, "广东对家政服务业有哪些扶持政策？", scored=True)
    # shown by score, 第一条 and 第二条 would come before the articles that support the trade
    assert [h.chunk.measure for h in listed] == ["第十八条", "第一条", "第二条"]
    assert all(h.score == DUTY.score for h in listed)
    assert framing.last(hits, "广东对家政服务业有哪些扶持政策？")[1:] == [PURPOSE, scope]  # unscored: order only
