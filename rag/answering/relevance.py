"""Whether the policy says anything about a question at all: the refusal gate.

The raw cosine of a question to its nearest policy sentence does not separate the two
cases: an out-of-scope banking question (「公积金贷款最高能贷多少」) sits as close to some
policy sentence as a colloquial in-scope one (「科创公司没啥厂房土地…」), because both are
about finance. What separates them is what else the question is close to, so the gate
compares questions with questions (one scale on both sides):

- ``in_scope.txt``: questions the policy's own wording answers, written from the policy
  text (support = the nearest of them, or the nearest policy sentence if closer);
- ``out_of_scope.txt``: everyday banking and off-topic questions the policy does not answer;
- ``near_domain.txt``: questions in the policy's own areas asking for what a development
  policy never states (rates, ratios, procedures, national rules).

All three were written without looking at any evaluation question. A question is refused
when it is nearer to either out-of-scope set than to the support by more than that set's
margin; the margins are calibrated with ``policy-qa eval-answers`` on the dev set.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.data import DATA_DIR
from rag.encoder.embedding import Embedder

IN_SCOPE = DATA_DIR / "in_scope.txt"
OUT_OF_SCOPE = DATA_DIR / "out_of_scope.txt"
NEAR_DOMAIN = DATA_DIR / "near_domain.txt"


@dataclass(frozen=True)
class Thresholds:
    """Calibrated on eval/questions/dev.jsonl: the lowest margin of an answerable question minus 0.003."""

    everyday: float = -0.0055
    near: float = -0.0226
    # Off-topic questions (「量子计算机的原理是什么」) are far from everything; below this cosine to
    # every policy sentence nothing is answered (the lowest answerable dev question scores 0.842).
    floor: float = 0.835

    def shifted(self, shift: float) -> Thresholds:
        """Both margins moved by ``shift``: positive refuses more, negative answers more."""
        return Thresholds(self.everyday + shift, self.near + shift, self.floor)


@dataclass(frozen=True)
class Relevance:
    passage: float  # cosine to the nearest policy sentence
    support: float  # the larger of that and the cosine to the nearest in-scope question
    everyday: float  # cosine to the nearest everyday out-of-scope question
    near: float  # cosine to the nearest near-domain out-of-scope question
    nearest: str  # the closest out-of-scope question, for explaining a refusal

    @property
    def everyday_margin(self) -> float:
        return self.support - self.everyday

    @property
    def near_margin(self) -> float:
        return self.support - self.near

    def passes(self, thresholds: Thresholds) -> bool:
        return (self.passage >= thresholds.floor and self.everyday_margin >= thresholds.everyday
                and self.near_margin >= thresholds.near)


class QuestionBank:
    """Embedded example questions, cached per model and file content."""

    def __init__(self, texts: list[str], vectors: np.ndarray):
        self.texts = texts
        self.vectors = vectors

    @classmethod
    def load(cls, path: Path, embedder: Embedder, cache_dir: Path) -> QuestionBank:
        raw = path.read_bytes()
        texts = [line.strip() for line in raw.decode("utf-8").splitlines() if line.strip()]
        digest = hashlib.sha256(raw + embedder.info.fingerprint.encode()).hexdigest()[:16]
        cached = cache_dir / f"{path.stem}-{digest}.npy"
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


@dataclass(frozen=True)
class Gate:
    """The three question banks a relevance judgement compares against."""

    in_scope: QuestionBank
    everyday: QuestionBank
    near: QuestionBank

    @classmethod
    def load(cls, embedder: Embedder, cache_dir: Path) -> Gate:
        return cls(*(QuestionBank.load(p, embedder, cache_dir) for p in (IN_SCOPE, OUT_OF_SCOPE, NEAR_DOMAIN)))

    def assess(self, query_vector: np.ndarray, passage_dense: np.ndarray) -> Relevance:
        passage = float(passage_dense.max()) if len(passage_dense) else -1.0
        support = max(passage, self.in_scope.nearest(query_vector)[0])
        everyday, everyday_text = self.everyday.nearest(query_vector)
        near, near_text = self.near.nearest(query_vector)
        return Relevance(passage, support, everyday, near, everyday_text if everyday >= near else near_text)


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


def _save_atomic(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
    with os.fdopen(fd, "wb") as f:
        np.save(f, array)
    os.replace(tmp, path)
