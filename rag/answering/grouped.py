"""Answers that span documents: side-by-side comparisons and complete lists for broad questions.

A credit officer asking 「科技型企业有哪些融资支持？」 needs every measure on the subject, not
the three that scored highest; 「A和B分别怎么规定」 needs one quote from each. Both are
grouped by document, newest first, each group under its title and 文号, and every listed
measure keeps its citation, also those only named in the 「另有 N 条」 tail.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from rag.answering.extractive import MAX_CHARS, Quote, citation, in_annex, labelled
from rag.corpus.numbering import heading_number
from rag.corpus.sentences import split_sentences
from rag.types import Answer, Chunk, Citation, DocumentInfo, Hit

# 「有哪些支持/政策」「都作了哪些规定」「从哪些渠道融资」「对公司、合伙企业、信托等，分别怎么判定」 ask for everything on a subject; 「得满足哪些要求」「可以采取哪些措施」 ask for one article's list.
_BROAD = re.compile(r"(有|包括|涉及)哪些|都[^，。？?]{0,3}哪些|都是?怎么|、[^，。？?]{1,12}等?[^，。？?]{0,8}[，,]\s*分别(怎么|如何)|哪些(文件|政策|支持|便利|扶持|渠道|途径|条款|违法行为)|哪几条|各个?文件|这些文件")
# 「能享受哪些优惠」「会受到哪些限制」「都有啥扶持」 ask for many, unless one article's list answers them.
# 「哪些」「都列出来」 ask for every one; 「有什么要求」「怎么规定」 may be answered by one article
_EVERY = r"哪些|哪几|有啥|些啥|都有什么|都规定了|列一下|列出|列举|全部|所有的?(条款|规定|措施|政策)"
_EVERY_ASKED = re.compile(_EVERY)
_MANY = re.compile(rf"{_EVERY}|(有|给了?|提了?|作了?)什么(支持|扶持|优惠|便利|措施|政策|规定|要求)|怎么规定|如何规定")
# 「A和B…有什么不同」「A与B分别怎么处理」: two things set side by side within the question
_CONTRAST = re.compile(r"不同|区别|差别|差异|分别|各自|一样吗|相同|对比|比较")
_SIDE = r"[^，,。？?；;、和与跟及]{2,14}"
_SIDES = re.compile(rf"(?P<a>{_SIDE})(?:和|与|跟|以及)(?P<b>{_SIDE}?)(?=[，,]|在|的|分别|各自|有什么|有何|有哪些|怎么|如何|是否|都)")
SHOWN = 8  # measures quoted in full; the rest of a broad list is named in its tail
MAX_ITEMS = 6  # items of a list quoted under its lead-in in a comparison
BROAD_RATIO = 0.4  # a chunk joins a broad list this close to the best one (README: recall and length)
BROAD_MAX = 40  # chunks a broad answer may cite in all
BROAD_WIDEN = 3  # …chosen on subject from this many times as many of the best-ranked
GENERIC = 0.1  # a word in more of the library's chunks than this names no subject (README: recall and length)
GENERIC_WITHIN = 0.25  # …or of a named document's: there a chapter's worth of articles is still one subject
ENUMERATED = 0.5  # …but an aspect the question enumerates (「…、关联交易、…方面」) names one unless most chunks hold it
GAP = 3  # unlisted measures in a row that two listed ones of the same part bring along
BROAD_LEXICAL = 0.2  # without a subject word, a chunk needs this share of the best lexical score
BROAD_DROP = 0.1  # a drop in score this wide (of the best) sets the best-ranked hits apart as on the subject
BROAD_TOP = 3  # …as the best-ranked few always are
NEAR = 0.5  # a hit without the subject's words joins at this quantile of the worded carriers' dense similarity


def subject_of(terms: Sequence[Sequence[str]], share: Callable[[Sequence[str]], float],
               generic: float = GENERIC) -> list[Sequence[str]]:
    """The groups of ``terms`` (a word and its synonyms) that name a subject: held by few chunks, but some.

    A word in more than ``GENERIC`` of the library's chunks (金融, 企业, 融资) names no subject:
    「小微企业融资」 chunks do not answer 「科技型企业融资」. A word no chunk holds (「这条线」) is
    the question's phrasing. ``share`` is the fraction of chunks holding a group.
    """
    return [group for group in terms if 0 < share(group) <= generic]


_ENUMERATION = re.compile(r"[^、，。？！；,?!;]+(?:、[^、，。？！；,?!;]+)+")


def enumerated(question: str, words: Callable[[str], list[str]]) -> list[str]:
    """The compounds a question enumerates as aspects of its subject, each one subject.

    In 「在公司治理、风险管理、关联交易、防火墙隔离方面提了哪些要求」 关联交易 is one thing asked about, though
    its words 关联 and 交易 are each in half of the document's measures and so name no subject alone. The
    first item ends the run of words before its 、 and the last begins the one after it (「防火墙隔离方面…」).
    """
    found = []
    for run in _ENUMERATION.finditer(question):
        items = run.group(0).split("、")
        for i, item in enumerate(items):
            said = words(item)
            said = said[-2:] if i == 0 else said[:2] if i == len(items) - 1 else said
            if len(said) > 1 and "".join(said) in item:
                found.append("".join(said))
    return list(dict.fromkeys(found))


# 「和银行办房产抵押（包括在建工程抵押…）有关的条款」 names its subject outright (not 「和国家有关规定」)
# (「涉及外资企业的资金结算」 qualifies what follows it: the 资金结算 is asked about, not every article on 外资企业)
_RELATED = re.compile(r"[和与跟同]([^，。？！,?!]{1,24}?)(?:有关|相关)(?!规定|部门|单位|机构|政策|文件|要求|法律)")


def related(question: str) -> list[str]:
    """The phrases a question says its subject is (「和…有关的」).

    Their words name the subject unless most chunks hold them (``ENUMERATED``), as enumerated aspects do: 抵押
    is in a third of 《郑州市房屋登记条例》's articles, and they are the ones asked for.
    """
    return _RELATED.findall(question)


_ASKING = frozenset({"哪些", "哪几", "什么", "啥", "哪几项", "哪几条"})
_CLAUSES = re.compile(r"[，。？！；,?!;]")
# 「清算组要负责哪些事」 asks for what a body must do: its 职责, as 「清算组履行下列职责：」 lists them (「能做哪些事」
# asks what it may do)
_DUTIES_ASKED = re.compile(r"(负责|管)(哪些|什么|啥)事")


def asked_for(question: str, phrase_after: Callable[[str, frozenset[str]], list[str]]) -> set[str]:
    """What kind of thing a broad question asks for: the short phrase ending a clause after its 哪些/什么.

    In 「资管新规对杠杆有哪些限制？」 the subject is 杠杆; 限制 only says what of it is asked, and an
    article that limits something else is not on the subject. A phrase headed by a word of no
    subject (「哪些激励或便利措施」) is itself the subject.
    """
    return {word for clause in _CLAUSES.split(question) for word in phrase_after(clause, _ASKING)} | (
        {"职责"} if _DUTIES_ASKED.search(question) else set())


def topical(subject: Sequence[Sequence[str]], asked: set[str]) -> list[Sequence[str]]:
    """The subject without the groups of the asked-for words, unless nothing else names it."""
    rest = [group for group in subject if group[0] not in asked]
    return rest or list(subject)


def carries(chunk: Chunk, subject: Sequence[Sequence[str]]) -> bool:
    """Whether the chunk's wording, heading or note holds the subject."""
    return any(t in chunk.text or t in chunk.measure for group in subject for t in group) or noted(chunk, subject)


def noted(chunk: Chunk, subject: Sequence[Sequence[str]]) -> bool:
    """Whether the chunk's note holds the subject.

    A note's 适用范围 (「适用范围：福建自贸试验区」) says what a measure is about; the units it names say
    who carries it out, not what it is about.
    """
    notes = "".join(chunk.notes)
    for unit in sorted(chunk.responsible_units, key=len, reverse=True):
        notes = notes.replace(unit, "")
    return any(t in notes for group in subject for t in group)


def on_subject(hits: Sequence[Hit], subject: Sequence[Sequence[str]], bm25: np.ndarray,
               positions: Mapping[str, int], dense: np.ndarray | None = None) -> list[Hit]:
    """The hits that carry the question's subject (see :func:`subject_of`).

    A dense neighbour without the subject's words (「监管」 for 「现场检查」) is near in meaning yet
    not on the subject, and a broad list of forty such chunks buries the ones that are. The best
    ``BROAD_TOP`` hits, and those a drop in score sets apart (:func:`_head`), count as carrying it
    whatever their words. So does a hit the embedding puts as near the question as the median
    (``NEAR``) of the listable hits whose wording holds the subject: 「研发」 is said as 科技研发、
    中间试验 in one article and as 科技重大专项 in the next. The embedding read wording only, so a
    subject held in notes (「适用范围：福建自贸试验区」) or by fewer than ``BROAD_TOP`` chunks brings no
    one, and at most as many join as carry it: it may widen a list, not flood it. When fewer than
    ``SHOWN`` hits carry it, a hit with ``BROAD_LEXICAL`` of the best lexical score joins them.
    """
    if not hits:
        return []
    head = max(_head(hits), BROAD_TOP)
    carrying = [h for r, h in enumerate(hits) if r < head or carries(h.chunk, subject)]
    kept = set(map(id, carrying))
    # the embedding read a chunk's wording only, not its heading or note
    worded = [h for h in hits if h.score >= BROAD_RATIO * hits[0].score
              and any(t in h.chunk.text for group in subject for t in group)]
    if dense is not None and len(worded) >= BROAD_TOP:
        bar = np.quantile([dense[positions[h.chunk.id]] for h in worded], NEAR)
        near = [h for h in hits if id(h) not in kept and dense[positions[h.chunk.id]] >= bar]
        near = sorted(near, key=lambda h: -dense[positions[h.chunk.id]])[:len(carrying)]
        kept |= set(map(id, near))
    if len(carrying) < SHOWN:
        # Too narrow to bound a list: on one policy 「科技型企业」 is in two chunks, and
        # 知识产权质押融资 is support for such firms all the same.
        scores = np.array([bm25[positions[h.chunk.id]] for h in hits])
        kept |= {id(h) for h, s in zip(hits, scores) if s >= BROAD_LEXICAL * scores.max()}
    return [h for h in hits if id(h) in kept]


def _head(hits: Sequence[Hit]) -> int:
    """How many of the best-ranked hits stand apart from the rest: those before the widest drop in
    score among the first ``SHOWN``, when it is at least ``BROAD_DROP`` of the best score; else 0.

    Seven articles at 0.89–1.0 and the next at 0.68 answer together; scores that fall evenly
    (0.87, 0.86, 0.85, …) set nothing apart.
    """
    scores = [h.score for h in hits[:SHOWN + 1]]
    drops = [a - b for a, b in zip(scores, scores[1:])]
    if not drops:
        return 0
    widest = int(np.argmax(drops))
    return widest + 1 if drops[widest] >= BROAD_DROP * scores[0] else 0


def between(listed: Sequence[Hit], chunks_of: Mapping[str, Sequence[Chunk]],
            subject: Sequence[Sequence[str]]) -> list[Hit]:
    """Measures that sit between two listed measures of the same part that carry the subject, at most ``GAP``.

    A chapter of a regulation (a part of a set of measures) treats one subject in consecutive
    articles, and an article that says 「上述」「前款」 or names the subject in other words still
    belongs to it: 「第二十五条」 between two listed 绿色金融 articles is one of them, though it
    says 碳 and 排污权 instead.
    """
    extra: list[Hit] = []
    scores = {(h.chunk.document_id, h.chunk.measure): h.score for h in listed if carries(h.chunk, subject)}
    for document in dict.fromkeys(h.chunk.document_id for h in listed):
        firsts: dict[str, Chunk] = {}
        for chunk in chunks_of.get(document, ()):
            firsts.setdefault(chunk.measure, chunk)
        measures = list(firsts.values())
        marks = [i for i, c in enumerate(measures) if (document, c.measure) in scores]
        for a, b in zip(marks, marks[1:]):
            gap = measures[a + 1:b]
            if 0 < len(gap) <= GAP and all(c.part == measures[a].part for c in (*gap, measures[b])):
                score = min(scores[document, measures[a].measure], scores[document, measures[b].measure])
                extra += [Hit(c, score, 0) for c in gap]
    return extra


TITLE_MIN = 4  # characters a heading's title needs to name a subject (「总则」「附则」 name none)
_TITLE_TAIL = re.compile(r"(建设|工作)$")


def titled(question: str, chunks: Sequence[Chunk], heading: Callable[[Chunk], str | None]) -> list[Chunk]:
    """The chunks under the headings whose title the question says: 「…还要满足哪些特别监管要求」 asks for what stands
    under 「三、特别监管要求」, each measure of it, whatever words each one uses; 「参评机构范围…什么门槛」 for
    「（八）参评机构范围」, not 「（二）机构范围」, whose title is only part of what is said."""
    def titles(text: str) -> list[str]:
        # 「第三章 贸易主体建设」 is said as 「贸易主体方面」: a title names its subject without a closing 建设 or 工作
        return [t for p in text.split(" ") for u in [_untitled(p)]
                if (t := next((t for t in (u, _TITLE_TAIL.sub("", u)) if len(t) >= TITLE_MIN and t in question), ""))]
    said = {(c.document_id, t) for c in chunks if heading(c) for t in titles(heading(c))}
    said = {(d, t) for d, t in said if not any(t != u and t in u for e, u in said if e == d)}
    # a title the document's wording says throughout is its subject, not a part: 「第二章 地方金融组织」 of a
    # 地方金融监督管理条例
    of = {d: [c for c in chunks if c.document_id == d] for d, _ in said}
    said = {(d, t) for d, t in said if sum(t in c.text for c in of[d]) <= GENERIC_WITHIN * len(of[d])}
    return [c for c in chunks if heading(c) and {(c.document_id, t) for t in titles(heading(c))} & said]


# 「“产业国际化”这一章有哪些举措」 asks for that chapter and nothing beside it
_PART_ASKED = re.compile(r"(这一|这个|该|本|那一?)[章节部分]|[章节]里|[章节]中")


def asks_part(question: str) -> bool:
    """Whether the question asks for what one part (a chapter, a section) holds, as 「这一章」 says."""
    return bool(_PART_ASKED.search(question))


def _untitled(heading: str) -> str:
    """A heading's title, without the number it opens with."""
    number = heading_number(heading)
    return heading[number.end():].strip() if number else heading


def is_broad(question: str) -> bool:
    return bool(_BROAD.search(question))


def asks_many(question: str) -> bool:
    """Whether the question asks for several things, though not in :func:`is_broad`'s words."""
    return bool(_MANY.search(question))


_ASKS_END = re.compile(r"[？?]")
_FOLLOWING_ASK = 6  # characters an ask after the first needs to be one (not 「是吗？」)


def asks_every(question: str) -> bool:
    """Whether the question asks for every one of several things (「哪些」「都列出来」), not 「有什么要求」 alone."""
    return bool(_EVERY_ASKED.search(question))


def further_asks(question: str) -> list[str]:
    """The questions asked after the first in one message (「…最长能签多少年？到期想续，什么时候要提出？」): the
    articles answering the first may say nothing of them."""
    asks = [a.strip() for a in _ASKS_END.split(question)]
    return [a for a in asks[1:] if len(a) >= _FOLLOWING_ASK]


def sides(question: str) -> tuple[str, str] | None:
    """The question asked of each of two things it contrasts (「设立个人征信机构和设立企业征信机构，在准入方式上有
    什么不同」), each with the other left out; None when it contrasts none. Asked whole, the best-ranked
    articles may all be of one side (the 个人 one's 材料 and 条件), and the other's article never quoted."""
    if not _CONTRAST.search(question):
        return None
    pair = _SIDES.search(question)
    if pair is None or pair.group("a") == pair.group("b"):
        return None
    head, tail = question[:pair.start()], question[pair.end():]
    return head + pair.group("a") + tail, head + pair.group("b") + tail


def is_comparison(question: str, documents: Sequence[str]) -> bool:
    """Two or more named documents are compared side by side, whatever the wording (分别, 对比, 各…)."""
    return len(documents) >= 2


def newest_first(ids: Sequence[str], documents: Mapping[str, DocumentInfo]) -> list[str]:
    return sorted(dict.fromkeys(ids), key=lambda i: (documents[i].date or "") if i in documents else "", reverse=True)


def compose_grouped(question: str, quotes: Sequence[Quote], documents: Mapping[str, DocumentInfo],
                    summary: str) -> Answer:
    """Quotes grouped by document (newest first) and measure; past ``SHOWN`` measures, only their names.

    The best-scoring quotes are the ones shown: grouping by date must not push the measure that
    answers best into the tail behind a weak match from a newer document.
    """
    order = newest_first([q.hit.chunk.document_id for q in quotes], documents)
    shown_count = SHOWN + len(order)
    best = sorted(quotes, key=lambda q: -q.hit.score)
    shown = {id(q) for q in best[:shown_count]}
    by_document = sorted(quotes, key=lambda q: order.index(q.hit.chunk.document_id))
    ranked = [q for q in by_document if id(q) in shown] + [q for q in by_document if id(q) not in shown]
    statements: list[str] = []
    citations: list[Citation] = []
    tail: dict[str, list[str]] = {}  # a document's label → its measures named in the tail
    budget = MAX_CHARS * 2 - len(summary)
    current, said = None, set()
    for quote in ranked:
        chunk = quote.hit.chunk
        line = labelled(in_annex(chunk, chunk.where), _joined(quote))
        if line in said:  # two chunks of one measure may come to the same lines: stated once
            continue
        ref = len(citations) + 1
        citations.append(citation(ref, chunk, quote.hit.score))
        if id(quote) not in shown or budget <= 0:
            tail.setdefault(_label(chunk.document_id, chunk.document, documents), []).append(f"{in_annex(chunk, chunk.where)}[{ref}]")
            continue
        said.add(line)
        if chunk.document_id != current and len(order) > 1:  # one document: its citations name it
            current = chunk.document_id
            statements.append(f"{_label(chunk.document_id, chunk.document, documents)}：")
        statements.append(f"{line}[{ref}]")
        budget -= len(statements[-1])
    if tail:  # each document's title once, then its measures
        named = "；".join(label + "、".join(wheres) for label, wheres in tail.items())
        statements.append(f"另有 {sum(map(len, tail.values()))} 条相关措施：{named}")
    return Answer(question, summary, tuple(statements), tuple(citations), True)


_ITEM = re.compile(r"^[（(][一二三四五六七八九十]+[)）]|^\d+[.．、]")


# 「…分别要求其提供…证明文件。」 closes a lead-in as 「下列条件：」 does: each item below says what one kind is asked.
_INTRODUCES = re.compile(r"((下列|以下|如下)[^。；]{0,20}|分别[^。；，]{0,24})[：:。]?$")


def listed_under(chunk: Chunk, chunks: Sequence[Chunk], numbered: bool = True) -> tuple[str, list[Chunk]]:
    """A lead-in and the items it introduces, when ``chunk`` is one of them or the lead-in itself
    (「十九、…存在以下行为的视为刚性兑付：」 then （一）…（四）); else ("", []).

    With ``numbered``, a measure's own numbered items count too (「（一）…分别要求其提供…证明文件。」 then
    1.…3., each a chunk of its own); a question asking for many things is answered by every measure on its
    subject instead, not by the one list its best chunk stands in."""
    part = chunk.part or ""
    measure = [c for c in chunks if c.document_id == chunk.document_id and c.measure == chunk.measure]
    own = [c for c in measure if c.item]
    opening = next((c for c in measure if not c.item), None)
    if numbered and own and opening is not None:
        last = split_sentences(opening.text)[-1].strip()
        if _INTRODUCES.search(last):
            return last, own
    siblings = [c for c in chunks if c.document_id == chunk.document_id and c.part == chunk.part]
    items = [c for c in siblings if _ITEM.match(c.measure)]
    if not items:
        return "", []
    if part.rstrip().endswith(("：", ":")) and _ITEM.match(chunk.measure):
        return part, siblings
    last = split_sentences(chunk.text)[-1].strip()
    if not _ITEM.match(chunk.measure) and _INTRODUCES.search(last):
        return last, items
    return "", []


def item_quotes(items: Sequence[Chunk], score: float) -> list[Quote]:
    """Each item of a list quoted by its opening sentence, ranked with the lead-in that brought it."""
    return [Quote(Hit(c, score, 0), (split_sentences(c.text)[0],), (0,)) for c in items[:MAX_ITEMS]]


def with_items(found: Sequence[Quote], chunks: Sequence[Chunk]) -> list[Quote]:
    """A document's best quote in a comparison, with the other items of the list it leads or belongs to:
    「…符合下列条件的自然人和法人」 is quoted with its conditions. An item found is quoted once."""
    if not found:
        return []
    first = found[0].hit.chunk
    _, items = listed_under(first, chunks)
    items = [c for c in items if c.id != first.id]
    return [found[0], *item_quotes(items, found[0].hit.score)] if items else list(found)


def compose_list(question: str, lead: str, items: Sequence[Chunk], score: float,
                 states: Callable[[str], bool] | None = None, found: Sequence[Quote] = (),
                 opening: Quote | None = None) -> Answer:
    """A lead-in with every item it introduces, each item's opening sentence quoted and cited.

    A sentence of an item that ``states`` the figure asked for is quoted too: the paragraph closing a
    list of 备案材料 sets the 十个工作日 in which the filing is done. So is one the question ``found``:
    the paragraph of item （二） on 「…取得的收入…用于发展事业、集体福利和个人奖励」. The ``opening``
    sentences quoted from the lead-in's own chunk, before the lead-in, come first.
    """
    chosen = {(q.hit.chunk.id, p) for q in found for p in q.positions}
    statements, citations = [], []
    room = MAX_CHARS * 2
    previous = None
    if opening is not None:
        statements.append(f"{labelled(opening.hit.chunk.where, _joined(opening))}[1]")
        citations.append(citation(1, opening.hit.chunk, score))
        room -= len(statements[0])
    for chunk in items:
        ref = len(citations) + 1
        sentences = split_sentences(chunk.text)
        first, last = sentences[0], 0
        for i, sentence in enumerate(sentences[1:], 1):
            if (states is not None and states(sentence)) or (chunk.id, i) in chosen:
                first += ("" if i == last + 1 else "……") + sentence
                last = i
        label = chunk.item or chunk.measure
        # an item that opens with its own number (「(一)在保证…」 under 「（一）在保证…」) needs no label, nor does the
        # next paragraph of the item just labelled
        bare = first.startswith(label[:4]) or _ITEM.match(first) or label == previous
        line = (first if bare else labelled(label, first)) + f"[{ref}]"
        previous = label
        if room - len(line) < 0:
            break
        statements.append(line)
        citations.append(citation(ref, chunk, score))
        room -= len(line)
    return Answer(question, lead, tuple(statements), tuple(citations), True)


def _label(document_id: str, title: str, documents: Mapping[str, DocumentInfo]) -> str:
    info = documents.get(document_id)
    return info.label if info else f"《{title}》"


def _joined(quote: Quote) -> str:
    out, last = "", None
    for sentence, position in zip(quote.sentences, quote.positions):
        out += ("……" if last is not None and position != last + 1 else "") + sentence
        last = position
    return out
