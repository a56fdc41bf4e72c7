"""OpenAI-compatible chat: any OpenAI client or bot framework can use the policy assistant.

The last user message is the question and earlier user/assistant turns are its history.
The reply's content is the answer followed by a Markdown list of its citations; the same
citations are also returned structured, in ``citations``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep, SettingsDep
from api.errors import check_question
from api.recording import record
from api.routes import guarded_router
from api.schemas import ChatCompletion, ChatRequest, Choice, CitationOut, ModelCard, ModelList, ReplyMessage
from rag.assistant import Turn
from rag.settings import Settings
from rag.types import Answer, Citation

MODEL_ID = "policy-qa"
PIECE_CHARS = 24  # the answer is composed at once; pieces let clients render it as usual
_STARTED = int(time.time())

router = guarded_router("openai")


def render_citation(c: Citation) -> str:
    units = f"（{c.chunk.note}）" if c.chunk.note else ""
    return f"- [{c.ref}] {c.source} {c.chunk.where}：{c.chunk.text}{units}"


def render_content(answer: Answer) -> str:
    """The answer text, then its sources as a Markdown list (absent when nothing is cited)."""
    if not answer.citations:
        return answer.text
    return "\n".join((answer.text, "", "**引用来源**", *(render_citation(c) for c in answer.citations)))


def split_question(request: ChatRequest, settings: Settings) -> tuple[str, list[Turn]]:
    last_user = next((i for i in range(len(request.messages) - 1, -1, -1)
                      if request.messages[i].role == "user"), None)
    if last_user is None:
        raise RequestValidationError([{"type": "missing", "loc": ("body", "messages"),
                                       "msg": "messages must contain a user message (the question)"}])
    question = check_question(request.messages[last_user].text, settings,
                              ("body", "messages", last_user, "content"))
    history = [Turn(m.role, m.text) for m in request.messages[:last_user]
               if m.role in ("user", "assistant") and m.text.strip()]
    return question, history


def _sse(obj: dict) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


def stream_events(completion: ChatCompletion) -> Iterator[str]:
    """chat.completion.chunk events: the role, content pieces, the stop with citations, [DONE]."""
    head = {"id": completion.id, "object": "chat.completion.chunk", "created": completion.created,
            "model": completion.model}
    content = completion.choices[0].message.content

    def chunk(delta: dict, finish: str | None = None, **extra) -> str:
        return _sse({**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra})

    yield chunk({"role": "assistant"})
    for i in range(0, len(content), PIECE_CHARS):
        yield chunk({"content": content[i:i + PIECE_CHARS]})
    yield chunk({}, "stop", found=completion.found,
                citations=[c.model_dump() for c in completion.citations])
    yield "data: [DONE]\n\n"


@router.post("/v1/chat/completions", response_model=ChatCompletion,
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "A chat.completion, or with stream=true chat.completion.chunk events."}})
async def chat_completions(body: ChatRequest, request: Request, service: ServiceDep, settings: SettingsDep):
    """OpenAI chat schema; ``"stream": true`` answers with Server-Sent Events ending in ``data: [DONE]``."""
    question, history = split_question(body, settings)
    start = time.perf_counter()
    answer = await run_in_threadpool(service.ask, question, history, settings.top_k)
    record(request, service, answer, "openai", (time.perf_counter() - start) * 1000)
    completion = ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex}", created=int(time.time()), model=MODEL_ID,
        choices=[Choice(message=ReplyMessage(content=render_content(answer)))],
        found=answer.found, citations=[CitationOut.of(c) for c in answer.citations])
    if body.stream:
        return StreamingResponse(stream_events(completion), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    return completion


@router.get("/v1/models", response_model=ModelList)
def models() -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL_ID, created=_STARTED, owned_by="policy-qa")])
