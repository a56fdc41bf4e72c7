"""What the chat needs from the service around it: who is asking, the rate limit, and the log.

The API builds one from its settings (api.main); the default lets everyone in and logs nothing,
which is how the chat runs in tests and with POLICY_QA_AUTH=off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gradio as gr
from sqlalchemy import Engine

from db.accounts import Identity
from db.log import ConversationLog


def _nobody(_: gr.Request) -> Identity | None:
    return None


def _unlimited(_: str) -> float | None:
    return None


@dataclass(frozen=True)
class ChatAccess:
    identify: Callable[[gr.Request], Identity | None] = _nobody
    admit: Callable[[str], float | None] = _unlimited  # None, or the seconds this caller must wait
    log: ConversationLog | None = None
    engine: Engine | None = None  # the log's database, for the admin dashboard
    required: bool = False  # POLICY_QA_AUTH=on

    def caller(self, identity: Identity | None, request: gr.Request | None) -> str:
        if identity is not None:
            return f"user:{identity.name}"
        host = request.client.host if request is not None and request.client else "unknown"
        return f"ip:{host}"

    def admin(self, request: gr.Request | None) -> Identity | None:
        """The caller when a signed-in admin and the log is on; None otherwise."""
        identity = self.identify(request) if request is not None else None
        if self.engine is None or identity is None or not identity.is_admin:
            return None
        return identity
