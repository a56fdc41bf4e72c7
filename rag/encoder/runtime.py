"""What the exported backends share: prompts, tokens, batching by length, normalisation, the probe check.

A backend runs the exported graph (token ids → sentence embedding) on ``threads`` cores
per call (1 by default, so concurrent requests run side by side), releasing the GIL
while it computes. A large batch (a build, the refusal gate's question banks) is cut
into batches of similar length that one worker thread per core runs at once on that
same runtime: every core is busy, and no second copy of the weights is made for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

from rag.encoder.export import Exported
from rag.encoder.reference import PROBES
from rag.encoder.tokens import TokenBatcher
from rag.errors import ModelError

Feed = dict[str, np.ndarray]
Run = Callable[[Feed], np.ndarray]

# Below this many texts one thread encodes them all: starting workers would cost more than it saves.
PARALLEL_FROM = 32


class BrokenExport(ModelError):
    """An exported file cannot be loaded or does not compute what it should: export again."""


class ExportedEncoder:
    backend = ""
    threads = 1  # per call; a large batch runs cores // threads calls at once

    def __init__(self, exported: Exported, precision: str, cores: int = 0):
        self.precision = precision
        self.cores = cores or os.cpu_count() or 1  # this process's share of the machine
        self.prompts = dict(exported.prompts)
        self.dimension = exported.dimension
        self.reference = exported.reference
        self._inputs = exported.inputs
        self._tokens = TokenBatcher(exported.tokenizer_file, exported.max_length, exported.pad_id)

    @property
    def lone_cores(self) -> int:
        """The cores a question encoded while no other is runs on."""
        return self.threads

    def _runner(self) -> Run:
        """A callable running the graph, safe to use from the calling thread."""
        raise NotImplementedError

    def check(self) -> None:
        """Encode the probes; called once the runtime is up (the loader compares them with the reference)."""
        self.probe_vectors = self.encode(list(PROBES), "")

    def prepare(self, prompt: str) -> None:
        self.encode_one(PROBES[0], prompt)  # the first call allocates the runtime's buffers

    def encode_one(self, text: str, prompt: str) -> np.ndarray:
        with self._single() as run:
            return _normalise(run(self._feed(self._tokens.one(prompt + text))))[0]

    @contextmanager
    def _single(self) -> Iterator[Run]:
        """The runner for one question (a backend may pick another when no other question is running)."""
        yield self._runner()

    def encode(self, texts: Sequence[str], prompt: str, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not len(texts):
            return out
        batches = list(self._tokens.batches([prompt + t for t in texts], batch_size))
        workers = self.cores // max(1, self.threads) if len(texts) >= PARALLEL_FROM else 1
        done = self._run_all(batches, max(1, workers))
        if progress:
            from tqdm import tqdm

            done = tqdm(done, total=len(batches), desc="encoding", unit="batch")
        for rows, vectors in done:
            out[rows] = vectors
        return _normalise(out)

    def _run_all(self, batches, workers: int):
        if workers == 1:
            return ((rows, self._runner()(self._feed(feed))) for rows, feed in batches)
        pool = ThreadPoolExecutor(workers, thread_name_prefix="encode")
        jobs = [(rows, pool.submit(lambda f: self._runner()(self._feed(f)), feed)) for rows, feed in batches]
        pool.shutdown(wait=False)
        return ((rows, job.result()) for rows, job in jobs)

    def _feed(self, feed: Feed) -> Feed:
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
        return {name: feed[name] for name in self._inputs}


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)
