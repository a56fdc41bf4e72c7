"""A document's framing articles: its purpose, scope, definitions and commencement.

「本条例所称地方金融组织，包括小额贷款公司、融资担保公司…」 and 「为了…，制定本条例」 hold the
words of almost any question about the document, so they outrank the article that answers it
(「我们合作的一家上海保理公司，想把自己的牌照租给别的公司用」 found the definition listing
商业保理公司, not the article forbidding 出租许可证件). Unless the question asks what they state,
they are quoted after the rest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag.types import Hit

_OWN = r"本(?:条例|办法|规定|细则|意见|通知|措施|决定)"
# read in an article's first sentence: a measure that ends a 通知 may run on into its 「本通知自…起实施」
_FRAMES = re.compile(rf"^为了?[^。]{{0,160}}制定{_OWN}|^{_OWN}所称|适用{_OWN}|^{_OWN}适用于|^{_OWN}自[^。]{{0,20}}(?:起施行|起实施|施行)")
# what a framing article answers: a term's meaning or reach, the document's purpose or dates, a quoted term
# (「管不管金融机构里的国有资产」 asks its reach as staff say it)
_ASKS = re.compile(r"是指|指什么|指哪|指的是|什么是|算不算|属于|适用|范围|目的|施行|生效|哪天|什么时候|包括哪些|哪几类"
                   r"|定义|界定|认定|多大|哪些人|管不管|管得着|归不归|[“「\"'‘][^”」\"'’]{1,10}[”」\"'’]")


def frames(text: str) -> bool:
    return bool(_FRAMES.search(text.split("。", 1)[0]))


def last(hits: Sequence[Hit], question: str, scored: bool = False) -> list[Hit]:
    """``hits`` with the framing articles after the rest, unless the question asks what they state; ``scored``
    also gives them the lowest score, where an answer shows its measures by score (「广东对家政服务业有哪些扶持
    政策」 showed 第一条 and 第二条 and left the support articles to its tail)."""
    if _ASKS.search(question) or not hits:
        return list(hits)
    floor = min(h.score for h in hits)
    return sorted((replace(h, score=floor) if scored and frames(h.chunk.text) else h for h in hits),
                  key=lambda h: frames(h.chunk.text))
