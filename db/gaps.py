"""Policy gaps: the questions the library failed, grouped by meaning.

Greedy average-linkage clustering over unit-length question embeddings: questions are taken
most asked first, and each joins the cluster whose members it is most similar to on average,
if that average reaches ``threshold``, else starts one. Comparing with every member rather than
with a centroid keeps a large cluster from drifting into a generic "finance question" that
swallows everything. Deterministic, one pass, fine for the few thousand distinct failed
questions a log holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from db.report import GapQuestion

# multilingual-e5 puts any two Chinese finance questions above about 0.8; on a 1,000-question log
# (eval/gap_log.py) 0.92 groups rewordings and one subject together, 0.90 starts to merge subjects
THRESHOLD = 0.92
EXAMPLES = 5
MAX_QUESTIONS = 5000


@dataclass(frozen=True)
class GapCluster:
    size: int  # times asked, over every question in the cluster
    refused: int
    disliked: int
    examples: tuple[str, ...]  # most asked first


def cluster_gaps(gaps: Sequence[GapQuestion], embed: Callable[[Sequence[str]], np.ndarray],
                 threshold: float = THRESHOLD) -> list[GapCluster]:
    """Clusters of failed questions, largest first."""
    gaps = sorted(gaps, key=lambda g: (-g.asked, g.question))[:MAX_QUESTIONS]
    if not gaps:
        return []
    vectors = np.asarray(embed([g.question for g in gaps]), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    members = _assign(vectors, threshold)
    clusters = [GapCluster(sum(gaps[i].asked for i in group), sum(gaps[i].refused for i in group),
                           sum(gaps[i].disliked for i in group), tuple(gaps[i].question for i in group[:EXAMPLES]))
                for group in members]
    return sorted(clusters, key=lambda c: (-c.size, c.examples))


def _assign(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    sums = np.zeros((0, vectors.shape[1]), dtype=np.float32)  # per cluster, the sum of its members
    groups: list[list[int]] = []
    for i, v in enumerate(vectors):
        if groups:
            mean_similarity = (sums @ v) / np.array([len(g) for g in groups])
            best = int(np.argmax(mean_similarity))
            if mean_similarity[best] >= threshold:
                groups[best].append(i)
                sums[best] += v
                continue
        groups.append([i])
        sums = np.vstack([sums, v])
    return groups
