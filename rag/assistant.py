"""The question-answering facade every channel shares: API, UI, CLI and WeCom.

A question is made self-contained (follow-ups), answered from the outline when it is
about structure or a unit's share, otherwise retrieved, gated for relevance and quoted;
an optional LLM generator may then rewrite the quoted answer. Answers are cached per
index version and normalised question, so a popular question or a WeCom retry costs a
dictionary lookup, and a new index never serves a stale answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.answering import aggregate, definition, framing, grouped, identity, penalty
from rag.answering.extractive import (
    MAX_CHARS,
    MAX_CHUNKS,
    Quote,
    compose,
    enumerating,
    in_context,
    list_led,
    lists,
    nowhere,
    refuse,
    select,
    topic_phrase,
    whole,
)
from rag.answering.llm import generator_from_settings
from rag.answering.relevance import (
    Banks,
    Gate,
    Relevance,
    Thresholds,
    answered_in,
    bound_asked,
    case_met,
    figure_about,
    figure_asked,
    figures_given,
    permission_asked,
    procedure_asked,
    support_bank,
    unanswered,
    wording,
)
from rag.answering.scope import Scope, resolve
from rag.answering.validate import quantities
from rag.cache import LRUCache
from rag.corpus.forms import question_forms
from rag.corpus.identity import lexicon
from rag.corpus.measures import annex_title
from rag.corpus.numbering import CN_NUM
from rag.corpus.outline import MeasureView, find_measure, outline_from_chunks
from rag.corpus.sentences import split_sentences
from rag.encoder.embedding import vectors_key
from rag.errors import IndexMismatchError, QuestionError
from rag.pipeline import BuildReport, Pipeline, PipelineConfig
from rag.retrieval.hybrid import Query, Retriever, Scored
from rag.retrieval.manifest import GateRecord, Manifest
from rag.retrieval.naming import DocumentNames
from rag.retrieval.query import expand, mentions, normalise_query
from rag.retrieval.store import REBUILD_HINT
from rag.settings import Settings
from rag.types import Answer, Chunk, DocumentInfo, Hit, SearchMode, Turn

__all__ = ["Assistant", "Generator", "IndexStatus", "Turn", "check_question"]

DEFAULT_MAX_QUESTION_CHARS = 500
LEAD_SUBJECT = 2  # words of the question a lead-in below the first quote must hold to answer a 「哪些…」 question
CASE_DEPTH = 20  # the best-ranked chunks searched for the threshold a case given in the question meets
LIST_REACH = 10  # the best-ranked chunks searched for such a lead-in
_POINTING = ("这", "那", "该", "此")  # 这条, 那项: words pointing at the measure, not asking of it
BEYOND_WORDS = 3  # words of a follow-up the article it points at must lack for it to ask beyond that article
PERVASIVE = 0.5  # a title word in this share of a named document's chunks does not tell them apart
_HAN = re.compile(r"[\u4e00-\u9fff]")
_QUOTED = re.compile(r"[“「\"](.{2,20}?)[”」\"]")
_ITEM_NUMBER = re.compile(r"^\s*(\d+)\s*[.．、]")
_ITEM_AFTER_NUMBER = re.compile(rf"^([（(][{CN_NUM}]+[)）])\s*(\d+\s*[.．、].*)$")


def check_question(question: str, max_chars: int = DEFAULT_MAX_QUESTION_CHARS) -> str:
    """The stripped question; :class:`QuestionError` (with its ``problem``) when empty or too long.

    The one check every channel shares: each renders the error in its own form (a 422, a
    polite WeCom text, a chat message, a CLI error).
    """
    question = question.strip()
    if not question:
        raise QuestionError("the question is empty", problem="empty", length=0, limit=max_chars)
    if len(question) > max_chars:
        raise QuestionError(f"the question has {len(question)} characters; at most {max_chars} are allowed",
                            problem="too_long", length=len(question), limit=max_chars)
    return question


@dataclass(frozen=True)
class IndexStatus:
    """What a health check or a status line shows: the live index and the model that reads it."""

    version: str
    model: str
    chunks: int
    manifest: Manifest
    backend: str = ""  # the question runtime
    precision: str = ""
    lone_cores: int | None = None  # cores a question encoded while no other is runs on; None: the runtime's own


@dataclass(frozen=True)
class Library:
    """What the answer stage derives from one index version: outline, document names, gate, chunks by document."""

    version: str
    outline: list[MeasureView]
    documents: dict[str, DocumentInfo]
    names: DocumentNames
    gate: Gate
    thresholds: Thresholds
    chunks_of: dict[str, list[Chunk]]  # document id → its chunks, in index order
    definitions: definition.Definitions  # the terms the documents define (「本条例所称…，是指」)
    shares: dict[tuple[tuple[str, ...], tuple[str, ...]], float] = field(default_factory=dict)

    def chunks_in(self, documents: Sequence[str] = ()) -> list[Chunk]:
        """The chunks of ``documents``, else of the whole library."""
        return [c for d in (documents or self.chunks_of) for c in self.chunks_of.get(d, ())]

    def share(self, group: Sequence[str], documents: Sequence[str] = ()) -> float:
        """The fraction of the chunks (of ``documents``, else of the library) that carry one of ``group``'s
        words, cached."""
        key = (tuple(group), tuple(documents))
        if key not in self.shares:
            chunks = self.chunks_in(documents)
            held = sum(grouped.carries(c, (group,)) for c in chunks)
            self.shares[key] = held / max(len(chunks), 1)
        return self.shares[key]

    def only_in(self, word: str, documents: Sequence[str]) -> bool:
        """Whether no chunk outside ``documents`` carries ``word``."""
        size = sum(map(len, self.chunks_of.values()))
        named = sum(len(self.chunks_of.get(d, ())) for d in documents)
        if named >= size:  # a library of one document: every word is in it and names nothing
            return False
        return self.share((word,)) * size <= self.share((word,), documents) * named + 0.5


class Generator(Protocol):
    """Writes an answer from the extractive one's citations; None means keep the extractive one.

    A generator returns None for refusals and outline answers: they must stay as they are.
    """

    def generate(self, question: str, extractive: Answer) -> Answer | None: ...


class Assistant:
    """Answers questions from one pipeline's live index."""

    def __init__(self, pipeline: Pipeline, generator: Generator | None = None,
                 refusal_shift: float = 0.0, cache_size: int = 1024,
                 max_question_chars: int = DEFAULT_MAX_QUESTION_CHARS):
        self.pipeline = pipeline
        self.generator = generator
        self.max_question_chars = max_question_chars
        self.refusal_shift = refusal_shift
        self.answers = LRUCache(cache_size)
        self.banks = Banks.load(pipeline.embedder, pipeline.config.home / "cache")
        self._library: Library | None = None

    @classmethod
    def from_settings(cls, settings: Settings, pipeline: Pipeline | None = None) -> Assistant:
        """An assistant over ``pipeline`` (made and loaded here when not given or not loaded) with the configured LLM."""
        pipeline = pipeline or Pipeline(PipelineConfig.from_settings(settings))
        pipeline.live()
        return cls(pipeline, generator=generator_from_settings(settings), refusal_shift=settings.refusal_shift,
                   cache_size=settings.cache_size, max_question_chars=settings.max_question_chars)

    @property
    def version(self) -> str:
        return self.pipeline.index.version

    def status(self) -> IndexStatus:
        index, embedder = self.pipeline.index, self.pipeline.embedder
        return IndexStatus(index.version, embedder.info.name, len(index.chunks), index.manifest,
                           embedder.info.backend, embedder.info.precision, embedder.lone_cores)

    def keywords(self, question: str) -> tuple[str, ...]:
        """The question's content words, longest first: what a page highlights in the quoted text."""
        return self.pipeline.tokenizer.keywords(normalise_query(question))

    def check(self, question: str) -> str:
        """The stripped question, or :class:`QuestionError` when this assistant would refuse to take it."""
        return check_question(question, self.max_question_chars)

    def ask(self, question: str, history: Sequence[Turn] = (), top_k: int = 5) -> Answer:
        question = self.check(question)
        scope = self.resolve(question, history)
        key = (self.version, scope.key, top_k)
        cached = self.answers.get(key)
        if cached is None:
            cached = self._answer(scope, top_k)
            self.answers.put(key, cached)
        return cached if cached.question == question else replace(cached, question=question)

    def resolve(self, question: str, history: Sequence[Turn] = ()) -> Scope:
        """The question normalised, made self-contained from the conversation, with the documents it names."""
        return resolve(normalise_query(question), history, self.library().names, self.pipeline.tokenizer.words)

    def _answer(self, scope: Scope, top_k: int) -> Answer:
        answer, _ = self._explain(scope, top_k)
        if self.generator is not None:  # it keeps refusals and outline lists as they are
            answer = self.generator.generate(scope.text, answer) or answer
        return self.cite_documents(answer)

    def cite_documents(self, answer: Answer) -> Answer:
        """The answer with each citation naming its document (title, 文号, issuers, date)."""
        documents = self.pipeline.index.documents
        cited = tuple(replace(c, document=documents.get(c.chunk.document_id)) for c in answer.citations)
        return replace(answer, citations=cited)

    def add_documents(self, paths: list[Path], replace: bool = False) -> BuildReport:
        """Check, copy and index new documents; this process answers from the new index at once."""
        report = self.pipeline.add(paths, replace)
        self.reload_if_changed()
        return report

    def remove_document(self, document_id: str) -> BuildReport:
        report = self.pipeline.remove(document_id)
        self.reload_if_changed()
        return report

    def chunk_counts(self) -> dict[str, int]:
        return self.pipeline.index.manifest.document_chunks

    def document(self, document_id: str) -> DocumentInfo | None:
        return self.pipeline.index.documents.get(document_id)

    def documents(self) -> tuple[DocumentInfo, ...]:
        return self.pipeline.index.manifest.documents

    def explain(self, question: str, history: Sequence[Turn] = (), top_k: int = 5) -> tuple[Answer, Relevance | None]:
        """The extractive answer and the relevance behind it (None for outline answers), uncached."""
        return self._explain(self.resolve(question, history), top_k)

    def _explain(self, scope: Scope, top_k: int) -> tuple[Answer, Relevance | None]:
        text, library = scope.text, self.library()
        views = [v for v in library.outline if v.document_id in scope.documents] if scope.documents else library.outline
        documents = scope.documents or (tuple(library.documents) if len(library.documents) == 1 else ())
        # 「它是哪年发布的？」 after a quoted measure asks about its document, not the measure.
        if len(documents) == 1 and identity.asks_identity(text):
            about = identity.answer(text, library.documents[documents[0]], library.chunks_of[documents[0]])
            if about is not None and (rest := identity.rest(text)):
                other, _ = self.retrieve(rest, top_k, documents, context=scope.context)
                about = identity.joined(about, other) if other.found else about
            if about is not None:
                return about, None
        defined = definition.answer(text, library.definitions, documents, library.documents,
                                    self.pipeline.tokenizer.words)
        if defined is not None:
            return defined, None
        if penalty.asks_penalty(text):  # 「违反这一条会怎么处罚？」: the article that cites the one pointed at
            duty = (_pointed(views, scope.measure) if scope.measure and len(scope.documents) == 1
                    else aggregate.numbered(text, views))
            fine = penalty.setting(duty, views) if duty is not None else None
            if fine is not None:
                return aggregate.describe(text, fine), None
        if scope.measure and len(scope.documents) == 1:
            view = _pointed(views, scope.measure)
            # 「这一条里说的代收银行是怎么选出来的？名单会对外公开吗？」 asks what the article pointed at does not say (it
            # names the 代收银行, not how they are chosen nor a 名单): the document's article saying it answers
            if view is not None and not self._beyond(text, view):
                return aggregate.paragraph(text, view) or aggregate.describe(text, view), None
        structural = aggregate.answer(text, views, library.documents[documents[0]].title if len(documents) == 1 else None)
        if structural is not None:
            return structural, None
        if scope.excluded:
            kept = tuple(d for d in library.documents if d not in scope.excluded)
            # every document is another place's, or the subject asked about is only in theirs: 「福建省的失业保险金
            # 按什么标准发放」 is 广东's 失业保险 rule or nothing, not the national notices' 「发放开户许可证」
            if not kept or (scope.elsewhere and self._only_elsewhere(text, kept, scope.excluded, library)):
                return nowhere(text, scope.elsewhere, len(library.documents)), None
            return self.retrieve(text, top_k, kept, across=True, named=False)
        found = self.retrieve(text, top_k, scope.documents, across=scope.across, context=scope.context,
                              places=scope.places, fresh=scope.fresh)
        if scope.wider and not found[0].found:
            wider = self.retrieve(text, top_k, scope.wider, across=True, context=scope.context)
            return wider if wider[0].found else found
        return found

    def retrieve(self, text: str, top_k: int = 5, documents: Sequence[str] = (), across: bool = False,
                 context: str = "", named: bool = True, places: Sequence[str] = (),
                 fresh: Sequence[str] = ()) -> tuple[Answer, Relevance]:
        """The extractive (or refusal) answer and the relevance that decided between them.

        ``documents`` confines the search; they are compared side by side unless ``across`` says they
        are simply searched together: ``places`` named them all, or (not ``named``) they are what is left
        of the library once a question set some aside. ``fresh``: the words a follow-up adds to the turn it goes on
        from (:class:`Scope`).
        """
        retriever, asked = self.pipeline.query(text)
        library = self.library()
        prepared = self._within(asked, documents, library, places) if named else asked
        naming = set(asked.tokens) - set(prepared.tokens)  # the words that named the documents name no subject
        scored = retriever.score(prepared, documents or None)
        hits = retriever.rank(scored, top_k, "hybrid")
        if penalty.asks_penalty(text):  # 「没报批会怎么罚」: the article citing the duty found sets the fine
            hits = penalty.with_penalties(hits, library.chunks_of, MAX_CHUNKS)
        relevance = library.gate.assess(prepared.vector, scored.passage_dense, len(prepared.text))
        if context and not relevance.passes(library.thresholds):
            # 「那每年还要报什么？」 alone reads as an everyday question; with the turn it goes on from, it is not
            _, joined = self.pipeline.query(f"{context}{text}")
            relevance = library.gate.assess(joined.vector, retriever.score(joined, documents).passage_dense,
                                            len(joined.text))
        topic, synonyms = self.pipeline.tokenizer.words(prepared.text), self.pipeline.synonyms
        states = self._stating(prepared.text, topic)
        comparing = not across and grouped.is_comparison(text, documents)
        broad = not comparing and (grouped.is_broad(text) or penalty.lists_penalties(text))
        lead, items, asked, opening = "", [], None, None
        if comparing:  # the best quote of each named document, side by side
            quotes = []
            for document in documents:
                alone = retriever.score(prepared, (document,))
                found = select(retriever, alone, retriever.rank(alone, 2, "hybrid"), limit=2, states=states)
                quotes += grouped.with_items(found, library.chunks_of[document])
            if grouped.is_broad(text):  # 「北京和烟台的条例都作了哪些规定」: every measure of each, not its best
                quotes = _merged(quotes, self._listed(retriever, prepared, scored, library, documents, naming))
        elif broad:  # every measure on the subject, not a top-k sample
            quotes = self._listed(retriever, prepared, scored, library, documents, naming)
        else:
            ranked = framing.last(hits, text)
            # a follow-up's own words (异议 of 「如果有人对公示的内容有异议呢？」) are what it asks: the sentences saying one
            # are quoted, though the turn it goes on from scores the rest higher
            quotes = select(retriever, scored, ranked, states=states,
                            given=_any_of(figures_given(prepared.text),
                                          (lambda s: any(mentions(s, w, synonyms) for w in fresh)) if fresh else None),
                            whole=penalty.asks_penalty(text))
            # 「A和B…有什么不同」: a side whose best article the question's own quotes lack has it quoted next to
            # the best one, as two documents' are side by side
            contrasted = [q for side in grouped.sides(prepared.text) or ()
                          for q in self._best_of(side, retriever, documents, library, places, named, states)]
            quotes = _placed(quotes, contrasted, 1)
            # a measure whose title the question says (「参评机构范围…什么门槛」: 「（八）参评机构范围」) is quoted, from as
            # deep as a case's threshold is looked for
            titled = {c.id for c in grouped.titled(prepared.text, library.chunks_in(documents), lambda c: c.measure)}
            deeper = retriever.rank(scored, CASE_DEPTH, "hybrid")
            said = [h for h in deeper if h.chunk.id in titled][:1]
            quotes = _placed(quotes, select(retriever, scored, said, limit=1, states=states), 1)
            # what a follow-up adds is what it asks (「那要是开发商交的材料不齐呢？」 after 「…多少天内要给结果？」): the best
            # chunk saying all of it answers first, from as deep, when the first quote does not
            if fresh and quotes and not all(mentions(quotes[0].hit.chunk.headed, w, synonyms) for w in fresh):
                saying = [h for h in deeper if all(mentions(h.chunk.headed, w, synonyms) for w in fresh)][:1]
                quotes = _placed(quotes, select(retriever, scored, saying, limit=1, states=states), 0)
            if states is not None:  # the quote stating the figure asked for leads, before the budget runs out
                quotes.sort(key=lambda q: not any(map(states, in_context(q.sentences))))
            quotes += _figure_elsewhere(retriever, scored, ranked, quotes,
                                        figure_about(prepared.text, topic, synonyms))
            # 「…做担保，这样行得通吗？」 is answered where it is allowed or forbidden, next to the best quote, from as deep
            # as a case's threshold is looked for
            allowed = permission_asked(prepared.text, topic, synonyms)
            quotes = _placed(quotes, _figure_elsewhere(retriever, scored, deeper, quotes, allowed, CASE_DEPTH), 1)
            # the threshold a client's case meets (「打8万」: 「每笔超过5万元的，应向其开户银行提供…付款依据」) answers
            # next to the best quote, from deeper down: a short item shares few of a long question's words
            if (meets := case_met(prepared.text)) is not None:
                quotes = _placed(quotes, _case_met(retriever, scored, deeper, quotes, meets, wording(topic),
                                                   synonyms), 1)
            # the article stating the very bound asked for (「最长不超过30年」) answers first
            quotes = _placed(quotes, _figure_elsewhere(retriever, scored, ranked, quotes, bound_asked(prepared.text)), 0)
            # a quoted figure (「“6万元”」) is all the question asks of; a quoted term (「“标准地”」) one word of it
            quoted = _QUOTED.findall(prepared.text)
            quotes = _placed(quotes, _saying(retriever, scored, quotes, quoted),
                             0 if any(quantities(p) for p in quoted) else 1)
            # each further ask of the message (「…多少年？到期想续，什么时候要提出？」) has its best article quoted, from
            # the named documents or the best quote's; an ask that names no figure of its own (「报的是哪一年的数据？」
            # after 「每年什么时候之前要报送数据？」) has the sentence stating the message's first
            within = documents or tuple(dict.fromkeys(q.hit.chunk.document_id for q in quotes[:1]))
            further = [q for ask in grouped.further_asks(prepared.text)
                       for q in self._best_of(ask, retriever, within, library, places, bool(documents),
                                              self._stating(ask, self.pipeline.tokenizer.words(ask)) or states)]
            quotes = _merged(quotes, further)
            if hits:
                best = hits[0].chunk
                lead, items = grouped.listed_under(best, library.chunks_of[best.document_id],
                                                   numbered=not grouped.asks_many(text))
                # a list stating none of the figure asked for answers less than a quote stating it: 「参评机构范围
                # 分别是什么门槛」 is 「（八）参评机构范围…不少于30家…」, not the steps of 「（七）评估流程」
                if items and states is not None and not any(map(states, [lead, *(c.text for c in items)])) and any(
                        states(s) for q in quotes for s in in_context(q.sentences)):
                    lead, items = "", []
                # a lead-in closing the best chunk after the sentences that answer (「…号码与姓名一致但未反馈照片的，
                # 银行机构原则上应继续办理业务。对于…不匹配…的，可采取以下方式…」) has them quoted before its list
                own = next((q for q in quotes if q.hit.chunk.id == best.id), None)
                if items and own is not None and not best.item and lead in (split := split_sentences(best.text)):
                    before = [(s, p) for s, p in zip(own.sentences, own.positions) if p < split.index(lead)]
                    opening = Quote(own.hit, *map(tuple, zip(*before))) if before else None
            # An article whose own list answers it leads: the first quote's, or one of the ten best whose lead-in
            # introduces what is asked and names the subject (「…申请…许可，应当符合下列条件：」 for 「申请许可证要满足
            # 哪些条件」) or whose title is it (「（十三）明确审核内容」). When none does, no one article's list answers
            # it: list every measure.
            asked_what = grouped.asked_for(prepared.text, self.pipeline.tokenizer.phrase_after)
            # an article quoted that enumerates what is asked for in a sentence of its own (「登记事项包括：单位名称、…」)
            # answers before any list of the same kind of thing further down (「…应当核查下列事项：」)
            many = not items and grouped.asks_many(text)
            enumerated = next(((i, e) for i, q in enumerate(quotes) if (e := enumerating(q, asked_what)) is not None),
                              None) if many else None
            if many and enumerated is None and not any(lists(q, asked_what) for q in quotes[:1]):
                further = select(retriever, scored, retriever.rank(scored, LIST_REACH, "hybrid"), limit=LIST_REACH)
                listing = next((q for q in further if lists(q, asked_what, topic, LEAD_SUBJECT)), None)
                if listing is not None:
                    quotes = [listing, *(q for q in quotes if q.hit.chunk.id != listing.hit.chunk.id)]
                # (「各派多少名协商代表？职工方人数有什么要求？」 is answered by the article stating the figure, not by
                # every article on 协商代表; 「有哪些罚款？分别罚多少？」「…多少罚款？把…条款都列出来」 are listings)
                elif not (states is not None and not grouped.asks_every(text)
                          and any(states(s) for q in quotes for s in in_context(q.sentences))) and len(_measures(
                        listed := self._listed(retriever, prepared, scored, library, documents, naming))) > 1:
                    # the chunks a narrow answer would quote keep their sentences, chosen for this question
                    broad, quotes, asked = True, _merged(quotes, listed), quotes
            if many and not broad and quotes:
                if enumerated is not None and not lists(quotes[0], asked_what, topic, LEAD_SUBJECT):
                    quotes = [enumerated[1], *(q for i, q in enumerate(quotes) if i != enumerated[0])]
                elif lists(quotes[0], asked_what):
                    quotes[0] = list_led(quotes[0])
        # A heading states figures too: 「（二）增加支小支农再贷款和再贴现额度共1500亿元」; and the lead-in of a list
        # answered whole what its items are: 「…开立专用存款账户应当提供以下材料：」.
        sentences = [*([lead] if items else []), *(s for q in quotes for s in (q.hit.chunk.measure, *in_context(q.sentences)))]
        # Whether the figure or procedure asked for is stated is read from the quotes that answer the question, not
        # from a list widened around them: 「提交哪些材料」 is not answered by a 「提供虚假材料的」 far down it.
        stating = [s for q in asked for s in (q.hit.chunk.measure, *in_context(q.sentences))] if asked else sentences
        # A question whose every naming word one quoted chunk holds, with what it asks for, is answered
        # however far its wording sits from the policy's in the embedding (「商票最长能开多久？」). An item is read
        # with the lead-in it stands under (「十一、…开立专用存款账户应当提供以下材料：」 says what （一） is).
        passes = relevance.passes(library.thresholds) or (relevance.passage >= library.thresholds.floor and answered_in(
            prepared.text, [f"{h.chunk.part or ''}{h.chunk.headed}" for h in hits[:MAX_CHUNKS]], topic, synonyms))
        if not hits or not passes or unanswered(prepared.text, stating, topic, synonyms, named=bool(documents)):
            return refuse(text, hits, topic, len(documents) if documents else len(library.documents),
                          synonyms), relevance
        evidence = "".join(sentences)
        matched = [w for w in topic if w not in naming and mentions(evidence, w, synonyms)]
        if comparing:
            summary = f"{len(documents)} 份文件中与{topic_phrase(matched)}相关的规定，分别如下："
            quotes = whole(quotes, 2 * MAX_CHARS - len(summary) - 40 * len(quotes))  # side by side, whole if they fit
            return grouped.compose_grouped(text, quotes, library.documents, summary), relevance
        if items:  # the best chunk is one item of a list, or its lead-in: quote the whole list
            return grouped.compose_list(text, lead, items, hits[0].score, states, quotes, opening), relevance
        measures = _measures(quotes)
        if broad and len(measures) > 1:
            summary = f"政策中与{topic_phrase(matched)}相关的措施共 {len(measures)} 条："
            return grouped.compose_grouped(text, quotes, library.documents, summary), relevance
        return compose(text, quotes, matched), relevance

    def _beyond(self, text: str, view: MeasureView) -> bool:
        """Whether most of the question's words (at least ``BEYOND_WORDS`` of them) are not in the measure, and it
        does not ask who carries the measure out (「这条由哪些部门负责？」 asks its 责任单位, whatever words it says)."""
        if aggregate.asks_units(text):
            return False
        said = "".join(c.headed for c in view.chunks)
        words = [w for w in self.pipeline.tokenizer.words(text) if not w.startswith(_POINTING)]
        missing = [w for w in words if not mentions(said, w, self.pipeline.synonyms)]
        return len(missing) >= BEYOND_WORDS and 2 * len(missing) > len(words)

    def _stating(self, text: str, words: list[str]) -> Callable[[str], bool] | None:
        """What tells the sentence answering ``text``: the one stating the figure asked for, when the question says
        what it measures, or else the bound asked for (「最多能占几个席位」: 「不得超过两人」), or else the procedure
        asked for (「要准备什么材料」 is answered by 「应当提供…证明」 alone)."""
        return (figure_asked(text, words, self.pipeline.synonyms, named=True) or bound_asked(text)
                or procedure_asked(text, self.pipeline.synonyms))

    def _best_of(self, text: str, retriever: Retriever, documents: Sequence[str], library: Library,
                 places: Sequence[str], named: bool, states: Callable[[str], bool] | None) -> list[Quote]:
        """The best quote for ``text`` alone, searched as its whole question was."""
        _, asked = self.pipeline.query(text)
        prepared = self._within(asked, documents, library, places) if named else asked
        scored = retriever.score(prepared, documents or None)
        return select(retriever, scored, retriever.rank(scored, 1, "hybrid"), limit=1, states=states)

    def _only_elsewhere(self, text: str, kept: Sequence[str], excluded: Sequence[str], library: Library) -> bool:
        """Whether a word of the question (or its synonym) is held by the set-aside documents and by none kept.

        Search-mode words, so that 中介 of the question's 中介机构 is found in 「职业中介活动」."""
        synonyms = self.pipeline.synonyms
        # (words, not the 21 of 「212号文」)
        groups = [(w, *synonyms.get(w, ())) for w in dict.fromkeys(self.pipeline.tokenizer.tokenize(text))
                  if len(w) > 1 and _HAN.search(w)]
        return any(library.share(g, kept) == 0 and library.share(g, excluded) > 0 for g in groups)

    def _within(self, prepared: Query, documents: Sequence[str], library: Library, places: Sequence[str] = ()) -> Query:
        """The query without the words that most chunks of the named documents hold.

        Every article of 《宁波市台湾同胞投资保障条例》 says 台湾同胞 and 投资: inside it those
        words only reward the articles that restate the title (第一条, 第二条) over the one asked
        about. The embedding keeps the whole question.
        """
        if not documents:
            return prepared
        if not any(library.chunks_of.get(d) for d in documents):
            return prepared
        # An issuer's name names its document and no subject: 国务院 of 「国务院关于…的指导意见和…方案，在保险方面…」
        # outranked 保险 in both; by any of its names, as 银监会 is the 中国银行业监督管理委员会 a title names in full.
        # (Not a single character: 人 of 「实际控制人」 is no 人民代表大会.)
        issuers = [name for d in documents if d in library.documents for i in library.documents[d].issuers
                   for name in lexicon.body_names().get(i, (i,))]
        # what names them: title and issuers (人民银行 in 「人民银行和银保监会2022年联合发布的…办法」)
        titles = "".join(library.documents[d].title for d in documents if d in library.documents) + "".join(issuers)
        # A title word no other document holds (宁波 of 《宁波市台湾同胞投资保障条例》) names the document too: its
        # library-wide rarity made 「在宁波市举办…展销活动」 outrank the article on 汇回 for 「台湾老板在宁波开厂…」.
        dropped = {t for t in prepared.tokens if t in titles and (
            library.share((t,), documents) >= PERVASIVE or library.only_in(t, documents) or len(t) > 1 and any(t in i for i in issuers))}
        # 上海 of 「外资公司来上海开厂…」 named both 上海 documents, yet other documents say 上海 too; kept, it
        # rewarded the articles that happen to say it (中国（上海）自由贸易试验区) over the one on 优惠.
        dropped |= set(places)
        synonyms, tokenize = self.pipeline.synonyms, self.pipeline.tokenizer.tokenize
        dropped |= {s for t in dropped for s in synonyms.get(t, ())}  # 台胞 for 台湾同胞
        # The synonyms of a term inside a dropped word go too: 绿色 of 绿色金融 brought 新能源, 污水处理,
        # which pulled 《湖州市绿色金融促进条例》's energy articles above the one asked about.
        rest = prepared.text
        for t in sorted(dropped, key=len, reverse=True):
            rest = rest.replace(t, " ")
        lost = set(expand(prepared.text, synonyms)) - set(expand(rest, synonyms))
        own = set(tokenize(rest))
        dropped |= {t for s in lost for t in tokenize(s) if t not in own}
        kept = tuple(t for t in prepared.tokens if t not in dropped)
        return replace(prepared, tokens=kept) if kept else prepared

    def _listed(self, retriever: Retriever, prepared: Query, scored: Scored, library: Library,
                documents: Sequence[str] = (), naming: Collection[str] = ()) -> list[Quote]:
        """The quotes of a broad answer: the best-ranked chunks that carry the question's subject.

        Within named documents a word is judged by their chunks: 福建 is in most of the library (a
        whole policy of Fujian's) yet names a subject inside the State Council's 自贸试验区 measures.
        """
        synonyms = self.pipeline.synonyms
        keywords = self.pipeline.tokenizer.keywords(prepared.text)
        terms = [(k, *synonyms.get(k, ())) for k in keywords if k not in naming]
        penalties = penalty.asks_penalties(prepared.text)
        if penalties:  # 「规定了哪些处罚」: every article that imposes one
            terms.append(penalty.SANCTIONS)
        ranked = retriever.rank(scored, grouped.BROAD_MAX * grouped.BROAD_WIDEN, "hybrid")
        share = lambda group: library.share(group, documents)  # noqa: E731
        subject = grouped.subject_of(terms, share, grouped.GENERIC_WITHIN if documents else grouped.GENERIC)
        # an aspect the question enumerates is asked about even where a third of the document holds it
        compounds = [(c, *synonyms.get(c, ())) for c in grouped.enumerated(prepared.text, self.pipeline.tokenizer.words)
                     if c not in keywords and c not in naming]
        subject += grouped.subject_of(compounds, share, grouped.ENUMERATED)
        # (企业 of 「跟企业融资有关的」 names nothing: most of the library holds it)
        named = [t for phrase in grouped.related(prepared.text) for k in self.pipeline.tokenizer.keywords(phrase)
                 for t in terms if t[0] == k and t not in subject and library.share(t) <= grouped.GENERIC]
        subject += grouped.subject_of(named, share, grouped.ENUMERATED)
        subject = grouped.topical(subject, grouped.asked_for(prepared.text, self.pipeline.tokenizer.phrase_after))
        listed = grouped.on_subject(ranked, subject, scored.bm25, self.pipeline.index.positions, scored.dense)
        # A measure whose note says it applies to the subject (「适用范围：福建自贸试验区」) is on it however its
        # wording ranks.
        listed = [h for h in listed if h.score >= grouped.BROAD_RATIO * listed[0].score
                  or grouped.noted(h.chunk, subject)] if listed else []
        # A measure brought along by its neighbours ranks with the weaker of them, ahead of stray matches.
        listed = sorted(listed + grouped.between(listed, library.chunks_of, subject), key=lambda h: -h.score)
        # the chunks with the subject's words are the ones BROAD_MAX keeps, a document's purpose and scope last
        listed = framing.last(sorted(listed, key=lambda h: not grouped.carries(h.chunk, subject)), prepared.text, True)
        # the measures of a part the question names by its title lead, each of them, as the best-ranked do
        titled = grouped.titled(prepared.text, library.chunks_in(documents), lambda c: c.part)
        if titled and listed:
            top = max(h.score for h in listed)
            ids = {c.id for c in titled}
            rest = [] if grouped.asks_part(prepared.text) else [h for h in listed if h.chunk.id not in ids]
            listed = [Hit(c, top, 0) for c in titled] + rest
        if penalties:
            listed = penalty.imposing_first(listed)
        listed = listed[:grouped.BROAD_MAX]
        # the articles fining a breach of the listed ones take the room left, not the place of a measure on the subject
        listed += penalty.citing(listed, library.chunks_of)[:grouped.BROAD_MAX - len(listed)]
        # each clause of a listed article that imposes a sanction is quoted
        return select(retriever, scored, listed, limit=grouped.BROAD_MAX, keep=0.0, sentences=2,
                      given=penalty.imposes if penalties else None)

    def search(self, query: str, top_k: int = 5, mode: SearchMode = "hybrid") -> list[Hit]:
        return self.pipeline.search(query, top_k, mode)

    def library(self) -> Library:
        """The live index's outline, document names, gate and chunks by document, derived once per index version."""
        index = self.pipeline.index
        if self._library is None or self._library.version != index.version:
            built = index.manifest.model
            forms = support_bank(question_forms(index.chunks), self.pipeline.embedder,
                                 self.pipeline.config.home / "cache",
                                 vectors_key(built.fingerprint, built.backend, built.precision))
            chunks_of: dict[str, list[Chunk]] = {}
            annexes: dict[str, set[str]] = {}
            for c in index.chunks:
                chunks_of.setdefault(c.document_id, []).append(c)
                if title := annex_title(c.part):
                    annexes.setdefault(c.document_id, set()).add(title)
            self._library = Library(index.version, outline_from_chunks(index.chunks), index.documents,
                                    DocumentNames(index.manifest.documents, self.pipeline.tokenizer, annexes),
                                    Gate(forms, self.banks.without(self._gate_record(index.manifest).answered)),
                                    self._thresholds(index.manifest), chunks_of,
                                    definition.definitions(index.chunks))
        return self._library

    def outline(self) -> list[MeasureView]:
        return self.library().outline

    @staticmethod
    def _gate_record(manifest: Manifest) -> GateRecord:
        if manifest.gate is None:
            raise IndexMismatchError(f"the index has no refusal-gate calibration; {REBUILD_HINT}")
        return manifest.gate

    def _thresholds(self, manifest: Manifest) -> Thresholds:
        return Thresholds.of(self._gate_record(manifest)).shifted(self.refusal_shift)

    def measure(self, key: str, document_id: str | None = None) -> MeasureView | None:
        return find_measure(self.outline(), key, document_id)

    def reload_if_changed(self) -> bool:
        """Swap in a newer index; cached answers are keyed by version, so none goes stale."""
        return self.pipeline.reload_if_changed()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length query embeddings of ``texts`` (one row each), e.g. to group logged questions by meaning."""
        return self.pipeline.embedder.encode_queries(list(texts))


def _measures(quotes: Sequence[Quote]) -> set[tuple[str, str]]:
    """The (document, measure) pairs the quotes come from."""
    return {(q.hit.chunk.document_id, q.hit.chunk.measure) for q in quotes}


def _saying(retriever: Retriever, scored: Scored, quotes: list[Quote], phrases: Sequence[str]) -> list[Quote]:
    """The best-ranked chunks holding the words the question puts in quotation marks, when no quote holds them:
    「个税实施条例里有两处都提到“6万元”，分别是在讲什么？」 asks for the two articles that say 6万元, which share
    no other word with it."""
    if not phrases or any(p in q.hit.chunk.text for q in quotes for p in phrases):
        return []
    # however far down they rank: the quoted words are all the question says of them
    ranked = retriever.rank(scored, len(retriever.index.positions), "hybrid")
    saying = [h for h in ranked if any(p in h.chunk.text for p in phrases)][:MAX_CHUNKS]
    return select(retriever, scored, saying, limit=len(saying), keep=0.0,
                  given=lambda sentence: any(p in sentence for p in phrases))


def _figure_elsewhere(retriever: Retriever, scored: Scored, hits: list[Hit], quotes: list[Quote],
                      states: Callable[[str], bool] | None, depth: int = MAX_CHUNKS) -> list[Quote]:
    """The first of the best hits left out that states the figure asked for, when no quote does: the article
    that gives it may rank below the one that names the subject (「不得…以次充好…」 above 「…有欺诈行为的，
    …三倍」) and fall under the quoting ratio."""
    if states is None or any(states(s) for q in quotes for s in in_context(q.sentences)):
        return []
    quoted = {q.hit.chunk.id for q in quotes}
    for hit in hits[:depth]:
        if hit.chunk.id in quoted:
            continue
        found = select(retriever, scored, [hit], limit=1, states=states)
        if any(states(s) for q in found for s in in_context(q.sentences)):
            return found
    return []


def _case_met(retriever: Retriever, scored: Scored, hits: list[Hit], quotes: list[Quote], meets: Callable[[str], int],
              words: list[str], synonyms: dict[str, tuple[str, ...]]) -> list[Quote]:
    """The hit whose sentence takes in the question's case (see :func:`case_met`) and shares most of ``words``
    (one at least), a range before an open threshold, unless it is quoted already: 「缴费时间一至四年的」 answers
    「交了三年」 before 「累计满一年」 does."""
    best, key = None, (0, 0)
    for hit in hits:
        for sentence in split_sentences(hit.chunk.text):
            if (closeness := meets(sentence)) and (k := (sum(mentions(sentence, w, synonyms) for w in words),
                                                         closeness)) > key:
                best, key = hit, k
    if best is None or best.chunk.id in {q.hit.chunk.id for q in quotes}:
        return []
    return select(retriever, scored, [best], limit=1, given=lambda sentence: meets(sentence) > 0)


def _any_of(*tests: Callable[[str], bool] | None) -> Callable[[str], bool] | None:
    """A sentence test met when one of ``tests`` (those given) is; None when none is given."""
    given = [t for t in tests if t is not None]
    return (lambda sentence: any(t(sentence) for t in given)) if given else None


def _placed(quotes: list[Quote], more: Sequence[Quote], at: int) -> list[Quote]:
    """``more`` quoted after the first ``at`` of ``quotes``, each chunk once."""
    return _merged(quotes[:at], _merged(list(more), quotes[at:]))


def _merged(quotes: list[Quote], more: Sequence[Quote]) -> list[Quote]:
    """``quotes`` followed by those of ``more`` from other chunks: a chunk quoted already keeps its sentences."""
    have = {q.hit.chunk.id for q in quotes}
    return quotes + [q for q in more if q.hit.chunk.id not in have]


def _pointed(views: Sequence[MeasureView], quoted: str) -> MeasureView | None:
    """The measure (or, when the quote names one, the item of it) that a follow-up took from the previous answer.

    An untitled measure (「（四十四）」) is quoted with the opening words after its number, so its
    bare number heading is a prefix of what was quoted. An item comes after 「 · 」, as answers
    write it, or straight after the measure's number (「（四）3.推进排水设施提质增效」): its own
    chunks, and so its own 责任单位, answer 「这条的责任单位是谁？」.
    """
    measure, _, item = (p.strip() for p in quoted.partition("·"))
    numbered = _ITEM_AFTER_NUMBER.match(measure)
    if numbered and not item:
        measure, item = numbered.group(1), numbered.group(2)
    for view in views:
        heading = view.heading
        if heading.startswith(measure) or (heading.endswith(("）", ")")) and measure.startswith(heading)):
            chunks = tuple(c for c in view.chunks if item and c.item and _same_item(c.item, item))
            return replace(view, chunks=chunks) if chunks else view
    return None


def _same_item(item: str, quoted: str) -> bool:
    """Items of one measure are told apart by their number (「3.」), else by their opening words."""
    own, asked = _ITEM_NUMBER.match(item), _ITEM_NUMBER.match(quoted)
    if own and asked:
        return own.group(1) == asked.group(1)
    return item.startswith(quoted) or quoted.startswith(item)
