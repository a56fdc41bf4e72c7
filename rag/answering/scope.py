"""What a question is about before anything is retrieved: its documents and, in a follow-up, its measure.

「国办发〔2019〕6号对…有什么要求」 names a document; 「这条措施的牵头单位是谁？」 points at the
measure the previous answer quoted, 「它是哪年发布的？」 at its document, 「第十九条呢？」 at
another article of the same document. A scope carries that forward so retrieval searches
the right document and the outline answers the right measure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from rag.answering.followup import rewrite
from rag.corpus.numbering import CN_NUM
from rag.retrieval.naming import DocumentNames
from rag.types import Turn

# Words that stand for something the previous answer named: its document, or its measure.
# 「这部法律又是怎么说的」 asks the document quoted, not the article it was quoted from.
_AT_DOCUMENT = re.compile(r"这份|该文件|这个文件|该政策|这部|该条例|该意见")
# 「这条不良信息」「这条记录」 count a thing by 条, not an article.
_AT_MEASURE = re.compile(r"(这|该|此|本|这一)条(?![^，,。；;？?]{0,4}?(信息|记录|消息|短信|新闻|线|路))|这项|该项|该措施|这个措施"
                         r"|此措施|上述措施|下一条|上一条"
                         # 「违反这些规定的话，会被怎么罚？」: the fine for breaking what was just quoted
                         r"|(?:这些|上述|以上|前述)(?:规定|条款)(?=[^。？?]*罚)"
                         rf"|^第[{CN_NUM}\d]+款"  # 「第二款呢？」: a paragraph of the article just quoted
                         # 「它是哪年发布的？」; in 「被惩戒的是企业，它的负责人…」 它 is the 企业 just named
                         r"|^(?:那么?|那如果|如果)?[，,]?\s*(?:它|其)")
_POINTING = re.compile(f"{_AT_MEASURE.pattern}|{_AT_DOCUMENT.pattern}")
_OWN_MEASURE = re.compile(rf"第[{CN_NUM}\d]+[条项](?!目)|[（(][{CN_NUM}]+[)）]")
# 「（六）提升… · 5.加强项目运营维护：」 points at the item, as does 「（四）3.推进排水设施提质增效：」.
_HEADING = re.compile(rf"^(第[{CN_NUM}\d]+条|[（(][{CN_NUM}]+[)）][^：:，。；]*|[{CN_NUM}]+、[^：:，。；]*)")
# What an answer line may open with before the heading: the title (and 文号), or the 文号 alone.
# The title's parenthesis is its 文号 (「（国发〔2018〕39号）」), never a measure's number like 「（四）」.
_LABEL = re.compile(r"^(?:《[^》]+》(?:（[^）]*号）)?|[^\s（(《：:]{1,12}〔\d{4}〕\d+号)\s*")
_TITLE = re.compile(r"《([^》]+)》")
_ITS_SUBJECT = re.compile(r"^(?:那么?|那如果|如果)?[，,]?\s*(?:它|其)(?:对|关于|在)")
# A turn that goes on from the previous answer: 「那…」「还要…」「另外…」「…呢？」, 「条件都满足的话，去哪里申请？」
# (「这些行业要是违反了…」 asks about what the previous answer listed)
_GOES_ON = re.compile(r"^(那|还|另外|此外|再问|顺便|这些|这类|这种|上述|前述)|呢[？?]?$|^[^，,。？?]{0,12}的话[，,]")
# 「除了专门的非法集资条例，还有哪些文件…」 asks about every document but the one it sets aside.
_EXCEPT = re.compile(r"^除了?(?P<named>[^，,。；？?]{2,40}?)(以外|之外)?[，,]\s*")


@dataclass(frozen=True)
class Scope:
    """A self-contained question, the documents it is confined to, and the measure it points at."""

    text: str
    documents: tuple[str, ...] = ()
    measure: str | None = None  # a heading of the previous answer, for 「这条措施…」
    excluded: tuple[str, ...] = ()  # documents the question sets aside: 「除了…条例，还有哪些文件…」
    context: str = ""  # the question it goes on from, when its document came from the conversation
    places: tuple[str, ...] = ()  # the place words that named them all: they confine the search, compare nothing
    elsewhere: tuple[str, ...] = ()  # provinces asked about that no document is of (the excluded are the others')
    wider: tuple[str, ...] = ()  # the named place's documents, searched when the ones its title words chose say nothing
    fresh: tuple[str, ...] = ()  # the words a rewritten follow-up adds to the turns it goes on from

    @property
    def across(self) -> bool:
        return bool(self.places)

    @property
    def key(self) -> tuple:
        return (self.text, self.documents, self.measure, self.excluded, self.context, self.places, self.elsewhere,
                self.wider, self.fresh)


def resolve(question: str, history: Sequence[Turn], names: DocumentNames,
            words: Callable[[str], list[str]]) -> Scope:
    """The question's scope: what it names itself, else what the conversation points at."""
    # 「那这项任务是哪些单位负责的？」 points at the quoted measure: it names no new subject to rewrite with.
    text = question if _POINTING.search(question) else rewrite(question, history, words)
    aside = _EXCEPT.match(text)
    if aside and history and _POINTING.search(aside.group("named")):
        # 「除了这条说的保险，资本市场这块有什么支持？」 asks the rest of the document quoted, not the measure.
        return Scope(text[aside.end():], _previous(history, names)[0])
    set_aside = names.find(aside.group("named")) if aside else None
    if set_aside:
        # The set-aside title must not be searched for either: its words would pull its own articles back.
        return Scope(text[aside.end():], excluded=set_aside.documents)
    own = names.find(question)
    if own:
        # 「那温州的条例呢？」 asks the previous question of another document.
        return Scope(names.find(text).text if text != question else own.text, own.documents, places=own.placed,
                     wider=own.wider)
    if own.elsewhere:
        return Scope(text, excluded=own.foreign, elsewhere=own.elsewhere)
    if text != question:
        # 「那要是开发商交的材料不齐呢？」 asks the previous question of 材料不齐: what the turn says beyond it
        asked = {w for t in history if t.role == "user" for w in words(t.content)}
        fresh = tuple(w for w in words(question) if w not in asked)
        named = names.find(text)  # 「那再担保费呢？」 after a question naming 国办发〔2019〕6号
        return (Scope(named.text, named.documents, places=named.placed, fresh=fresh) if named
                else replace(_kept(text, question, history, names), fresh=fresh))
    if not history or not (_POINTING.search(question) or _OWN_MEASURE.search(question)):
        return _kept(text, question, history, names)
    documents, heading = _previous(history, names)
    if not documents:
        return Scope(text)
    # 「第十九条呢？」 names its own article, 「那它对账户融资怎么限的？」 asks its document of a subject of its
    # own; only 「这条/该措施」 takes the previous one's (「这部法律」 is its document).
    another = _OWN_MEASURE.search(question) or _ITS_SUBJECT.search(question) or not _AT_MEASURE.search(question)
    measure = None if another else heading
    return Scope(text, documents, measure)


def _kept(text: str, question: str, history: Sequence[Turn], names: DocumentNames) -> Scope:
    """``text`` confined to the one document the previous answer quoted, when the question goes on from it
    (「那每年还要报什么？」) without naming any; an answer quoting several leaves the library open."""
    if not history or not _GOES_ON.search(question.strip()):
        return Scope(text)
    documents, _ = _previous(history, names)
    if len(documents) != 1:
        return Scope(text)
    asked = next((t.content for t in reversed(history) if t.role == "user"), "")
    return Scope(text, documents, context=asked)


def _previous(history: Sequence[Turn], names: DocumentNames) -> tuple[tuple[str, ...], str | None]:
    """The documents and the first measure heading of the conversation's last exchange."""
    answer = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    asked = next((t.content for t in reversed(history) if t.role == "user"), "")
    heading = None
    for line in answer.splitlines():
        m = _HEADING.match(_LABEL.sub("", line.strip()))
        if m:
            heading = m.group(1).strip()
            break
    titled = tuple(dict.fromkeys(i for t in _TITLE.findall(answer) for i in names.find(f"《{t}》").documents))
    documents = titled or names.find(asked).documents or names.find(answer).documents
    return documents, heading
