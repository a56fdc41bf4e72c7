"""Fusing dense and lexical rankings: reciprocal-rank fusion or a weighted score sum."""

from __future__ import annotations

import numpy as np

RRF_K = 60
DENSE_WEIGHT = 0.6  # of the dense scores in a weighted sum; BM25 gets the rest (README, Retrieval)


def rrf(rankings: list[np.ndarray], k: int = RRF_K, weights: list[float] | None = None) -> dict[int, float]:
    """Reciprocal-rank fusion: Σ w / (k + rank), ranks counted from 1."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, doc in enumerate(ranking, start=1):
            fused[int(doc)] = fused.get(int(doc), 0.0) + w / (k + rank)
    return fused


def weighted(scores: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """Weighted sum of min–max normalised score vectors over the same documents."""
    total = np.zeros_like(scores[0], dtype=np.float32)
    for s, w in zip(scores, weights):
        span = float(s.max() - s.min())
        total += w * ((s - s.min()) / span if span > 0 else np.zeros_like(s))
    return total


def top(fused: dict[int, float], k: int) -> list[tuple[int, float]]:
    """The ``k`` best (doc, score) pairs, ties broken by document order."""
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
