"""The ONNX Runtime backend: the exported graph, run without torch.

One shared ``InferenceSession`` runs every call with ``threads`` intra-op threads;
``run`` releases the GIL, so two request threads encode side by side, and a build's
batches run on one worker thread per core (rag/encoder/runtime.py).

A question that arrives while no other is being encoded runs on a second session with one
thread per core instead (q4 only, whose weights take 75 MB): the same vectors bit for bit,
5.6 against 9.0 ms on 2 cores, while under load each question keeps its one core. Its
threads spin between the graph's parallel steps (sleeping there cost 1.3 ms a question)
and stop spinning when the question is done, so an idle thread never holds a core that
the next request needs.

Precisions: ``fp32`` (the plain export), ``q4`` (the same float32 arithmetic with the
weights kept as the exact 4-bit blocks the embedded model already is: an eighth of the
memory to read per question) and ``int8`` (dynamic quantisation: faster, but it moves
rankings, so it is never a default).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

import numpy as np

from rag.encoder.export import Exported, ensure_int8
from rag.encoder.runtime import BrokenExport, ExportedEncoder, Feed, Run
from rag.errors import ModelError

PRECISIONS = ("q4", "fp32", "int8")
SHRINK_FROM = 256  # tokens in one run (texts × length); a question has a few dozen


class OnnxEncoder(ExportedEncoder):
    backend = "onnx"

    def __init__(self, exported: Exported, precision: str, threads: int, cores: int = 0):
        super().__init__(exported, precision, cores)
        if precision == "int8":
            self._path = ensure_int8(exported)
        elif precision in exported.precisions:
            self._path = exported.file(precision)
        else:
            raise ModelError(f"precision {precision!r} is not available for the onnx backend of this model "
                             f"(available: {', '.join((*exported.precisions, 'int8'))})")
        self.threads = threads or self.cores
        self._session = session(self._path, self.threads)
        wide = threads == 1 < self.cores and precision == "q4"
        self._wide = session(self._path, self.cores, stop_spinning=True) if wide else None
        self._running = 0
        self._count = threading.Lock()

    @property
    def lone_cores(self) -> int:
        return self.cores if self._wide is not None else self.threads

    def _runner(self) -> Run:
        return partial(_run, self._session)

    @contextmanager
    def _single(self) -> Iterator[Run]:
        with self._count:
            self._running += 1
            lone = self._running == 1
        try:
            wide = self._wide if lone else None
            yield partial(_run, wide) if wide is not None else self._runner()
        finally:
            with self._count:
                self._running -= 1


def _run(session, feed: Feed) -> np.ndarray:
    """The graph's output; a run over many tokens gives back the memory its arena grew by.

    ONNX Runtime's arena keeps its largest size for good: the probe check's batch (one text of
    512 tokens) left 300 MB of each session's arena behind, a long question 50 MB, though a
    question takes a few.
    """
    options = None
    if feed["input_ids"].size > SHRINK_FROM:
        import onnxruntime as ort

        options = ort.RunOptions()
        options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return session.run(None, feed, options)[0]


def session(path, threads: int, stop_spinning: bool = False):
    """An ONNX Runtime session on the CPU with ``threads`` intra-op threads (0: one per core).

    ``stop_spinning``: its threads stop spinning as soon as a run ends, instead of spinning
    on for work that, between questions, is not coming.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # unused-initializer notices from the exporter's graph
    if stop_spinning:
        options.add_session_config_entry("session.force_spinning_stop", "1")
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types for unreadable graphs
        raise BrokenExport(f"{path}: {e}") from e
