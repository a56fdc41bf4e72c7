"""Optional LLM generation over any OpenAI-compatible chat endpoint (Qwen, DeepSeek, vLLM ...).

The model is shown only the passages the extractive answer cites and the question, never
the corpus. Its reply replaces the extractive answer only when :func:`rag.answering.validate.validate`
finds nothing unsupported in it; a slow, failing or inventive model therefore costs the
user nothing but the wait, and they get the extractive answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from rag.answering.validate import marker_refs, normalise_markers, validate
from rag.data import DATA_DIR
from rag.errors import LLMConfigError, LLMError
from rag.types import Answer, Citation

log = logging.getLogger("policy_qa.llm")

SYSTEM_PROMPT_FILE = DATA_DIR / "system_prompt.txt"

_THINKING = re.compile(r"<think>.*?</think>", re.S)


@dataclass(frozen=True)
class ChatConfig:
    """Where the chat endpoint is; ``base_url`` ends before ``/chat/completions`` (…/v1)."""

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)  # kept out of reprs and logs
    timeout: float = 20.0


class ChatClient:
    """A minimal OpenAI-compatible ``/chat/completions`` client (temperature 0, no streaming)."""

    def __init__(self, config: ChatConfig):
        self.config = config
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._http = httpx.Client(base_url=config.base_url.rstrip("/"), headers=headers, timeout=config.timeout)

    def complete(self, messages: Sequence[dict[str, str]]) -> str:
        """The assistant message's text; LLMError for transport, status or shape problems."""
        body = {"model": self.config.model, "temperature": 0, "stream": False, "messages": list(messages)}
        try:
            response = self._http.post("/chat/completions", json=body)
        except httpx.HTTPError as err:
            raise LLMError(f"{type(err).__name__} calling {self.config.base_url}") from err
        if response.status_code != 200:
            raise LLMError(f"{self.config.base_url} answered HTTP {response.status_code}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as err:
            raise LLMError(f"{self.config.base_url} sent a reply that is not a chat completion") from err
        if not isinstance(content, str):
            raise LLMError(f"{self.config.base_url} sent no text content")
        return content

    def close(self) -> None:
        self._http.close()


def format_passage(c: Citation) -> str:
    lines = [f"[{c.ref}] 文件：{c.source}", f"措施：{c.chunk.measure}"]
    if c.chunk.item:
        lines.append(f"事项：{c.chunk.item}")
    lines.append(c.chunk.note or "责任单位：未列明")
    lines.append(f"原文：{c.chunk.text}")
    return "\n".join(lines)


def load_system_prompt(path: Path | None = None) -> str:
    """The instructions the model gets, kept as a data file (``POLICY_QA_LLM_PROMPT_FILE`` replaces it)."""
    return (path or SYSTEM_PROMPT_FILE).read_text(encoding="utf-8").strip()


def build_messages(question: str, citations: Sequence[Citation], system_prompt: str | None = None
                   ) -> list[dict[str, str]]:
    """The system prompt, then one user message: the cited passages and the question."""
    system_prompt = load_system_prompt() if system_prompt is None else system_prompt
    passages = "\n\n".join(format_passage(c) for c in citations)
    user = f"政策原文片段：\n\n{passages}\n\n问题：{question}"
    return [{"role": "system", "content": system_prompt}, {"role": "user", "content": user}]


def clean_reply(reply: str) -> str:
    """The answer lines of a reply: reasoning blocks dropped, markers as ``[n]``, no blank lines."""
    text = normalise_markers(_THINKING.sub("", reply))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def answer_from_reply(extractive: Answer, text: str) -> Answer:
    """An ``llm`` answer keeping the extractive answer's citations the text refers to."""
    lines = text.splitlines()
    refs = set(marker_refs(text))
    citations = tuple(c for c in extractive.citations if c.ref in refs)
    return Answer(extractive.question, lines[0], tuple(lines[1:]), citations, True, "llm", extractive.related)


class LLMGenerator:
    """Rewrites retrieval answers with a chat model; None keeps the extractive answer."""

    def __init__(self, client: ChatClient, system_prompt: str | None = None):
        self.client = client
        self.system_prompt = load_system_prompt() if system_prompt is None else system_prompt

    def generate(self, question: str, extractive: Answer) -> Answer | None:
        # Refusals must stay refusals, and aggregate answers are complete lists built
        # from the outline: a model could only drop entries from them.
        if not extractive.found or extractive.kind != "retrieval" or not extractive.citations:
            return None
        try:
            reply = self.client.complete(build_messages(question, extractive.citations, self.system_prompt))
        except LLMError as err:
            log.warning("LLM unavailable, keeping the extractive answer: %s", err)
            return None
        text = clean_reply(reply)
        problems = validate(text, extractive.citations)
        if problems:
            log.warning("LLM answer rejected, keeping the extractive answer: %s", "; ".join(problems))
            return None
        return answer_from_reply(extractive, text)


def generator_from_settings(settings) -> LLMGenerator | None:
    """The configured generator, or None when ``POLICY_QA_LLM_BASE_URL`` is unset."""
    if not settings.llm_base_url:
        return None
    if not settings.llm_model:
        raise LLMConfigError("POLICY_QA_LLM_MODEL must name the chat model when POLICY_QA_LLM_BASE_URL is set")
    config = ChatConfig(settings.llm_base_url, settings.llm_model, settings.llm_api_key or None, settings.llm_timeout)
    return LLMGenerator(ChatClient(config), load_system_prompt(settings.llm_prompt_file))
