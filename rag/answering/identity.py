"""Questions about a document itself: its 文号, when it was signed, published or takes effect.

「这份措施是什么时候发布的？」 is answered from the document's identity and from the
sentence of its own text that states the date (「本条例自2020年1月1日起施行。」), quoted
and cited like any other answer, rather than with the passage that happens to sit nearest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from rag.answering.extractive import citation
from rag.answering.relevance import ASKS_SPAN
from rag.corpus.identity.identify import written_forms
from rag.corpus.sentences import CLAUSE_BREAK, split_sentences
from rag.types import MARKER, Answer, Chunk, DocumentInfo

_ASKS = re.compile(r"哪天|哪一天|什么时候|何时|哪年|哪一年|几月|几号|日期|时间|文号|第几号|发文字号|字号")
_HEADER = "文件信息"  # the measure a document's header is cited as
_QUESTION_END = re.compile(r"(?<=[？?！!。；;])")
_CHINESE_DATE = re.compile(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|(?:19|20)\d{2}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Field:
    label: str
    cue: re.Pattern
    verbs: tuple[str, ...]  # what the sentence stating it says


FIELDS = {
    "number": Field("文号", re.compile(r"文号|第几号|几号令|字号|令第|号令"), ("令", "号")),
    "effective": Field("施行日期", re.compile(r"施行|生效|实施|执行"), ("施行", "生效", "实施")),
    "published": Field("发布日期", re.compile(r"发布|公布|印发|出台|下发|发的"), ("公布", "发布", "印发")),
    "signed": Field("成文日期", re.compile(r"签发|签署|成文|印发"), ()),
}
# What else takes effect or is carried out at a time the text sets (a contract, a registration, a penalty), unless the
# clause names the document too (「这份担保条例哪天施行」)
_OTHER_SUBJECT = re.compile(r"合同|协议|担保|抵押|质押|登记|许可|执照|证书|批复|处罚|裁定|判决|保单")
_DOCUMENT_WORD = re.compile(r"《|条例|办法|规定|细则|通知|意见|措施|决定|文件|政策|这份|该文|本文")
# Events a document's history records that are no identity field: 通过, 批准, 修正.
_EVENTS = ("通过", "批准", "修正", "修订", "废止")


def asks_identity(question: str) -> bool:
    if ASKS_SPAN.search(question):  # 「要求多长时间内出台实施办法」 asks a time limit the text sets, not a date of the document
        return False
    # The asking and what it asks about share a clause: in 「新修订的反洗钱法要求…保存多少年？从什么时候开始算？」
    # 修订 describes the law and 什么时候 asks when a period starts.
    # 「房产抵押合同从什么时候开始生效？」 asks when a contract takes effect, which the text sets, not the document's date.
    return any(_ASKS.search(clause) and (any(f.cue.search(clause) for f in FIELDS.values())
                                         or any(e in clause for e in _EVENTS) or "文号" in clause)
               and not (_OTHER_SUBJECT.search(clause) and not _DOCUMENT_WORD.search(clause))
               for clause in CLAUSE_BREAK.split(question))


def rest(question: str) -> str:
    """The sentences of the question that ask no identity: 「…对资金投入有什么硬性要求？条例从哪天起施行？」
    asks for a rule as well as a date."""
    return "".join(s for s in _QUESTION_END.split(question) if s.strip() and not asks_identity(s))


def joined(about: Answer, other: Answer) -> Answer:
    """The identity answer followed by the answer to the rest of the question, cited on from it."""
    k = len(about.citations)
    statements = (other.summary, *(MARKER.sub(lambda m: f"[{int(m.group(1)) + k}]", s) for s in other.statements))
    citations = tuple(replace(c, ref=c.ref + k) for c in other.citations)
    return replace(about, statements=about.statements + statements, citations=about.citations + citations)


def answer(question: str, document: DocumentInfo, chunks: Sequence[Chunk]) -> Answer | None:
    """The asked facts with the sentences that state them; None when the question is not about them."""
    if not asks_identity(question):
        return None
    wanted = [k for k, f in FIELDS.items() if f.cue.search(question)]
    if document.header:  # the header states dates and 文号 that no measure's chunk holds
        chunks = [Chunk(f"{document.id}#header", document.title, None, _HEADER, None, document.header, (), (),
                        document.id), *chunks]
    statements: list[str] = []
    cited: list[Chunk] = []

    def cite(chunk: Chunk | None) -> str:
        if chunk is None:
            return ""
        if chunk not in cited:
            cited.append(chunk)
        return f"[{cited.index(chunk) + 1}]"

    for key in wanted:
        value = getattr(document, key)
        if not value:
            continue
        sentence, chunk = _stating(chunks, written_forms(value), FIELDS[key].verbs)
        quote = f"原文：「{sentence}」" if sentence else ""
        statements.append(f"{FIELDS[key].label}：{value}。{quote}{cite(chunk)}")
    for event in (e for e in _EVENTS if e in question):
        sentence, chunk = _stating(chunks, (), (event,))
        if sentence:
            statements.append(f"「{sentence}」{cite(chunk)}")
    if not statements:
        return None
    summary = f"{document.label}："
    citations = tuple(citation(i, c, 1.0) for i, c in enumerate(cited, start=1))
    return Answer(question, summary, tuple(statements), citations, True, "aggregate")


def _stating(chunks: Sequence[Chunk], forms: tuple[str, ...], verbs: tuple[str, ...]) -> tuple[str, Chunk | None]:
    """The shortest sentence holding one of ``forms`` (preferring one with a verb), else one with a verb and a date."""
    best: tuple[tuple[bool, bool, int], str, Chunk] | None = None
    for chunk in chunks:
        for sentence in (s for line in chunk.text.splitlines() for s in split_sentences(line)):
            plain = re.sub(r"\s", "", sentence)
            if forms and not any(f in plain for f in forms):
                continue
            if not forms and not (_CHINESE_DATE.search(plain) and any(v in plain for v in verbs)):
                continue
            # the article 「本条例自2011年5月1日起施行。」 is what to quote, before the header's 「2011年5月1日 施行」
            rank = (not any(v in plain for v in verbs), chunk.measure == _HEADER, len(sentence))
            if best is None or rank < best[0]:
                best = (rank, _around(sentence, forms), chunk)
    return (best[1], best[2]) if best else ("", None)


def _around(sentence: str, forms: tuple[str, ...], width: int = 60) -> str:
    """A long run-on 「sentence」 (a notice header glued to its text) cut to the part that states the value."""
    if len(sentence) <= width * 2 or not forms:
        return sentence.strip()
    at = next((sentence.find(f) for f in forms if f in sentence), 0)
    return sentence[max(at - width, 0): at + width].strip()
