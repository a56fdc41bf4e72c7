"""TTLMemory: expiry, size bound, and one creation per key under concurrency."""

from __future__ import annotations

import threading

import pytest

from wecom.memory import TTLMemory
from wecom.state import WeComState, state_of


class Clock:
    """A hand-moved clock so expiry is exact."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_values_expire_after_the_ttl():
    clock = Clock()
    memory = TTLMemory[str](ttl=600, clock=clock)
    memory.put("m1", "s1")
    clock.now += 599
    assert memory.get("m1") == "s1"
    clock.now += 1
    assert memory.get("m1") is None
    assert len(memory) == 0


def test_put_restarts_the_ttl_of_a_key():
    clock = Clock()
    memory = TTLMemory[str](ttl=10, clock=clock)
    memory.put("a", "1")
    memory.put("b", "2")
    clock.now += 8
    memory.put("a", "3")
    clock.now += 5
    assert (memory.get("a"), memory.get("b")) == ("3", None)


def test_size_is_bounded_by_dropping_the_oldest():
    memory = TTLMemory[int](ttl=600, max_size=3)
    for i in range(5):
        memory.put(f"m{i}", i)
    assert len(memory) == 3
    assert [memory.get(f"m{i}") for i in range(5)] == [None, None, 2, 3, 4]


def test_setdefault_creates_once_and_reports_it():
    memory = TTLMemory[str](ttl=600)
    assert memory.setdefault("m", lambda: "first") == ("first", True)
    assert memory.setdefault("m", lambda: "second") == ("first", False)


def test_setdefault_is_atomic_across_threads():
    memory = TTLMemory[int](ttl=600)
    created: list[int] = []
    barrier = threading.Barrier(16)

    def worker(i: int) -> None:
        barrier.wait()
        _, was_created = memory.setdefault("same-msgid", lambda: i)
        if was_created:
            created.append(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(created) == 1
    assert memory.get("same-msgid") == created[0]


@pytest.mark.parametrize(("ttl", "size"), [(0, 10), (10, 0)])
def test_nonpositive_ttl_or_size_is_refused(ttl, size):
    with pytest.raises(ValueError, match="must both be positive"):
        TTLMemory(ttl, size)


def test_state_is_created_once_per_holder():
    class Holder:
        pass

    holder = Holder()
    state, other = state_of(holder, msgid_ttl=60), state_of(Holder(), msgid_ttl=60)
    try:
        assert isinstance(state, WeComState)
        assert state_of(holder, msgid_ttl=60) is state
        assert other is not state
    finally:
        state.close()
        other.close()
