"""Request dependencies: the app's settings and its assistant (absent while the index loads)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from rag.assistant import Assistant
from rag.errors import PolicyQAError
from rag.settings import Settings

LOADING = "the index is still loading; try again in a few seconds"


def current_assistant(state: Any) -> Assistant:
    """The live assistant of ``app.state``; PolicyQAError (load failure or still loading) otherwise."""
    assistant = getattr(state, "assistant", None)
    if assistant is None:
        raise PolicyQAError(getattr(state, "load_error", None) or LOADING)
    return assistant


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _service(request: Request) -> Assistant:
    try:
        return current_assistant(request.app.state)
    except PolicyQAError as err:
        raise HTTPException(status_code=503, detail=str(err), headers={"Retry-After": "5"}) from None


SettingsDep = Annotated[Settings, Depends(_settings)]
ServiceDep = Annotated[Assistant, Depends(_service)]
