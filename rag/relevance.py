"""Whether the policy says anything about a question at all (the refusal gate)."""

from __future__ import annotations

from rag.hybrid import Scored
from rag.types import Hit

DEFAULT_THRESHOLD = 0.0


def relevance(scored: Scored, hits: list[Hit]) -> float:
    return float(scored.dense.max()) if len(scored.dense) else 0.0
