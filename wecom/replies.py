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


def check_question(question: str, max_chars: int) -> str:
    """The stripped question; :class:`QuestionError` when it is empty or longer than ``max_chars``."""
    question = question.strip()
    if not question:
        raise QuestionError("问题为空")
    if len(question) > max_chars:
        raise QuestionError(f"问题有 {len(question)} 字，最多 {max_chars} 字，请精简后再问")
    return question


def limited(ask: Ask, max_chars: int) -> Ask:
    """``ask`` behind :func:`check_question`, so chat channels keep the API's length limit."""
    return lambda question: ask(check_question(question, max_chars))


def answer_text(ask: Ask, question: str, render: Callable[[Answer], str]) -> str:
    """``render(ask(question))``, or a polite sentence when answering fails.

    Runs in worker threads where an exception would be lost and the user left waiting,
    so every failure becomes text; unexpected ones are logged with their traceback.
    """
    try:
        return render(ask(question))
    except QuestionError as err:
        return f"这个问题无法查询：{err}"
    except Exception:
        log.exception("answering a WeCom question failed")
        return FAILED
