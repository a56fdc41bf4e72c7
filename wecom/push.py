"""Push an answer to a WeCom group robot (群机器人) webhook as markdown."""

from __future__ import annotations

import httpx

from rag.types import Answer
from wecom.errors import PushError
from wecom.format import group_markdown


def _where(webhook_url: str) -> str:
    # The webhook's ``key`` query parameter is a credential: name only the host.
    try:
        return httpx.URL(webhook_url).host or "the webhook"
    except httpx.InvalidURL:
        return "an invalid webhook URL"


def push_markdown(
    webhook_url: str, answer: Answer, client: httpx.Client | None = None, timeout: float = 10.0
) -> str:
    """Post ``answer`` as a markdown message (at most 4,096 bytes) and return the content posted.

    Raises :class:`PushError` when the robot cannot be reached, answers non-2xx or a non-zero errcode.
    """
    content = group_markdown(answer)
    payload = {"msgtype": "markdown", "markdown": {"content": content}}
    try:
        if client is None:
            with httpx.Client(timeout=timeout) as own:
                response = own.post(webhook_url, json=payload)
        else:
            response = client.post(webhook_url, json=payload)
    except (httpx.HTTPError, httpx.InvalidURL) as err:
        raise PushError(f"push to {_where(webhook_url)} failed: {type(err).__name__}") from err
    _check(response, _where(webhook_url))
    return content


def _check(response: httpx.Response, where: str) -> None:
    if not response.is_success:
        raise PushError(f"push to {where} answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise PushError(f"push to {where} answered non-JSON: {response.text[:100]!r}") from None
    errcode = body.get("errcode") if isinstance(body, dict) else None
    if errcode != 0:
        errmsg = body.get("errmsg", "") if isinstance(body, dict) else body
        raise PushError(f"push to {where} answered errcode {errcode!r}: {errmsg}")
