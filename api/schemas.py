"""Request and response models of the JSON API and the OpenAI-compatible endpoint."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rag.corpus.outline import MeasureView
from rag.types import Answer, AnswerKind, Chunk, Citation, DocumentInfo, Hit, SearchMode, document_fields

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class HistoryTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class AskRequest(BaseModel):
    question: NonBlank = Field(description="The question (at most POLICY_QA_MAX_QUESTION_CHARS characters).",
                               examples=["科技型企业有哪些融资支持？"])
    top_k: int = Field(5, ge=1, le=20, description="Passages to retrieve.")
    history: list[HistoryTurn] = Field(default_factory=list, description="Earlier turns, oldest first.")


class ChunkOut(BaseModel):
    """A chunk of a policy as every endpoint shows it: its document, where it stands, its exact wording."""

    chunk_id: str
    document_id: str
    title: str = Field(description="The document's title.")
    number: str | None = Field(description="The document's 文号, when it has one.")
    issuers: list[str]
    date: str | None = Field(description="The document's date (published, else signed, else effective), ISO.")
    document: str = Field(description="The document's title (kept for older clients; same as title).")
    part: str | None
    measure: str
    item: str | None
    text: str = Field(description="Exact source text of the policy.")
    responsible_units: list[str]
    lead_units: list[str] = Field(description="The 牵头单位 among responsible_units, when the note names them.")

    @staticmethod
    def fields(chunk: Chunk, document: DocumentInfo | None) -> dict:
        return {"chunk_id": chunk.id, "document": chunk.document, "part": chunk.part, "measure": chunk.measure,
                "item": chunk.item, "text": chunk.text, "responsible_units": list(chunk.responsible_units),
                "lead_units": list(chunk.lead_units), **document_fields(chunk, document)}

    @classmethod
    def of(cls, chunk: Chunk, document: DocumentInfo | None = None) -> ChunkOut:
        return cls(**cls.fields(chunk, document))


class CitationOut(ChunkOut):
    ref: int = Field(description="The [n] marker in the answer.")
    score: float

    @classmethod
    def of(cls, citation: Citation) -> CitationOut:
        return cls(**citation.to_dict())


class AskResponse(BaseModel):
    question: str
    answer: str
    found: bool = Field(description="False when the policy does not cover the question (a refusal).")
    kind: AnswerKind
    related: list[str] = Field(description="Nearest measures offered with a refusal.")
    citations: list[CitationOut]
    latency_ms: float
    answer_id: str | None = Field(None, description="Names this answer for POST /api/feedback (absent from the CLI).")

    @classmethod
    def of(cls, question: str, answer: Answer, latency_ms: float, answer_id: str | None = None) -> AskResponse:
        return cls(question=question, answer=answer.text, found=answer.found, kind=answer.kind,
                   related=list(answer.related), citations=[CitationOut.of(c) for c in answer.citations],
                   latency_ms=round(latency_ms, 2), answer_id=answer_id)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] = Field(
        description="The answer_id POST /api/ask returned.")
    rating: Literal["up", "down"] = Field(description="👍 (up) or 👎 (down).")
    comment: str | None = Field(None, max_length=1000, description="What was wrong or missing (optional).")


class FeedbackResponse(BaseModel):
    answer_id: str
    rating: Literal["up", "down"]


class SearchRequest(BaseModel):
    query: NonBlank = Field(examples=["绿色金融"])
    top_k: int = Field(5, ge=1, le=20)
    mode: SearchMode = "hybrid"


class SearchResult(ChunkOut):
    rank: int
    score: float

    @classmethod
    def of(cls, hit: Hit, document: DocumentInfo | None) -> SearchResult:
        return cls(rank=hit.rank, score=round(hit.score, 6), **ChunkOut.fields(hit.chunk, document))


class SearchResponse(BaseModel):
    query: str
    mode: SearchMode
    results: list[SearchResult]


class MeasureSummary(BaseModel):
    id: str = Field(description="Stable hash id; /api/measures/{id} also accepts the number (6, 六, （六）).")
    number: int | None
    heading: str
    title: str
    part: str | None
    document: str
    document_id: str
    items: list[str]
    responsible_units: list[str]
    note: str = Field("", description="Who carries it out, as the document words it (「责任单位：…」, 「负责部门：…」).")

    @classmethod
    def of(cls, view: MeasureView) -> MeasureSummary:
        return cls(id=view.id, number=view.number, heading=view.heading, title=view.title, part=view.part,
                   document=view.document, document_id=view.document_id, items=list(view.items),
                   responsible_units=list(view.responsible_units), note=view.note)


class MeasureDetail(MeasureSummary):
    text: str
    chunks: list[ChunkOut]

    @classmethod
    def of(cls, view: MeasureView, document: DocumentInfo | None = None) -> MeasureDetail:
        return cls(**MeasureSummary.of(view).model_dump(), text=view.text,
                   chunks=[ChunkOut.of(c, document) for c in view.chunks])


class DocumentOut(BaseModel):
    """A document of the library: its identity, and how many chunks the index holds of it."""

    id: str
    title: str
    number: str | None = Field(description="文号")
    issuers: list[str]
    signed: str | None = Field(description="成文日期, ISO")
    published: str | None = Field(description="发布日期, ISO")
    effective: str | None = Field(description="施行日期, ISO")
    date: str | None = Field(description="published, else signed, else effective")
    region: str | None = Field(description="national, province or city")
    type: str | None = Field(description="条例, 办法, 意见, 措施, 方案, 通知 …")
    status: str = Field(description="in_force, repealed or unknown")
    notice_title: str | None
    source: str = Field(description="File name in the corpus folder.")
    chunks: int

    @classmethod
    def of(cls, document: DocumentInfo, chunks: int) -> DocumentOut:
        data = document.as_dict()
        data.pop("preamble", None)
        return cls(**data, chunks=chunks)


class DocumentDetail(DocumentOut):
    measures: list[MeasureSummary]


class LibraryChange(BaseModel):
    """What adding or removing a document did to the index."""

    documents: int
    chunks: int
    embedded: int = Field(description="Passages encoded by this build.")
    reused: int = Field(description="Passages taken from the document cache.")
    document: DocumentOut | None = Field(None, description="The added document.")


class IndexSummary(BaseModel):
    version: str
    chunk_count: int | None
    model: dict
    index_type: str | None
    built_at: str | None
    corpus_hash: str | None
    documents: list[str] = Field(description="Titles of the indexed documents.")


class LogStatus(BaseModel):
    """The conversation log's writer in this worker: what it wrote, holds, dropped, and failed to write."""

    written: int
    pending: int
    dropped: int
    failures: int = Field(description="Batches the database refused; they stay queued and are retried.")


class EncoderStatus(BaseModel):
    backend: str
    precision: str
    lone_question_cores: int | None = Field(
        None, description="Cores a question encoded while no other is runs on (POLICY_QA_CORES); "
                          "null where the runtime decides (torch).")


class Health(BaseModel):
    status: Literal["ok"]
    model: str
    chunks: int
    index: IndexSummary
    encoder: EncoderStatus
    log: LogStatus | None = Field(None, description="Absent when the log is off (POLICY_QA_LOG_ANSWERS=off).")


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
