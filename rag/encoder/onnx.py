"""The ONNX Runtime backend: the exported graph, run without torch.

One shared ``InferenceSession`` runs every call with ``threads`` intra-op threads;
``run`` releases the GIL, so two request threads encode side by side, and a build's
batches run on one worker thread per core (rag/encoder/runtime.py).

Precisions: ``fp32`` (the plain export), ``q4`` (the same float32 arithmetic with the
weights kept as the exact 4-bit blocks the embedded model already is: an eighth of the
memory to read per question) and ``int8`` (dynamic quantisation: faster, but it moves
rankings, so it is never a default).
"""

from __future__ import annotations

import os

from rag.encoder.export import Exported, ensure_int8
from rag.encoder.runtime import BrokenExport, ExportedEncoder, Run
from rag.errors import ModelError

PRECISIONS = ("q4", "fp32", "int8")


class OnnxEncoder(ExportedEncoder):
    backend = "onnx"

    def __init__(self, exported: Exported, precision: str, threads: int):
        super().__init__(exported, precision)
        if precision == "int8":
            self._path = ensure_int8(exported)
        elif precision in exported.precisions:
            self._path = exported.file(precision)
        else:
            raise ModelError(f"precision {precision!r} is not available for the onnx backend of this model "
                             f"(available: {', '.join((*exported.precisions, 'int8'))})")
        self.threads = threads or (os.cpu_count() or 1)
        self._session = session(self._path, threads)

    def _runner(self) -> Run:
        return lambda feed: self._session.run(None, feed)[0]


def session(path, threads: int):
    """An ONNX Runtime session on the CPU with ``threads`` intra-op threads (0: one per core)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # unused-initializer notices from the exporter's graph
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types for unreadable graphs
        raise BrokenExport(f"{path}: {e}") from e
