"""The fixed sentences both callback channels send, and answering without ever raising."""

from __future__ import annotations

import logging
from collections.abc import Callable

from rag.errors import QuestionError
from rag.types import Answer

log = logging.getLogger(__name__)

PENDING = "正在查询政策…"
UNSUPPORTED = "目前只能回答文字提问，请用文字描述您想了解的政策问题。"
EMPTY_QUESTION = "请在消息中写下您想了解的政策问题。"
EXPIRED = "这次查询已过期，请重新提问。"
FAILED = "抱歉，查询暂时出错，请稍后再试。"

Ask = Callable[[str], Answer]


def refusal(msg_type: str, question: str) -> str | None:
    """The fixed reply to a message that asks nothing; ``None`` for a text with a question."""
    if msg_type != "text":
        return UNSUPPORTED
    if not question:
        return EMPTY_QUESTION
    return None


def polite(err: QuestionError) -> str:
    """A refused question in the user's language, with what to change."""
    if err.problem == "too_long":
        return f"这个问题无法查询：问题有 {err.length} 字，最多 {err.limit} 字，请精简后再问。"
    if err.problem == "empty":
        return EMPTY_QUESTION
    return f"这个问题无法查询：{err}"


def answer_text(ask: Ask, question: str, render: Callable[[Answer], str]) -> str:
    """``render(ask(question))``, or a polite sentence when answering fails.

    Runs in worker threads where an exception would be lost and the user left waiting,
    so every failure becomes text; unexpected ones are logged with their traceback.
    """
    try:
        return render(ask(question))
    except QuestionError as err:
        return polite(err)
    except Exception:
        log.exception("answering a WeCom question failed")
        return FAILED
