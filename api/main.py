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
from api.auth import AuthConfig, Authenticator, AuthGate
from api.deps import current_assistant
from api.limits import BodySizeLimit
from api.routes import ask, documents, feedback, health, measures, openai, search, signin, wecom
from api.routes.documents import UPLOAD_PATH
from api.security import RateLimiter
from api.service import ReloadWatcher, load_in_background
from api.sessions import SessionSigner, session_secret
from db.engine import ensure_schema, make_engine
from db.log import ConversationLog
from db.writer import LogWriter
from rag.assistant import Assistant
from rag.settings import Settings, get_settings
from ui.access import ChatAccess

ROUTERS = (health.router, signin.router, ask.router, feedback.router, search.router, measures.router,
           documents.router, openai.router, wecom.router)


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
        state.log.close()  # after uvicorn has finished the requests in flight: their records are queued
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
    app.state.signin_limiter = RateLimiter(settings.login_rate_limit)  # on top of each account's lockout
    app.state.engine = make_engine(settings.database)
    ensure_schema(app.state.engine)
    app.state.log = ConversationLog(app.state.engine, _writer(settings, app.state.engine), settings.log_questions)
    app.state.auth = Authenticator(app.state.engine, _auth_config(settings))
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes,
                       uploads={UPLOAD_PATH: settings.max_upload_bytes})
    # added last, so it runs first: an anonymous caller is refused before its body is even read
    app.add_middleware(AuthGate, authenticator=app.state.auth)
    errors.install(app)
    for router in ROUTERS:  # before the UI mount at "/", which would otherwise catch every path
        app.include_router(router)
    access = ChatAccess(identify=lambda r: app.state.auth.identify_or_anonymous(r.headers,
                                                                                r.client.host if r.client else None),
                        admit=app.state.limiter.retry_after, log=app.state.log, engine=app.state.engine,
                        required=settings.auth)
    blocks = ui.app.build_ui(lambda: current_assistant(app.state), max_question_chars=settings.max_question_chars,
                             examples=ui.app.load_examples(settings.examples_path), access=access)
    return gradio.mount_gradio_app(app, blocks, path="/")


def _writer(settings: Settings, engine) -> LogWriter | None:
    if not settings.log_answers:
        return None
    return LogWriter(engine, retention_days=settings.log_retention_days)


def _auth_config(settings: Settings) -> AuthConfig:
    signer = SessionSigner(session_secret(settings.session_secret, settings.home_dir), settings.session_hours * 3600)
    return AuthConfig(required=settings.auth, signer=signer, static_keys=tuple(settings.api_key_list),
                      trusted_header=settings.trusted_user_header,
                      trusted_networks=AuthConfig.networks(settings.trusted_proxy_list))
