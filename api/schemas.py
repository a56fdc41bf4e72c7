"""Request and response models of the JSON API and the OpenAI-compatible endpoint."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rag.outline import MeasureView
from rag.types import Answer, Citation, Hit

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class HistoryTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class AskRequest(BaseModel):
    question: NonBlank = Field(description="The question (at most POLICY_QA_MAX_QUESTION_CHARS characters).",
                               examples=["科技型企业有哪些融资支持？"])
    top_k: int = Field(5, ge=1, le=20, description="Passages to retrieve.")
    history: list[HistoryTurn] = Field(default_factory=list, description="Earlier turns, oldest first.")


class CitationOut(BaseModel):
    ref: int = Field(description="The [n] marker in the answer.")
    chunk_id: str
    document: str
    part: str | None
    measure: str
    item: str | None
    text: str = Field(description="Exact source text of the policy.")
    responsible_units: list[str]
    score: float

    @classmethod
    def of(cls, citation: Citation) -> "CitationOut":
        return cls(**citation.to_dict())


class AskResponse(BaseModel):
    question: str
    answer: str
    found: bool = Field(description="False when the policy does not cover the question (a refusal).")
    kind: str = Field(description="retrieval, refusal, aggregate or llm.")
    related: list[str] = Field(description="Nearest measures offered with a refusal.")
    citations: list[CitationOut]
    latency_ms: float

    @classmethod
    def of(cls, question: str, answer: Answer, latency_ms: float) -> "AskResponse":
        return cls(question=question, answer=answer.text, found=answer.found, kind=answer.kind,
                   related=list(answer.related), citations=[CitationOut.of(c) for c in answer.citations],
                   latency_ms=round(latency_ms, 2))


class SearchRequest(BaseModel):
    query: NonBlank = Field(examples=["绿色金融"])
    top_k: int = Field(5, ge=1, le=20)
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"


class SearchResult(BaseModel):
    rank: int
    score: float
    chunk_id: str
    document: str
    part: str | None
    measure: str
    item: str | None
    text: str
    responsible_units: list[str]

    @classmethod
    def of(cls, hit: Hit) -> "SearchResult":
        c = hit.chunk
        return cls(rank=hit.rank, score=round(hit.score, 6), chunk_id=c.id, document=c.document, part=c.part,
                   measure=c.measure, item=c.item, text=c.text, responsible_units=list(c.responsible_units))


class SearchResponse(BaseModel):
    query: str
    mode: str
    results: list[SearchResult]


class MeasureSummary(BaseModel):
    id: str = Field(description="Stable hash id; /api/measures/{id} also accepts the number (6, 六, （六）).")
    number: int | None
    heading: str
    title: str
    part: str | None
    document: str
    items: list[str]
    responsible_units: list[str]

    @classmethod
    def of(cls, view: MeasureView) -> "MeasureSummary":
        return cls(id=view.id, number=view.number, heading=view.heading, title=view.title, part=view.part,
                   document=view.document, items=list(view.items), responsible_units=list(view.responsible_units))


class MeasureChunk(BaseModel):
    chunk_id: str
    item: str | None
    text: str
    responsible_units: list[str]


class MeasureDetail(MeasureSummary):
    text: str
    chunks: list[MeasureChunk]

    @classmethod
    def of(cls, view: MeasureView) -> "MeasureDetail":
        chunks = [MeasureChunk(chunk_id=c.id, item=c.item, text=c.text, responsible_units=list(c.responsible_units))
                  for c in view.chunks]
        return cls(**MeasureSummary.of(view).model_dump(), text=view.text, chunks=chunks)


class IndexSummary(BaseModel):
    version: str
    chunk_count: int | None
    model: dict
    index_type: str | None
    built_at: str | None
    corpus_hash: str | None
    documents: list[str] = Field(description="Titles of the indexed documents.")


class Health(BaseModel):
    status: Literal["ok"]
    model: str
    chunks: int
    index: IndexSummary


class Unavailable(BaseModel):
    status: Literal["loading", "error"]
    detail: str


class TextPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[TextPart] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    # OpenAI clients send temperature, max_tokens, user...; they do not change an extractive answer.
    model_config = ConfigDict(extra="allow")
    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False


class ReplyMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: ReplyMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    found: bool
    citations: list[CitationOut]


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
