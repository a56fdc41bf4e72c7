"""The application: JSON API, OpenAI-compatible endpoint, WeCom callbacks and the chat UI on one port.

``create_app()`` with no arguments reads the settings from the environment, so several
workers can run it: ``uvicorn --factory api.main:create_app --workers 2``.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from importlib.metadata import version

import gradio
from fastapi import FastAPI

import ui.app
from api import errors
from api.deps import current_assistant
from api.limits import BodySizeLimit
from api.routes import ask, documents, health, measures, openai, search, wecom
from api.routes.documents import UPLOAD_PATH
from api.security import RateLimiter
from api.service import ReloadWatcher, load_in_background
from rag.assistant import Assistant
from rag.settings import Settings, get_settings

ROUTERS = (health.router, ask.router, search.router, measures.router, documents.router, openai.router, wecom.router)


@asynccontextmanager
async def lifespan(app: FastAPI):
    state = app.state
    if state.assistant is None:
        load_in_background(state, state.settings)
    watcher = ReloadWatcher(lambda: state.assistant, state.settings.reload_interval)
    watcher.start()
    try:
        yield
    finally:
        watcher.stop()
        wecom_state = getattr(state, "wecom", None)
        if wecom_state is not None:
            wecom_state.close()


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    """The app; without ``assistant`` it loads one in the background and /api/health is 503 until then."""
    settings = settings or get_settings()
    app = FastAPI(title="policy-qa", version=version("policy-qa"), lifespan=lifespan,
                  description="政策问答：cited answers over Chinese policy text. "
                              "Send `Authorization: Bearer <key>` when POLICY_QA_API_KEYS is set.")
    app.state.settings = settings
    app.state.assistant = assistant
    app.state.load_error = None
    app.state.limiter = RateLimiter(settings.rate_limit)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes,
                       uploads={UPLOAD_PATH: settings.max_upload_bytes})
    errors.install(app)
    for router in ROUTERS:  # before the UI mount at "/", which would otherwise catch every path
        app.include_router(router)
    blocks = ui.app.build_ui(lambda: current_assistant(app.state), max_question_chars=settings.max_question_chars,
                             examples=ui.app.load_examples(settings.examples_path))
    return gradio.mount_gradio_app(app, blocks, path="/")
