"""Extractive answers: the policy's own sentences, grouped by measure, each with its citation.

A bank officer forwards the answer to a client, so nothing is paraphrased: a statement
is a measure's name followed by sentences quoted verbatim from that measure, and its
``[n]`` marker points at the citation holding the chunk's full text and its units.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from rag.corpus.measures import annex_title
from rag.corpus.numbering import heading_number
from rag.corpus.records import UNLABELLED
from rag.corpus.sentences import split_sentences
from rag.retrieval.hybrid import Retriever, Scored
from rag.retrieval.query import mentions
from rag.types import Answer, Chunk, Citation, Hit

MAX_CHARS = 400  # the answer a client reads in one screen of a chat window
MAX_CHUNKS = 3
KEEP_RATIO = 0.75  # a chunk joins the answer when it scores this close to the best one
SENTENCE_RATIO = 0.8  # a further sentence of a chunk joins when this close to its best
MAX_SENTENCES = 3
_PROVISO = re.compile(r"但")  # 「但是…」「但…除外」 open a proviso
_JOINED = re.compile(r"[；;]\s*$")  # a sentence the next one continues
_INTRODUCES = re.compile(r"下列|以下|如下|包括[：:]")
_COLON = re.compile(r"[：:]")
_HAN_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")
# 「鼓励…投资下列项目：（一）能源…；」: a lead-in that shares its sentence with the first item, numbered
# or not (「实施的修复措施包括：作出信用承诺；」).
_COLON_ITEM = re.compile(r"[：:]\s*([（(][一二三四五六七八九十]+[)）]|[^：:；;。]{1,30}[；;]\s*$)")


@dataclass(frozen=True)
class Quote:
    """Sentences of one chunk chosen for the answer, in the chunk's own order."""

    hit: Hit
    sentences: tuple[str, ...]
    positions: tuple[int, ...]  # where each sentence stands in the chunk, to mark the gaps
    core: tuple[int, ...] = ()  # the positions chosen on their own score, best first (the rest came along); () = all


def select(retriever: Retriever, scored: Scored, hits: list[Hit], limit: int = MAX_CHUNKS,
           keep: float = KEEP_RATIO, sentences: int = MAX_SENTENCES,
           states: Callable[[str], bool] | None = None, given: Callable[[str], bool] | None = None,
           whole: bool = False) -> list[Quote]:
    """The chunks worth quoting and, in each, the sentences that carry the answer.

    A chosen lead-in that ends in a colon (「应当具备下列条件：」) brings the items it introduces.
    ``states`` tells the sentences that state what the question asks for (a figure): when none of
    a chunk's best sentences does, its best-scoring one that does joins them. 「…给予警告；」
    outscores 「…处罚款数额百分之五以上百分之十以下罚款。」 for 「最多还能罚多少」, yet the figure is
    the answer. ``given`` tells the sentences that hold a figure the question gives; they join too.
    With ``whole``, a chosen clause ending in 「；」 is quoted to its full stop (:func:`_to_full_stop`).
    """
    if not hits:
        return []
    index = retriever.index
    per_sentence = retriever.passage_scores(scored)
    best = hits[0].score
    quotes = []
    for hit in hits[:limit]:
        if hit.score < keep * best:
            break
        # The index split this chunk with the same splitter, one passage row per sentence.
        split = split_sentences(hit.chunk.text)
        scores = per_sentence[index.passage_rows(index.positions[hit.chunk.id])]
        ranked = np.argsort(-scores, kind="stable")[:sentences]
        order = sorted(int(i) for i in ranked if scores[i] >= SENTENCE_RATIO * scores[ranked[0]])
        read = in_context(split)  # an item states its figure after its lead-in
        if states is not None:
            # the best-scoring sentence stating the figure joins, and so does a second one when the chosen sentences
            # state only one: 「应当在五日内转有关部门办理」 and 「应当在三十日内办结并答复」 are both periods for 投诉
            stated = [i for i in order if states(read[i])]
            more = [int(i) for i in np.argsort(-scores, kind="stable") if int(i) not in order and states(read[int(i)])]
            order = sorted({*order, *(more[:1] if len(stated) < 2 else ())})
            # an item that states the figure only with its lead-in brings the lead-in: 「（二）…篡改、伪造数据资料…」
            # is fined in 「…有下列情形之一的，…处50万元以上200万元以下的罚款…：」
            order = sorted({*order, *(j for i in order if states(read[i]) and not states(split[i])
                                      for j in _opening(split, i))})
        if given is not None:
            order = sorted({*order, *(i for i, sentence in enumerate(split) if given(sentence))})
        # best first, the sentences stating what is asked before the rest: what the budget keeps when it is short. A
        # lead-in run over several sentences (「…处…罚款；没有违法所得的，处50万元以上200万元以下罚款；…：」) is
        # one unit, kept in its order.
        runs = {j: run for i in order if (run := _lead_in(split, i)) is not None for j in run}
        units = {i: runs.get(i, range(i, i + 1)) for i in order}
        core = tuple(sorted(order, key=lambda i: (states is not None and not any(states(read[j]) for j in units[i]),
                                                  -max(scores[j] for j in units[i]), i)))
        order = _with_parallels(split, order)
        order = _with_provisos(split, _with_items(split, _past_heading(split, order, hit.chunk.measure)))
        order = _to_full_stop(split, order) if whole else order
        quotes.append(Quote(hit, tuple(split[i] for i in order), tuple(order), core))
    return quotes


def _past_heading(sentences: list[str], order: list[int], heading: str) -> list[int]:
    """``order`` with the sentence after a chosen one that is only the measure's heading: 「（三）贷款公司、小额
    贷款公司及典当行。」 names what the measure is about, 「资产总额1000亿元以下的为中小微型企业。」 after it says it."""
    return sorted(set(order) | {i + 1 for i in order if i + 1 < len(sentences)
                                and sentences[i].rstrip("。：:；; ") == heading})


# 「特许人从事特许经营活动应当拥有…」 twice: the same subject bound by the same duty, a rule stated in two sentences
_DUTY = re.compile(r"应当|必须|须|不得")
_PARALLEL = 8  # characters two sentences share up to the duty for one to go on the other's rule


def _with_parallels(sentences: list[str], order: list[int]) -> list[int]:
    """``order`` with the sentences that open as a chosen one does up to its duty: 「特许人从事特许经营活动应当拥有成熟
    的经营模式…」 chosen for 「要具备什么条件」 brings 「特许人从事特许经营活动应当拥有至少2个直营店…」."""
    def opening(sentence: str) -> str:
        duty = _DUTY.search(sentence)
        return sentence[:duty.end()] if duty and duty.start() >= _PARALLEL else ""
    said = {opening(sentences[i]) for i in order} - {""}
    return sorted(set(order) | {i for i, sentence in enumerate(sentences) if opening(sentence) in said})


def _with_provisos(sentences: list[str], order: list[int]) -> list[int]:
    """``order`` with the proviso (但书) that follows a chosen sentence: 「可以用于…短期民间借贷；但是数额不得
    超过…百分之三十」 quoted without its 但是 would tell a client more than the article allows."""
    return sorted(set(order) | {i + 1 for i in order if i + 1 < len(sentences) and _PROVISO.match(sentences[i + 1])})


def _to_full_stop(sentences: list[str], order: list[int]) -> list[int]:
    """``order`` with the clauses that go on from a chosen one to its full stop, up to ``MAX_CHARS``: a penalty
    goes on in them (「…并处违法所得5倍以上10倍以下的罚款；没有违法所得或者违法所得不足2万元的，处2万元以上
    10万元以下的罚款；情节严重的，…取消其检验检测资质。」), and one clause of it answers 「怎么罚」 in part."""
    out = set(order)
    for i in order:
        room = MAX_CHARS
        while i + 1 < len(sentences) and _JOINED.search(sentences[i]) and (room := room - len(sentences[i + 1])) >= 0:
            i += 1
            out.add(i)
    return sorted(out)


def _with_items(sentences: list[str], order: list[int]) -> list[int]:
    """``order`` with each chosen lead-in whole and the sentences after it, up to ``MAX_CHARS`` of them.

    A lead-in may run over several sentences split at 「；」: 「金融机构有下列情形之一的，…并处20万元以上
    100万元以下的罚款；情节严重或者逾期不改正的，…停止经营相关业务：」 is one lead-in, and its first part
    states the fine.
    """
    out = set(order)
    # 「…应当主动实施修复措施…。实施的修复措施包括：」: a lead-in right after a chosen sentence that takes up
    # its words goes on with it
    follows = [i + 1 for i in order if i + 1 < len(sentences) and i + 1 not in out
               and _takes_up(sentences[i + 1], sentences[i]) and _lead_in(sentences, i + 1)]
    for i in sorted(out | set(follows)):
        run = _lead_in(sentences, i)
        if run is None:
            continue
        out.update(run)
        room = MAX_CHARS
        for j in range(run[-1] + 1, len(sentences)):
            room -= len(sentences[j])
            if room < 0:
                break
            out.add(j)
    return sorted(out)


def first_list(sentences: list[str]) -> list[int]:
    """The first lead-in of ``sentences`` with the items after it (``MAX_CHARS`` of them); [] when none."""
    lead = next((i for i in range(len(sentences)) if _lead_in(sentences, i) is not None), None)
    return [] if lead is None else _with_items(sentences, [lead])


def in_context(sentences: tuple[str, ...] | list[str]) -> list[str]:
    """Each sentence, an item read after the lead-in that introduces it: 「(二)注册资本不低于人民币2000万元」
    says whose capital only with 「设立融资担保公司，应当…具备下列条件：」 before it."""
    out, lead = [], ""
    for i, sentence in enumerate(sentences):
        run = _lead_in(sentences, i)
        if run is not None:
            lead = "".join(sentences[run.start:run.stop]) if i == run[-1] else lead
            out.append(sentence)
        else:
            out.append(lead + sentence)
    return out


# 「应当符合下列条件」「以下材料」 introduce what they name; 「一万元以下罚款」 bounds a figure.
_LISTS_THE = r"(下列|(?<![\d元倍年月日人个户次万千百十〇零一二三四五六七八九])以下)"


def lists(quote: Quote, asked: Collection[str], about: Collection[str] = (), enough: int = 0) -> bool:
    """Whether the quote holds a lead-in that names what is asked for (修复措施 in 「采取哪些修复措施」)
    together with the items it introduces: one article's own list answers the question. With ``enough``,
    the lead-in introduces the very thing asked (「下列条件」) and holds that many of the words ``about`` (申请,
    许可 of 「申请许可证要满足哪些条件」): a list of 条件 for something else, or of 情形 that a 罚款 follows,
    answers nothing; or the measure's heading names it after a word of the question (「明确审核内容」)."""
    sentences = list(quote.sentences)
    heading = quote.hit.chunk.measure
    # 「（十三）明确审核内容：要严格审核…；…；」 answers 「审核时要重点审哪些内容」 by its heading: a title ending in
    # what is asked for after a word of the question names the list the measure is (a heading that is the opening
    # words of an untitled measure names nothing)
    title = heading.rstrip("。：:；;，, ")
    if enough and asked and all(any(title.endswith(f"{w}{a}") for w in about if w not in asked) for a in asked):
        return True
    for i in range(len(sentences)):
        run = _lead_in(sentences, i)
        if run is not None and run[-1] + 1 < len(sentences):
            lead = "".join(sentences[run.start:run.stop])
            if enough and not all(re.search(f"{_LISTS_THE}{re.escape(word)}|{re.escape(word)}如下", lead) for word in asked):
                return False
            return (bool(asked) and all(word in lead for word in asked)
                    and sum(word in lead for word in about if word not in asked) >= enough)
    return False


def list_led(quote: Quote) -> Quote:
    """The quote with its list (a lead-in and the items after it) chosen before its other sentences: 「个人卖家需要满足
    哪些条件」 is answered by 「…应至少符合下列条件：（一）…（三）…」, not by the article's opening, when the budget is short."""
    sentences = list(quote.sentences)
    run = next((r for i in range(len(sentences)) if (r := _lead_in(sentences, i)) is not None), None)
    if run is None:
        return quote
    listed = [quote.positions[run.start]]
    for position in quote.positions[run.start + 1:]:
        if position != listed[-1] + 1:
            break
        listed.append(position)
    return replace(quote, core=(*listed, *(p for p in quote.core or quote.positions if p not in listed)))


def enumerating(quote: Quote, asked: Collection[str]) -> Quote | None:
    """The quote with the sentences of its chunk that enumerate what is asked for (「登记事项包括：单位名称、住所…」
    for 「要登记哪些事项」) chosen first; None when no sentence does."""
    split = split_sentences(quote.hit.chunk.text)
    found = [i for i, sentence in enumerate(split)
             if any(re.search(rf"{re.escape(w)}[^，,。；;：:]{{0,4}}(包括|包含|分为)", sentence) for w in asked)]
    if not found:
        return None
    positions = sorted({*quote.positions, *found})
    core = (*found, *(p for p in quote.core or quote.positions if p not in found))
    return Quote(quote.hit, tuple(split[i] for i in positions), tuple(positions), core)


def _takes_up(lead: str, before: str) -> bool:
    """Whether ``lead`` repeats a two-character word of ``before`` (修复 of 「主动实施修复措施」)."""
    words = {lead[k:k + 2] for k in range(len(lead) - 1)}
    return any(w in before for w in words if _HAN_PAIR.fullmatch(w) and not _INTRODUCES.search(w))


def _opening(sentences: list[str], i: int) -> range:
    """The lead-in that introduces the item at ``i``: the nearest one before it; empty when there is none."""
    return next((run for j in range(i - 1, -1, -1) if (run := _lead_in(sentences, j)) is not None), range(0))


def _lead_in(sentences: list[str], i: int) -> range | None:
    """The sentences of the lead-in that sentence ``i`` belongs to: the run joined by 「；」 that ends in a
    colon (or shares its sentence with item （一）) and introduces a list (下列, 以下, 如下); else None."""
    start = i
    while start > 0 and _JOINED.search(sentences[start - 1]) and not _COLON.search(sentences[start - 1]):
        start -= 1
    end = i
    while end + 1 < len(sentences) and _JOINED.search(sentences[end]) and not _COLON.search(sentences[end]):
        end += 1
    last = sentences[end].rstrip()
    text = "".join(sentences[start:end + 1])
    if (last.endswith(("：", ":")) or _COLON_ITEM.search(last)) and _INTRODUCES.search(text):
        return range(start, end + 1)
    return None


def citation(ref: int, chunk: Chunk, score: float) -> Citation:
    return Citation(ref, chunk, round(float(score), 4))


def compose(question: str, quotes: list[Quote], topic: list[str]) -> Answer:
    """Statements grouped by measure, fitted to ``MAX_CHARS`` by dropping sentences, never cutting one."""
    groups: dict[str, list[Quote]] = {}
    for quote in whole(quotes, MAX_CHARS - 40 * len(quotes)):
        groups.setdefault(quote.hit.chunk.measure, []).append(quote)
    summary = f"政策中与{topic_phrase(topic)}相关的措施有 {len(groups)} 条："
    budget = MAX_CHARS - len(summary)
    statements, used = [], []
    for members in groups.values():
        parts = []
        for quote in members:
            kept = _fit(quote, budget - sum(map(len, parts)) - 40, first=not statements and not parts)
            if kept:  # numbered as quoted: a quote the budget leaves out leaves no gap in [1][2]…
                used.append(quote)
                parts.append(f"{kept}[{len(used)}]")
        if parts:
            first = members[0].hit.chunk
            line = labelled(in_annex(first, first.where if len(members) == 1 else first.measure), "".join(parts))
            statements.append(line)
            budget -= len(line)
    citations = tuple(citation(ref, q.hit.chunk, q.hit.score) for ref, q in enumerate(used, start=1))
    # the count the reader sees is of the measures quoted, not of those the budget left out
    summary = f"政策中与{topic_phrase(topic)}相关的措施有 {len(statements)} 条："
    return Answer(question, summary, tuple(statements), citations, True)


def whole(quotes: list[Quote], room: int) -> list[Quote]:
    """Each quote's whole chunk, when all of them fit in ``room``.

    An article's second sentence often holds what the question turns on (「…部分申报材料不齐备但书面承诺
    在规定期限内提供的，应当先行受理」 after 「…应当予以即时办理。」); a client quoted the whole article
    misses nothing it says, and a short answer has the room.
    """
    if sum(len(q.hit.chunk.text) for q in quotes) > room:
        return quotes
    out = []
    for q in quotes:
        split = split_sentences(q.hit.chunk.text)
        out.append(Quote(q.hit, tuple(split), tuple(range(len(split))), q.core or q.positions))
    return out


def in_annex(chunk: Chunk, label: str) -> str:
    """``label`` with the title of the annex the chunk stands in: 「《粤港港币支票联合结算业务外汇管理暂行办法》第十一条」,
    where the notice attaches two rules that each have a 第十一条."""
    title = annex_title(chunk.part)
    return f"《{title}》{label}" if title and title != chunk.document else label


def labelled(label: str, quoted: str) -> str:
    """「label：quoted」, or without the label's last heading when the quote opens with it: 「十、境内银行应按照…
    报送至中国人民银行、国家外汇管理局，并于…」 needs no label repeating its first clause, and 「（二）付款依据的审核
    · 1.单位从其…」 keeps only the part its item stands in."""
    head, _, last = label.rpartition(" · ")
    if quoted.startswith(last):
        if not head:
            return quoted
        label = head
    # an item whose title is its whole wording (「1. 确定参评机构范围。」) keeps only its number
    number = heading_number(last)
    if number and (title := last[number.end():].strip()) and quoted.startswith(title):
        return f"{head} · " * bool(head) + last[:number.end()] + quoted
    # a heading that is the item's opening clause (「（一）中资商业银行未按照…处罚；」) is wording, not a title: a quote
    # of a later sentence keeps the number and marks the skipped text
    if number and last.endswith(("；", ";", "，", ",")):
        return f"{head} · " * bool(head) + last[:number.end()] + "……" + quoted
    # a lead-in ends in its own colon (「…判定标准如下：」)
    return f"{label}{'' if label.endswith(('：', ':')) else '：'}{quoted}"


def _fit(quote: Quote, room: int, first: bool) -> str:
    """The quote's sentences that fit in ``room``, those chosen on their own score before those that came
    along (a lead-in's items must not crowd out the sentence that answers); 「……」 marks where the source
    skips a sentence."""
    core = quote.core or quote.positions
    best = {position: rank for rank, position in enumerate(core)}
    # the chosen sentences (distance 0) first, best first (「（二）…Ⅱ类支付账户…年累计不超过10万元」 before the
    # lead-in joined to （一）), then what came along nearest them: 「临时冻结不得超过四十八小时。」 next to the chosen
    # 「…四十八小时内…应当立即解除冻结」 matters more than the article's opening sentences
    pairs = sorted(zip(quote.sentences, quote.positions),
                   key=lambda p: (min(abs(p[1] - c) for c in core), best.get(p[1], p[1])))
    kept: set[int] = set()
    for sentence, position in pairs:
        if len(sentence) + 2 <= room or (first and not kept):
            kept.add(position)
            room -= len(sentence) + 2
    out, last = "", None
    for sentence, position in zip(quote.sentences, quote.positions):
        if position in kept:
            out, last = out + ("……" if last is not None and position != last + 1 else "") + sentence, position
    return out


def topic_phrase(terms: list[str]) -> str:
    """「“科技、融资”」: the first three topic words, as a summary names what was asked."""
    return f"“{'、'.join(terms[:3])}”" if terms else "该问题"


def nowhere(question: str, places: Sequence[str], searched: int) -> Answer:
    """「政策未涉及」 for a question about a province no document is of: another place's rule is no answer."""
    where = "本政策中" if searched == 1 else f"所查 {searched} 份文件中都"
    return Answer(question, f"政策未涉及：{where}没有关于{'、'.join(places)}的规定。", (), (), False, "refusal", ())


def refuse(question: str, hits: list[Hit], topic: list[str], searched: int = 1,
           synonyms: Mapping[str, Sequence[str]] | None = None) -> Answer:
    """「政策未涉及」 with up to three nearest measures; nothing from them is presented as an answer.

    ``searched`` is how many documents the question was asked of: a library-wide refusal says that none of
    them has the rule, not that the document of the nearest measure lacks it. It names what the nearest
    measures do not hold: 「结算银行可以收多少手续费」 is refused for the 手续费, not for the 资金池 they govern.
    """
    topic = [w for w in topic if not any(mentions(h.chunk.headed, w, synonyms) for h in hits)] or topic
    several = len({h.chunk.document for h in hits}) > 1
    # A measure without a heading is named by its item: 「未标明的措施」 alone points nowhere; across documents
    # 「第三条」 is named with its title.
    related = tuple(dict.fromkeys((f"《{h.chunk.document}》" if several else "")
                                  + (h.chunk.where if h.chunk.measure == UNLABELLED else h.chunk.measure)
                                  for h in hits))[:3]
    if searched > 1:
        where = f"所查 {searched} 份文件中都"
    else:
        where = f"《{hits[0].chunk.document}》中" if hits else "本政策中"
        # 「《青岛市科技创新促进条例》中没有关于“青岛”的规定」 would deny the document its own name
        topic = [w for w in topic if not hits or w not in hits[0].chunk.document]
    about = f"关于{topic_phrase(topic)}的规定" if topic else "与该问题相关的规定"
    summary = f"政策未涉及：{where}没有{about}。"
    statements = (f"可能相关（仅供参考，并未回答该问题）：{'；'.join(related)}",) if related else ()
    return Answer(question, summary, statements, (), False, "refusal", related)
