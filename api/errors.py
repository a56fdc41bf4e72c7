"""Exception handlers: every failure becomes a JSON ``detail``, never a stack trace."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from rag.assistant import check_question as assistant_check
from rag.errors import PolicyQAError, QuestionError
from rag.settings import Settings

_PROBLEM_TYPES = {"empty": "string_too_short", "too_long": "string_too_long"}


def check_question(text: str, settings: Settings, loc: tuple = ("body", "question")) -> str:
    """The stripped question, or a 422 in the same shape as the schema's own errors."""
    try:
        return assistant_check(text, settings.max_question_chars)
    except QuestionError as err:
        message = str(err).replace("the question", str(loc[-1]), 1)
        raise RequestValidationError([{"type": _PROBLEM_TYPES.get(err.problem, "value_error"), "loc": loc,
                                       "msg": message}]) from None


def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    # The default handler echoes the offending input, which may be bytes that are not UTF-8
    # (and would then fail to serialise); location, message and type are what a client needs.
    errors = []
    for e in exc.errors():
        errors.append({"loc": list(e.get("loc", ())), "msg": e.get("msg", "invalid value"),
                       "type": e.get("type", "value_error")})
    return JSONResponse({"detail": errors}, status_code=422)


def _policy_error(_: Request, exc: PolicyQAError) -> JSONResponse:
    status = 422 if isinstance(exc, QuestionError) else 503
    return JSONResponse({"detail": str(exc)}, status_code=status)


def _unexpected(_: Request, __: Exception) -> JSONResponse:
    # Starlette re-raises the exception once this response is sent, so the server logs the traceback.
    return JSONResponse({"detail": "internal error"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(PolicyQAError, _policy_error)
    app.add_exception_handler(Exception, _unexpected)
