"""The OpenVINO backend: the same exported ONNX graph, compiled by OpenVINO's runtime directly.

Each thread gets its own infer request (one shared request would serialise concurrent
calls), on a model compiled with ``threads`` threads per stream and as many streams as
that leaves cores; ``infer`` releases the GIL, and a build's batches run on one worker
thread per stream (rag/encoder/runtime.py).

Precisions: ``fp32`` (``INFERENCE_PRECISION_HINT=f32``) and ``bf16``, OpenVINO's default
on CPUs with AMX or AVX-512 bf16: much faster; it moves vector components by about 1e-3,
so it has its own fingerprint and index. bf16 compiles the 4-bit graph when the export
has one: its weights are exactly representable, so the vectors are bit for bit those
compiled from the float32 graph, for about 480 MiB less resident memory (measured:
1,000 against 1,480 MiB). fp32 needs the float32 graph: on the 4-bit one OpenVINO
decompresses the weights with a rounding that moves components by 2e-3.
"""

from __future__ import annotations

import threading

from rag.encoder.export import Exported
from rag.encoder.runtime import BrokenExport, ExportedEncoder, Run
from rag.errors import ModelError

PRECISIONS = ("fp32", "bf16")
_HINTS = {"fp32": "f32", "bf16": "bf16"}


class OpenVinoEncoder(ExportedEncoder):
    backend = "openvino"

    def __init__(self, exported: Exported, precision: str, threads: int, cores: int = 0):
        if precision not in _HINTS:
            raise ModelError(f"precision {precision!r} is not available for the openvino backend "
                             f"(available: {', '.join(PRECISIONS)})")
        super().__init__(exported, precision, cores)
        import openvino as ov

        self._core = ov.Core()
        graph = exported.file("q4" if precision == "bf16" and "q4" in exported.precisions else "fp32")
        try:
            model = self._core.read_model(str(graph))
        except Exception as e:  # OpenVINO raises RuntimeError subclasses for unreadable graphs
            raise BrokenExport(f"{graph}: {e}") from e
        self.threads = min(threads or self.cores, self.cores)
        # no pinning: on a shared machine a thread pinned to a busy core waits instead of moving
        self._compiled = self._core.compile_model(model, "CPU", {
            "INFERENCE_PRECISION_HINT": _HINTS[precision], "ENABLE_CPU_PINNING": "NO",
            "NUM_STREAMS": str(self.cores // self.threads), "INFERENCE_NUM_THREADS": str(self.cores)})
        self._local = threading.local()

    def _runner(self) -> Run:
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._compiled.create_infer_request()
        return lambda feed: request.infer(feed)[0]
