"""Whether the policy says anything about a question at all: the refusal gate.

The raw cosine of a question to its nearest policy sentence does not separate the two
cases: an out-of-scope banking question (「公积金贷款最高能贷多少」) sits as close to some
policy sentence as a colloquial in-scope one (「科创公司没啥厂房土地…」), because both are
about finance. What separates them is what else the question is close to. The gate
therefore compares the question with a background set of everyday banking questions
the policy does not answer (``rag/data/out_of_scope.txt``, written without looking at
any evaluation question): a question much nearer to that background than to any policy
sentence is refused. The margin is calibrated in ``eval/answers.py`` on the dev set.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.embedding import Embedder

BACKGROUND = Path(__file__).with_name("data") / "out_of_scope.txt"
# Calibrated by `policy-qa eval-answers` on eval/questions/dev.jsonl: the lowest margin of
# an answerable question, minus a safety gap (see the README's refusal section).
DEFAULT_THRESHOLD = -0.045
# Off-topic questions (「量子计算机的原理是什么」) are far from everything, the background too;
# below this cosine to every policy sentence nothing is answered. The lowest answerable dev
# question scores 0.842 (「首台套」).
MIN_POLICY = 0.835


@dataclass(frozen=True)
class Relevance:
    policy: float  # cosine to the nearest policy sentence
    background: float  # cosine to the nearest out-of-scope question
    nearest_background: str

    @property
    def margin(self) -> float:
        return self.policy - self.background

    def passes(self, threshold: float) -> bool:
        return self.policy >= MIN_POLICY and self.margin >= threshold


class Background:
    """Embeddings of the out-of-scope questions, cached per model and file content."""

    def __init__(self, texts: list[str], vectors: np.ndarray):
        self.texts = texts
        self.vectors = vectors

    @classmethod
    def load(cls, embedder: Embedder, cache_dir: Path, path: Path = BACKGROUND) -> Background:
        raw = path.read_bytes()
        texts = [line.strip() for line in raw.decode("utf-8").splitlines() if line.strip()]
        digest = hashlib.sha256(raw + embedder.info.fingerprint.encode()).hexdigest()[:16]
        cached = cache_dir / f"out-of-scope-{digest}.npy"
        if cached.is_file():
            vectors = np.load(cached)
            if vectors.shape == (len(texts), embedder.info.dimension):
                return cls(texts, vectors)
        vectors = embedder.encode_queries(texts).astype(np.float32)
        _save_atomic(cached, vectors)
        return cls(texts, vectors)

    def nearest(self, vector: np.ndarray) -> tuple[float, str]:
        sims = self.vectors @ vector
        best = int(np.argmax(sims))
        return float(sims[best]), self.texts[best]


# 「多少」「几成」「几倍？」 ask for a figure; 「几个专利」 in passing does not.
_ASKS_FIGURE = re.compile(r"多少|百分之几|几[成倍个家所项条年](?=[，,。？?！!\s]|$)")
_YEAR = re.compile(r"\d{4}年")  # 「到2025年末」 dates a target; it is not the figure asked for
_FIGURE = re.compile(r"\d|[一二两三四五六七八九十百千万]+[个家所倍成项亿万]")


def unanswered_figure(question: str, evidence: str) -> bool:
    """The question asks for a number and the quoted policy wording states none.

    A figure the policy does not give (a subsidy ratio, a pledge rate) is the commonest
    way a near-domain question falls outside it; quoting number-free sentences would read
    as an answer without being one.
    """
    return bool(_ASKS_FIGURE.search(question)) and not _FIGURE.search(_YEAR.sub("", evidence))


def assess(query_vector: np.ndarray, passage_dense: np.ndarray, background: Background) -> Relevance:
    policy = float(passage_dense.max()) if len(passage_dense) else -1.0
    score, text = background.nearest(query_vector)
    return Relevance(policy, score, text)


def _save_atomic(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
    with os.fdopen(fd, "wb") as f:
        np.save(f, array)
    os.replace(tmp, path)
