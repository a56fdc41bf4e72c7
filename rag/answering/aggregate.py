"""Questions answered from the outline rather than from a top-k sample of chunks.

「省财政厅牵头或参与哪些措施？」 needs the complete list, which retrieval cannot promise;
「第（十二）条讲什么？」 and 「一共有哪些措施？」 are about the document's structure.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rag.answering import grouped
from rag.answering.extractive import MAX_CHARS, citation
from rag.corpus.numbering import CN_NUM, MAX_NUMBER, cn_to_int, int_to_cn
from rag.corpus.outline import MeasureView
from rag.corpus.sentences import split_sentences
from rag.types import Answer, Chunk, Citation

_ALSO_TAKING_PART = re.compile(r"参与|配合|或|和参|负责")
_UNIT_CUE = re.compile(r"牵头|参与|负责|责任|涉及|承担|分工|职责|哪些措施|哪几条|哪些条")
# 「第十三项」 counts the measures of a notice numbered 一、二、… (in a 条例 a 项 is an item of an article)
_NUMBER = re.compile(rf"第?\s*[（(]\s*([{CN_NUM}\d]+)\s*[)）]\s*条?|第\s*([{CN_NUM}\d]+)\s*条|措施\s*([{CN_NUM}\d]+)"
                     rf"|第\s*(?P<part>[{CN_NUM}\d]+)\s*项(?!目)")
_ALL = re.compile(r"(一共|总共|共有|全部|所有|有几条|多少条|哪些措施|都有哪些|目录|大纲|框架).*?(措施|条|部分)?|"
                  r"(措施|政策|文件).{0,6}(一共|总共|全部|都有|有哪些|有几条|多少条)")
# A bare 「哪些措施」 names the outline only when nothing else is asked about.
_FILLER = re.compile(r"[这本该此份个]?(政策|文件|措施|若干措施|条|内容|里面?|中|有|的|哪些|一共|总共|共|都|全部|所有"
                     r"|几条|多少条|多少|几|是|什么|讲了?|说了?|包括|具体|请问|列出|一下|部分|吗|呢|？|\?|。|，|\s)")
# 「从哪几个方面加强…」「分几个部分」 ask for a document's parts (一、二、…), when what they are of is the document's own
# subject: its title (「关于加强绿色金融债券存续期监督管理有关事宜的通知」).
_PARTS = re.compile(r"(哪几|哪些|几)个?(方面|部分)")
_PART_NUMBER = re.compile(rf"([{CN_NUM}]+)、")
_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]")
PART_TITLE = 0.6  # the share of the subject's character pairs that the title must hold
PART_NAMED = 0.8  # the share of a part heading's character pairs a question must hold to name the part
PART_NAME_MIN = 8  # …of a heading this long at least: 「地方金融组织」 is a subject the question may narrow
_ASKS_PART = re.compile(r"\W*(方面|部分)?的?\W*(具体|主要|都|一共|总共|还)?(有|包括|涉及)?哪些")
_PART_LABEL = re.compile(rf"^\s*(第[{CN_NUM}\d]+[章节编]|[{CN_NUM}]+、)")
_LEAD_PREFIX = "省"
_PARAGRAPH = re.compile(rf"第([{CN_NUM}\d]+)款")


def asks_units(question: str) -> bool:
    """Whether the question asks who leads, takes part in or is responsible for a measure."""
    return bool(_UNIT_CUE.search(question))


def unit_aliases(units: list[str]) -> dict[str, str]:
    """How staff name a unit → the unit as the policy writes it (省财政厅 also answers to 财政厅)."""
    aliases = {u: u for u in units}
    for u in units:
        if u.startswith(_LEAD_PREFIX) and len(u) > 3:
            aliases.setdefault(u[1:], u)
        if u.startswith("人行"):
            aliases.setdefault("人民银行" + u[2:], u)
    return aliases


def mentioned_units(question: str, aliases: dict[str, str]) -> list[str]:
    found: list[str] = []
    for alias in sorted(aliases, key=len, reverse=True):
        if alias in question and not any(alias in longer for longer in found):
            found.append(alias)
    return list(dict.fromkeys(aliases[a] for a in found))


def leads(chunk: Chunk) -> tuple[str, ...]:
    """The 牵头 units of a chunk: those its note names as lead, else (a plain 责任单位 list,
    by the usual reading) the unit listed first."""
    return chunk.lead_units or chunk.responsible_units[:1]


def by_unit(question: str, views: list[MeasureView]) -> Answer | None:
    """Every measure (and item) naming the unit among its 责任单位; 牵头 as :func:`leads` reads it."""
    if not asks_units(question):
        return None
    units = list(dict.fromkeys(u for v in views for u in v.responsible_units))
    wanted = mentioned_units(question, unit_aliases(units))
    if not wanted:
        return None
    unit = wanted[0]
    # 「由商务部牵头的任务」 asks for what it leads, not all it takes part in
    leading_only = "牵头" in question and not _ALSO_TAKING_PART.search(question)
    statements, citations = [], []
    for view in views:
        chunks = [c for c in view.chunks if unit in (leads(c) if leading_only else c.responsible_units)]
        if not chunks:
            continue
        items = [c for c in chunks if c.item]
        # only some items of the measure name the unit: each is cited on its own, with its own note
        itemised = bool(items) and len(items) < sum(1 for c in view.chunks if c.item)
        chunks = items if itemised else chunks
        role = "（牵头）" if any(unit in leads(c) for c in chunks) else "（参与）"
        if itemised:
            refs = range(len(citations) + 1, len(citations) + 1 + len(chunks))
            named = "、".join(f"{c.item}[{ref}]" for c, ref in zip(chunks, refs))
            statements.append(f"{view.heading}（{named}）{role}")
            citations.extend(citation(ref, c, 1.0) for c, ref in zip(chunks, refs))
            continue
        ref = len(citations) + 1
        statements.append(f"{view.heading}{role}[{ref}]")
        citations.append(_measure_citation(ref, chunks))
    if not citations:
        return None
    leading = sum("（牵头）" in s for s in statements)
    summary = (f"{unit}作为责任单位的措施共 {len(statements)} 条，其中牵头 {leading} 条："
               if leading else f"{unit}作为责任单位参与的措施共 {len(statements)} 条：")
    return Answer(question, summary, tuple(statements), tuple(citations), True, "aggregate")


def _numbered(question: str, views: list[MeasureView]) -> tuple[int, list[MeasureView], list[MeasureView]] | None:
    """The number a question asks for, the measures it may be of and those that have it; None when it names none
    (or several documents have it: retrieval decides which the question means)."""
    match = _NUMBER.search(question)
    if not match:
        return None
    digits = next(g for g in match.groups() if g)
    try:
        number = cn_to_int(digits)
    except ValueError:
        return None
    if not 0 < number <= MAX_NUMBER:  # 「（0）」: no measure is numbered so; let retrieval answer
        return None
    if match.group("part"):
        views = [v for v in views if _PART_LABEL.match(v.heading)]
    found = [v for v in views if v.number == number]
    if len({v.document_id for v in found}) > 1 or not any(v.number for v in views):
        return None  # nothing is numbered (or no 项 is a measure): retrieval answers
    return number, views, found


def numbered(question: str, views: list[MeasureView]) -> MeasureView | None:
    """The measure 「第十四条」 in the question names, when one document has it."""
    asked = _numbered(question, views)
    return asked[2][0] if asked and asked[2] else None


def by_number(question: str, views: list[MeasureView]) -> Answer | None:
    """「第（十二）条讲什么」: the measure's own wording, its items and units."""
    asked = _numbered(question, views)
    if asked is None:
        return None
    number, views, found = asked
    if not found:
        numbers = "、".join(_label(v.number, v.heading) for v in views if v.number)
        summary = f"本政策中没有可识别的{_label(number, views[0].heading)}措施。文中可查到的措施编号为：{numbers}。"
        return Answer(question, summary, (), (), False, "aggregate")
    return describe(question, found[0])


def _label(number: int, heading: str) -> str:
    """「第（十二）条」, or 「第十二项」 for a measure numbered 十二、."""
    return f"第{int_to_cn(number)}项" if _PART_LABEL.match(heading) else f"第（{int_to_cn(number)}）条"


def describe(question: str, view: MeasureView) -> Answer:
    """A measure's wording, item by item, and its 责任单位 (牵头 first when the note says so)."""
    summary = f"《{view.document}》{view.heading}的内容如下："
    statements, citations = [], []
    room = MAX_CHARS - len(summary)
    for chunk in view.chunks:
        ref = len(citations) + 1
        label = f"{chunk.item}：" if chunk.item else ""
        text = _lead_sentences(chunk.text, max(room - len(label) - 4, 0))
        if not text:
            break
        statements.append(f"{label}{text}[{ref}]")
        citations.append(citation(ref, chunk, 1.0))
        room -= len(statements[-1])
    if written := view.note:
        lead = "、".join(view.lead_units)
        statements.append(f"{written}。" + (f"牵头单位：{lead}。" if lead and "牵头" not in written else "")
                          + "".join(f"[{c.ref}]" for c in citations))
    return Answer(question, summary, tuple(statements), tuple(citations), True, "aggregate")


def paragraph(question: str, view: MeasureView) -> Answer | None:
    """「第二款呢？」 after an article was quoted: that paragraph (款) of it; None when it has no such one.

    A chunk keeps the source runs its text came from, and the article's paragraphs are its runs;
    an item （一） belongs to the paragraph that introduces it, so item chunks are not counted.
    """
    match = _PARAGRAPH.search(question)
    if match is None:
        return None
    try:
        number = cn_to_int(match.group(1))
    except ValueError:
        return None
    own = [c for c in view.chunks if not c.item]
    runs = [_runs(c) for c in own]
    if any(r is None for r in runs):
        return None
    paragraphs = [(c, p) for c, r in zip(own, runs) for p in r]
    if not 0 < number <= len(paragraphs):
        return None
    chunk, text = paragraphs[number - 1]
    summary = f"《{view.document}》{view.heading}第{int_to_cn(number)}款："
    return Answer(question, summary, (f"{text}[1]",), (citation(1, chunk, 1.0),), True, "aggregate")


def _runs(chunk: Chunk) -> list[str] | None:
    """The chunk's text cut where its source runs end; None when they do not add up to it (two lines
    one newline apart make one run, so its paragraphs cannot be told apart)."""
    lengths = [end - start for start, end in chunk.spans]
    if sum(lengths) != len(chunk.text):
        return None
    out, at = [], 0
    for n in lengths:
        out.append(chunk.text[at:at + n])
        at += n
    return out


def list_all(question: str, views: list[MeasureView]) -> Answer | None:
    """「一共有哪些措施？」: the outline, part by part."""
    if not _ALL.search(question) or _FILLER.sub("", question).strip():
        return None
    numbered = [v for v in views if v.number]
    if not numbered:
        return None
    documents = list(dict.fromkeys(v.document for v in numbered))
    if len(documents) > 1:  # a library: which documents, each with its count, before any one's outline
        statements = tuple(f"《{d}》：{sum(v.document == d for v in numbered)} 条[{i}]"
                           for i, d in enumerate(documents, start=1))
        firsts = [next(v for v in numbered if v.document == d) for d in documents]
        cites = tuple(_measure_citation(i, list(v.chunks)) for i, v in enumerate(firsts, start=1))
        summary = f"共有 {len(documents)} 份文件，可指明文件名或文号查看其措施："
        return Answer(question, summary, statements, cites, True, "aggregate")
    parts: dict[str | None, list[str]] = {}
    citations: list[Citation] = []
    for view in numbered:
        ref = len(citations) + 1
        parts.setdefault(view.part, []).append(f"{view.heading}[{ref}]")
        citations.append(_measure_citation(ref, list(view.chunks)))
    statements = tuple(f"{part or '其他'}：{'；'.join(items)}" for part, items in parts.items())
    summary = f"《{documents[0]}》共列出 {len(numbered)} 条措施，分 {len(parts)} 个部分："
    return Answer(question, summary, statements, tuple(citations), True, "aggregate")


def by_part(question: str, views: list[MeasureView], title: str) -> Answer | None:
    """「银发〔2018〕29号从哪几个方面加强…监督管理？」: the parts of the one document asked about, each cited
    whole; None when the question is about a subject other than the document's own."""
    asks = _PARTS.search(question)
    parts = _body_parts(list(dict.fromkeys(v.part for v in views if v.part)))
    if asks is None or len(parts) < 2 or len({v.document_id for v in views}) != 1:
        return None
    after = _NOT_HAN.sub("", question[asks.end():])
    subject = after if len(after) >= 4 else _NOT_HAN.sub("", question[:asks.start()])
    pairs = [subject[i:i + 2] for i in range(len(subject) - 1)]
    if not pairs or sum(p in title for p in pairs) < PART_TITLE * len(pairs):
        return None
    statements = tuple(f"{part}[{ref}]" for ref, part in enumerate(parts, start=1))
    # each cites its part as a whole, under the part's heading
    citations = tuple(Citation(ref, replace(_measure_citation(ref, [c for v in views if v.part == part for c in v.chunks]).chunk,
                                            measure=part, item=None), 1.0)
                      for ref, part in enumerate(parts, start=1))
    return Answer(question, f"《{title}》分 {len(parts)} 个方面：", statements, citations, True, "aggregate")


def in_part(question: str, views: list[MeasureView], title: str) -> Answer | None:
    """「245号要求建立的个人银行账户服务长效机制，具体有哪些措施？」: every measure under the one part of the
    document whose heading the question names, each cited whole; None when no part's heading is named.

    Retrieval ranks the measures by the words they share with the question, and under a part heading
    the measures rarely repeat it (「（七）建立跨行开户核验机制」 says nothing of 长效机制).
    """
    if not grouped.asks_many(question) or len({v.document_id for v in views}) != 1:
        return None
    shares: dict[str, float] = {}
    for part in dict.fromkeys(v.part for v in views if v.part):
        name = _NOT_HAN.sub("", _PART_LABEL.sub("", part))
        pairs = [name[i:i + 2] for i in range(len(name) - 1)]
        held = [p for p in pairs if p in question]
        # the part is what is asked for, not the scene of a narrower ask (「…人居环境整治提升，明确不准有哪些行为」)
        if len(name) >= PART_NAME_MIN and held and _ASKS_PART.match(question, max(question.rfind(p) for p in held) + 2):
            shares[part] = len(held) / len(pairs)
    named = [p for p, share in shares.items() if share >= PART_NAMED]
    if len(named) != 1:
        return None
    part = named[0]
    under = [v for v in views if v.part == part]
    if len(under) < 2:  # 「十五、办理…业务的结算银行」 numbers a measure, not a group of them
        return None
    room = (MAX_CHARS - 40) // len(under)
    statements, citations = [], []
    for ref, view in enumerate(under, start=1):
        wording = "" if view.heading in view.text[:len(view.heading) + 4] else _lead_sentences(view.text, room)
        statements.append(f"{view.heading}{'：' + wording if wording else ''}[{ref}]")
        citations.append(_measure_citation(ref, list(view.chunks)))
    summary = f"《{title}》「{part}」下共有 {len(under)} 条措施："
    return Answer(question, summary, tuple(statements), tuple(citations), True, "aggregate")


def _body_parts(parts: list[str]) -> list[str]:
    """The document's own parts: numbering that starts again at 一、 is an attachment's (附件1 规范)."""
    kept: list[str] = []
    for part in parts:
        number = _PART_NUMBER.match(part)
        if kept and (number is None or cn_to_int(number.group(1)) != len(kept) + 1):
            break
        kept.append(part)
    return kept


def answer(question: str, views: list[MeasureView], title: str | None = None) -> Answer | None:
    """An outline answer when the question is about structure or a unit's share; otherwise None.
    ``title`` is the one document's the question is confined to, whose parts it may ask for."""
    if title is not None and (parts := by_part(question, views, title) or in_part(question, views, title)) is not None:
        return parts
    for handler in (by_unit, by_number, list_all):
        found = handler(question, views)
        if found is not None:
            return found
    return None


def _measure_citation(ref: int, chunks: list[Chunk]) -> Citation:
    first = chunks[0]
    text = "".join(c.text for c in chunks)
    units = tuple(dict.fromkeys(u for c in chunks for u in c.responsible_units))
    lead = tuple(dict.fromkeys(u for c in chunks for u in c.lead_units))
    notes = tuple(dict.fromkeys(n for c in chunks for n in c.notes))
    whole = replace(first, item=first.item if len(chunks) == 1 else None, text=text, responsible_units=units,
                    lead_units=lead, notes=notes)
    return Citation(ref, whole, 1.0)


def _lead_sentences(text: str, room: int) -> str:
    out = ""
    for sentence in split_sentences(text):
        if out and len(out) + len(sentence) > room:
            return out + "……"
        out += sentence
    return out

