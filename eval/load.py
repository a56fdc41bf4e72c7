"""HTTP load: N concurrent clients, each sending its next request as soon as the last one returns.

Every request carries a question the server has not seen before (see ``variants``), so
the answer and embedding caches never hit and each request pays the full price.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import httpx
import numpy as np

# How bank staff actually open and close a question in a chat; combined with the dev
# questions they give thousands of distinct texts with the same meaning.
OPENERS = ("", "请问", "你好，", "麻烦问一下，", "想咨询下，", "客户问：", "帮忙看看，", "领导让我问下，")
CLOSERS = ("", "谢谢", "，麻烦尽快回复", "？具体怎么规定的", "，有文件依据吗", "，在线等")


def variants(questions: Sequence[str]) -> Iterator[str]:
    """An endless stream of distinct questions: every opener × question × closer, then numbered rounds."""
    combos = [f"{o}{q}{c}" for o, c in itertools.product(OPENERS, CLOSERS) for q in questions]
    for round_ in itertools.count():
        for text in combos:
            yield text if round_ == 0 else f"{text}（{round_}）"


def percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan")}
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"p50": float(p50), "p95": float(p95), "p99": float(p99)}


@dataclass(frozen=True)
class LoadResult:
    clients: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: tuple[float, ...]
    client_cpu_s: float  # CPU the load generator itself used (it shares the two cores)
    first_error: str | None

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def to_dict(self) -> dict:
        return {"clients": self.clients, "requests": self.requests, "errors": self.errors,
                "error_rate": self.error_rate, "seconds": round(self.seconds, 3),
                "throughput_rps": round(self.throughput, 2), "client_cpu_s": round(self.client_cpu_s, 3),
                "latency_ms": {k: round(v, 2) for k, v in percentiles(self.latencies_ms).items()},
                "first_error": self.first_error}


def check(response: httpx.Response, expect: str) -> str | None:
    """Why a response counts as an error, or None: a non-200 status or a body without ``expect``."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    try:
        body = response.json()
    except ValueError:
        return f"not JSON: {response.text[:200]}"
    return None if isinstance(body, dict) and body.get(expect) is not None else f"no {expect!r} in {str(body)[:200]}"


async def _run(url: str, field: str, expect: str, questions: Iterable[str], clients: int, duration: float,
               headers: dict[str, str], timeout: float) -> LoadResult:
    source = iter(questions)
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=timeout, headers=headers) as client:
        start = time.perf_counter()
        deadline = start + duration

        async def one_client() -> None:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    problem = check(await client.post(url, json={field: next(source)}), expect)
                except httpx.HTTPError as e:
                    problem = f"{type(e).__name__}: {e}"
                latencies.append((time.perf_counter() - sent) * 1000)
                if problem:
                    errors.append(problem)

        cpu = time.process_time()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
    return LoadResult(clients, len(latencies), len(errors), elapsed, tuple(latencies), cpu,
                      errors[0] if errors else None)


def run(url: str, field: str, expect: str, questions: Iterable[str], clients: int, duration: float,
        headers: dict[str, str] | None = None, timeout: float = 60.0) -> LoadResult:
    """POST ``{field: question}`` to ``url`` from ``clients`` concurrent clients for ``duration`` seconds."""
    return asyncio.run(_run(url, field, expect, questions, clients, duration, headers or {}, timeout))
