"""Penalty questions: the article that sets the fine for breaking the one retrieved.

A regulation states a duty in one article (「第十三条 地方金融组织下列事项应当经…审批」) and its
penalty in its 法律责任 chapter by number (「第四十七条 违反本条例第十三条规定…处十万元以上五十万元
以下的罚款」). 「没报批会怎么罚？」 finds the duty, whose words it shares, but the answer is the
article that cites it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from rag.corpus.outline import MeasureView
from rag.types import Chunk, Hit

# 「违反这一条…会有什么后果」 asks what the law makes follow as much as 「怎么罚」 does
_ASKS = re.compile(r"罚|处罚|处分|法律责任|追责|追究|[什啥][么]?后果|后果是什么|承担什么责任")
_CITES = re.compile(r"违反本(?:条例|办法|规定|法|细则|决定)[^，。；]*")
_STATES = re.compile(r"罚款|罚金|处分|违反本")
# What a penalty article imposes, though it may never say 处罚: 「…给予警告；…取消其任职资格」, 「…吊销其…许可证」
SANCTIONS = ("处罚", "罚款", "罚金", "警告", "吊销", "责令改正", "责令整顿", "取消其任职资格", "没收", "追究刑事责任")
# A clause imposing one, not one recording it: 「…给予警告」, 「禁止上述申请人3年内再次申请任职资格」, yet not
# 「最近3年无受到重大行政处罚的记录」, a condition of licensing
_IMPOSES = re.compile(r"罚款|罚金|警告|吊销|责令|没收|处分|(?:进行|予以|依法)处罚|取消[^，。；]*资格"
                      r"|禁止[^，。；]*(?:申请|从事|担任)|追究[^，。；]*刑事责任")
_LISTS = re.compile(r"(哪些|什么|怎么|如何|何种|哪几种)(行政)?(处罚|罚则|法律责任)|处罚(措施|规定)?(有哪些|是什么)")
_ALL = re.compile(r"(哪些|哪几种)(行政)?(处罚|罚则|法律责任)|处罚(措施|规定)?有哪些")
_ARTICLE = re.compile(r"^第[一二三四五六七八九十百零〇]+条$")


def asks_penalty(question: str) -> bool:
    return bool(_ASKS.search(question))


def lists_penalties(question: str) -> bool:
    """Whether the question asks for every penalty (「会受到哪些处罚」), as a broad one asks for every measure:
    「会受到什么处罚」 may ask for the one fine of one breach."""
    return bool(_ALL.search(question))


def asks_penalties(question: str) -> bool:
    """Whether the penalties are what a broad question lists (「规定了哪些处罚」), not one aspect among others
    (「…审什么和追责分别提了哪些工作措施」)."""
    return bool(_LISTS.search(question))


def imposes(text: str) -> bool:
    """Whether ``text`` imposes a sanction, as the articles a list of penalties quotes do."""
    return bool(_IMPOSES.search(text))


def imposing_first(hits: Sequence[Hit]) -> list[Hit]:
    """``hits`` with those imposing a sanction first, the rest scored no higher than the weakest of them: a list of
    what a regulation punishes shows the articles punishing before one recording 「最近3年无受到重大行政处罚」,
    and it is shown by score."""
    imposing = [h for h in hits if imposes(h.chunk.text)]
    if not imposing:
        return list(hits)
    floor = min(h.score for h in imposing)
    return imposing + [replace(h, score=min(h.score, floor)) for h in hits if not imposes(h.chunk.text)]


def with_penalties(hits: Sequence[Hit], chunks_of: Mapping[str, Sequence[Chunk]], within: int) -> list[Hit]:
    """``hits`` led by the articles that set a penalty for breaking one of the first ``within`` of them,
    each scored as the article it cites: the fine is what was asked, the duty why it applies. Unchanged
    when a penalty article outranks every duty found: it answers first, as it ranks."""
    found: dict[str, Hit] = {}
    for hit in hits[:within]:
        if not found and _STATES.search(hit.chunk.text):
            return list(hits)
        # 「违反本条例第六十一条第一项规定…并处二万元以上十万元以下罚款」 may rank far below 第六十一条 itself,
        # too far for the answer to keep it
        found |= {h.chunk.id: h for h in _citing(hit, chunks_of) if h.chunk.id not in found}
    return list(found.values()) + [h for h in hits if h.chunk.id not in found]


def citing(hits: Sequence[Hit], chunks_of: Mapping[str, Sequence[Chunk]]) -> list[Hit]:
    """The chunks, not among ``hits``, that set a penalty for breaking one of their articles, scored as the
    weakest of ``hits``: a broad list of what a regulation says on 预付卡 ends with the article that fines
    a breach of them (「违反本办法第十条、第十一条规定的…」), though it names no 预付卡."""
    listed = {h.chunk.id for h in hits}
    floor = min((h.score for h in hits), default=0.0)
    fines: dict[str, Hit] = {}
    for hit in hits:
        fines |= {h.chunk.id: replace(h, score=floor) for h in _citing(hit, chunks_of)
                  if h.chunk.id not in listed and h.chunk.id not in fines}
    return list(fines.values())


def _citing(hit: Hit, chunks_of: Mapping[str, Sequence[Chunk]]) -> list[Hit]:
    """The other chunks of ``hit``'s document that cite its article, scored as it."""
    article = hit.chunk.measure
    if not _ARTICLE.match(article):
        return []
    return [Hit(chunk, hit.score, hit.rank) for chunk in chunks_of.get(hit.chunk.document_id, ())
            if chunk.id != hit.chunk.id and _cites(chunk.text, article)]


def _cites(text: str, article: str) -> bool:
    """Whether a 「违反本条例…」 clause of ``text`` names ``article`` (第十三条, not 第十三条之一)."""
    return any(re.search(rf"{article}(?!之)", m.group()) for m in _CITES.finditer(text))


def setting(duty: MeasureView, views: Sequence[MeasureView]) -> MeasureView | None:
    """「违反这一条会怎么处罚？」 after 第十四条 was quoted: the article of its document that cites it."""
    if not _ARTICLE.match(duty.heading):
        return None
    return next((v for v in views if v.document_id == duty.document_id and v.id != duty.id
                 and any(_cites(c.text, duty.heading) for c in v.chunks)), None)
