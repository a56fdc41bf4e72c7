"""Loading the assistant off the event loop, and keeping it on the newest index."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from rag.assistant import Assistant
from rag.errors import PolicyQAError
from rag.settings import Settings

log = logging.getLogger("policy_qa.api")


def load_in_background(state: Any, settings: Settings) -> threading.Thread:
    """Fill ``state.assistant``, or ``state.load_error`` with a message health can show."""

    def run() -> None:
        try:
            state.assistant = Assistant.from_settings(settings)
            log.info("index %s loaded", state.assistant.version)
        except PolicyQAError as err:
            state.load_error = str(err)
            log.error("cannot load the index: %s", err)
        except Exception:
            state.load_error = "the index could not be loaded; see the server log"
            log.exception("cannot load the index")

    thread = threading.Thread(target=run, name="policy-qa-loader", daemon=True)
    thread.start()
    return thread


class ReloadWatcher:
    """Polls for a newly built index; a failure is logged once and retried, never raised."""

    def __init__(self, get_assistant: Callable[[], Assistant | None], interval: float):
        self.get_assistant = get_assistant
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_error: str | None = None

    def start(self) -> None:
        if self.interval <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="policy-qa-reload", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def check(self) -> None:
        assistant = self.get_assistant()
        if assistant is None:
            return
        try:
            if assistant.reload_if_changed():
                log.info("reloaded index %s", assistant.version)
            self._last_error = None
        except Exception as err:  # the old index stays live; keep watching for a good build
            message = f"{type(err).__name__}: {err}"
            if message != self._last_error:
                log.error("index reload failed, still serving %s: %s", assistant.version, message)
            self._last_error = message

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()
