"""A small thread-safe map whose entries expire: answered msgids and live bot streams."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class TTLMemory(Generic[V]):
    """Remember values for ``ttl`` seconds, keeping at most ``max_size`` of the newest.

    WeCom retries a callback up to three times within a few seconds, so the TTL only has to
    outlive the retries; the size bound keeps a flood of distinct msgids from growing memory.
    """

    def __init__(self, ttl: float, max_size: int = 10_000, clock: Callable[[], float] = time.monotonic):
        if ttl <= 0 or max_size <= 0:
            raise ValueError(f"ttl {ttl} and max_size {max_size} must both be positive")
        self._ttl, self._max_size, self._clock = ttl, max_size, clock
        self._items: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> V | None:
        """The live value stored under ``key``, or ``None``."""
        with self._lock:
            self._expire()
            item = self._items.get(key)
            return None if item is None else item[1]

    def put(self, key: str, value: V) -> None:
        """Store ``value`` under ``key``, restarting its TTL."""
        with self._lock:
            self._store(key, value)

    def setdefault(self, key: str, factory: Callable[[], V]) -> tuple[V, bool]:
        """The value under ``key``, or a new one from ``factory``; ``True`` when it was created.

        Check and insert happen under one lock, so two concurrent retries of one msgid
        cannot both start an answer. ``factory`` runs under that lock and must be quick.
        """
        with self._lock:
            self._expire()
            item = self._items.get(key)
            if item is not None:
                return item[1], False
            value = factory()
            self._store(key, value)
            return value, True

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._items)

    def _store(self, key: str, value: V) -> None:
        self._items.pop(key, None)
        self._items[key] = (self._clock() + self._ttl, value)
        while len(self._items) > self._max_size:
            self._items.popitem(last=False)

    def _expire(self) -> None:
        # Entries are kept in insertion order and share one TTL, so the oldest expire first.
        now = self._clock()
        while self._items and next(iter(self._items.values()))[0] <= now:
            self._items.popitem(last=False)
