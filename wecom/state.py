"""Per-process WeCom state: answering threads, answered msgids, live bot streams."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from wecom.memory import TTLMemory

# Only guards the lazy creation below; the state itself lives on the application object.
_CREATE_LOCK = threading.Lock()


@dataclass(frozen=True)
class StreamState:
    """What a bot stream shows now; ``finish`` once the answer is complete."""

    stream_id: str
    content: str
    finish: bool


@dataclass(frozen=True)
class WeComState:
    """Created once per process; every member is thread-safe."""

    executor: ThreadPoolExecutor
    bot_msgids: TTLMemory[str]  # msgid -> stream id
    app_msgids: TTLMemory[Future]  # MsgId -> future reply content
    streams: TTLMemory[StreamState]  # stream id -> latest content

    @classmethod
    def create(cls, msgid_ttl: float, workers: int = 4, max_size: int = 10_000) -> WeComState:
        def memory() -> TTLMemory:
            return TTLMemory(msgid_ttl, max_size)

        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wecom-answer")
        return cls(executor, memory(), memory(), memory())

    def close(self) -> None:
        """Stop accepting answers and let running ones finish."""
        self.executor.shutdown(wait=True, cancel_futures=True)


def state_of(holder: Any, msgid_ttl: float) -> WeComState:
    """``holder.wecom`` (e.g. ``app.state``), created on first use."""
    state = getattr(holder, "wecom", None)
    if state is None:
        with _CREATE_LOCK:
            state = getattr(holder, "wecom", None)
            if state is None:
                state = WeComState.create(msgid_ttl)
                holder.wecom = state
    return state
