"""Definition questions: 「地方金融组织具体指哪几类？」 is answered with the article that defines the term.

Laws and regulations define their terms in one sentence, 「本条例所称地方金融组织，是指……」, and
that sentence is the answer a credit officer can quote. Retrieval ranks it no higher than the
articles that merely use the term, since every one of them repeats it. The defined terms are
read from the documents' own sentences; nothing is listed per document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence

from rag.answering.extractive import citation, first_list, labelled
from rag.corpus.records import UNLABELLED
from rag.corpus.sentences import split_sentences
from rag.types import Answer, Chunk, DocumentInfo

# 「本条例所称地方金融组织，是指」「本意见所称“金融管理部门”是指」「本条例所称的绿色金融,是指」
_DEFINES = re.compile(r"所称的?[“\"「]?(?P<term>[\u4e00-\u9fff]{2,20}?)[”\"」]?[，,]?\s*(?:是指|指)")
# 「（二）境内个人，是指…」 under 「本条例下列用语的含义：」
_LISTED = re.compile(r"[（(][一二三四五六七八九十]+[)）]\s*(?P<term>[\u4e00-\u9fff]{2,20}?)[，,]?\s*是指")
_GLOSSARY = "用语的含义"
# 「…公示制度、…记录制度、…审核制度（以下统称“三项制度”）」 names what a collective term stands for; a 简称 only
# shortens a name and defines nothing.
_COLLECTIVE = re.compile(r"[（(]以下(?:统称|合称|总称)[为“\"「]*(?P<term>[\u4e00-\u9fff]{2,20}?)[”\"」]?[)）]")
# What asks for a term's meaning or extent rather than about the term; 「…算境内个人吗」 whether something falls in it.
_ASKS = re.compile(r"是指|指什么|指哪|什么是|何为|哪几类|哪几种|哪[两三四五六七八九十]+[项类种个]|哪些类|包括哪|包含哪|定义|界定|范围|是什么意思"
                   r"|算不算|算是|才算|算.{2,12}吗|属不属于|属于.{2,12}吗")
# 「所称境外贷款业务」 is asked about as 境外贷款
_GENERIC_TAIL = re.compile(r"(业务|活动|行为|工作)$")
# 「商业广告、店堂告示这类东西算不算合同格式条款」 asks whether things fall in the term: what the defining article says
# of them (「商业广告、店堂告示…构成要约…的，视为合同格式条款」) answers with the definition
_WHETHER = re.compile(r"算不算|才算|算.{2,12}吗|属不属于|属于.{2,12}吗|是否属于")
# 「政府非税收入具体包括哪些类别」 asks what the term comprises: the list the defining article gives after it (「…具体包括：
# （一）行政事业性收费；…」) answers, not the defining sentence alone
_KINDS = re.compile(r"哪几类|哪几种|哪[两三四五六七八九十]+[项类种]|哪些类|哪些种|包括哪|包含哪|分为哪|分哪")
MAX_DOCUMENTS = 3  # documents defining one term quoted side by side when the question names none
NEAR_CUE = 4  # characters between a term and the asking: 「地方金融组织具体指哪几类」, 「…的具体范围」
# What may stand between them: words that link, never a verb of its own (「融资担保公司干哪几类业务」 asks
# what the companies may do, not what they are).
_LINKING = re.compile(r"([”」\"'’』]|具体|主要|都|分别|到底|究竟|一般|通常|是|的|指|要|需要|包括|包含|分为|有|还|就)*")


Definitions = dict[str, list[tuple[str, Chunk]]]  # term → its defining sentences, in index order


def definitions(chunks: Sequence[Chunk]) -> Definitions:
    """Every term the chunks define, with the sentence that defines it."""
    found: Definitions = {}
    for chunk in chunks:
        glossary = _GLOSSARY in chunk.text
        if "所称" not in chunk.text and "以下" not in chunk.text and not glossary:
            continue
        for sentence in split_sentences(chunk.text):
            listed = _LISTED.finditer(sentence) if glossary else ()
            for m in [*_DEFINES.finditer(sentence), *listed, *_COLLECTIVE.finditer(sentence)]:
                found.setdefault(m.group("term"), []).append((sentence.strip(), chunk))
    return found


def _beside(question: str, at: int, length: int, cue: re.Match) -> bool:
    """Whether the term stands next to the asking, in its clause: 「反洗钱特别预防措施针对哪几类名单」 asks
    about the 名单, and 「信用信息的查询记录…？查询记录要包括哪些内容」 about the 查询记录."""
    between = question[at + length:cue.start()] if at < cue.start() else question[cue.end():at]
    return len(between) <= NEAR_CUE and bool(_LINKING.fullmatch(between))


def answer(question: str, defined: Definitions, within: Collection[str],
           documents: Mapping[str, DocumentInfo], words: Callable[[str], list[str]] | None = None) -> Answer | None:
    """The defining sentence of the longest term the question asks about, from the documents ``within``
    (every document when empty); None when none of them defines it. With ``words`` (a question's content words),
    a question whether things fall in the term also has the sentences of the defining article that say the term
    and name one of them."""
    cues = list(_ASKS.finditer(question))
    if not cues:
        return None
    asked, at = {}, {}
    for term, found in defined.items():
        said = next((t for t in (term, _GENERIC_TAIL.sub("", term)) if len(t) >= 2 and t in question), None)
        kept = [(s, c) for s, c in found if not within or c.document_id in within] if said else []
        if kept:
            asked[term], at[term] = kept, question.find(said)
    if not asked:
        return None
    # the term nearest the asking (「…才算境外贷款？…算不算」 asks about 境外贷款, not the 境外企业 before
    # it), and of two there the longer: 非法集资人 over 非法集资
    def nearest(t: str) -> re.Match:
        return min(cues, key=lambda c: abs(at[t] - c.start()))

    term = min(asked, key=lambda t: (abs(at[t] - nearest(t).start()), -len(t)))
    if not _beside(question, at[term], len(term), nearest(term)):
        return None
    statements, cited = [], []
    for sentence, chunk in asked[term]:
        if any(c.document_id == chunk.document_id for c in cited):
            continue  # a document's first definition of the term is its definition
        if len(cited) == MAX_DOCUMENTS:
            break
        cited.append(chunk)
        info = documents.get(chunk.document_id)
        heading = chunk.measure if chunk.measure and chunk.measure != UNLABELLED else ""
        if words is not None and _WHETHER.search(question):
            # a word of the document's title (条例) is in every article and names nothing asked
            named = [w for w in words(question) if w not in term and term not in w and w not in (info.title if info else "")]
            sentence += "".join(s for s in split_sentences(chunk.text)
                                if s.strip() != sentence and term in s and any(w in s for w in named))
        # (a glossary's 「下列用语的含义：」 lists other terms: the lead-in must name this one)
        if _KINDS.search(question) and (listed := first_list(split := split_sentences(chunk.text))) \
                and term in re.split(r"[：:]", split[listed[0]])[0]:
            sentence += "".join(split[i] for i in listed if split[i].strip() != sentence)
        statements.append(f"{info.label if info else ''}{labelled(heading, sentence) if heading else '：' + sentence}[{len(cited)}]")
    citations = tuple(citation(i, c, 1.0) for i, c in enumerate(cited, start=1))
    return Answer(question, f"「{term}」的定义：", tuple(statements), citations, True, "aggregate")
