"""Hybrid retrieval over a loaded index: dense (FAISS), BM25, or both fused."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from rag.encoder.embedding import Embedder
from rag.retrieval import fusion
from rag.retrieval.index import BM25_FLOOR, DENSE_FLOOR, SearchIndex
from rag.retrieval.lexical import ChineseTokenizer
from rag.retrieval.query import expand, normalise_query
from rag.types import SEARCH_MODES, Hit, SearchMode

# The spread of a question's cosines over a whole library (about 0.82–0.93 with the default model): the
# least span a search within some documents normalises its cosines over (see _lifted).
DENSE_SPAN = 0.1
Fusion = Literal["weighted", "rrf"]
FUSIONS: tuple[Fusion, ...] = get_args(Fusion)


@dataclass(frozen=True)
class Query:
    """A question as every scorer sees it: normalised text, its embedding, its BM25 tokens."""

    text: str
    vector: np.ndarray
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class Scored:
    """Full score vectors for one query; the answer stage reads relevance from them."""

    dense: np.ndarray  # cosine similarity per chunk
    bm25: np.ndarray
    passage_dense: np.ndarray  # the same per sentence (index.owners maps it to chunks)
    passage_bm25: np.ndarray


class Retriever:
    """Ranks chunks of one loaded index for a question."""

    def __init__(self, index: SearchIndex, embedder: Embedder, tokenizer: ChineseTokenizer,
                 synonyms: dict[str, tuple[str, ...]], fusion_method: Fusion = "weighted",
                 dense_weight: float = fusion.DENSE_WEIGHT):
        if fusion_method not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, not {fusion_method!r}")
        self.index = index
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.synonyms = synonyms
        self.fusion_method = fusion_method
        self.dense_weight = dense_weight

    def prepare(self, question: str, vector: np.ndarray | None = None) -> Query:
        """Normalise, embed (unless a cached vector is given) and tokenise a question."""
        text = normalise_query(question)
        if vector is None:
            vector = self.embedder.encode_queries([text])[0]
        own = self.tokenizer.tokenize(text)
        # A synonym adds each of its words once, and none the question has already: BM25 adds a token's score
        # per occurrence, and 房贷 inside 个人住房贷款 brought 住房按揭贷款 and 按揭贷款, whose parts then
        # outweighed 抵押合同 and 生效 of the question. (The question's own repeats stay: the parts of its long
        # words, 上市 of 上市公司, weigh with them.)
        added = self.tokenizer.tokenize(" ".join(expand(text, self.synonyms)))
        return Query(text, vector, tuple(own + [t for t in dict.fromkeys(added) if t not in own]))

    def score(self, query: Query, documents: Collection[str] | None = None) -> Scored:
        """Per-chunk scores: the best-scoring sentence of each chunk, for each scorer.

        With ``documents`` (ids), passages of every other document score as unrelated.
        """
        owners = self.index.owners
        passage_dense, passage_bm25 = self.index.passage_scores(query.vector, query.tokens, documents)
        n = len(self.index.chunks)
        return Scored(_best_per_chunk(passage_dense, owners, n, DENSE_FLOOR),
                      _best_per_chunk(passage_bm25, owners, n, BM25_FLOOR), passage_dense, passage_bm25)

    def search(self, query: Query, k: int = 5, mode: SearchMode = "hybrid") -> list[Hit]:
        if mode not in SEARCH_MODES:
            raise ValueError(f"mode must be one of {SEARCH_MODES}, not {mode!r}")
        return self.rank(self.score(query), k, mode)

    def passage_scores(self, scored: Scored) -> np.ndarray:
        """One relevance score per indexed sentence, fused with the chunk ranking's weights."""
        return fusion.weighted([_lifted(scored.passage_dense), scored.passage_bm25],
                               [self.dense_weight, 1 - self.dense_weight])

    def rank(self, scored: Scored, k: int, mode: SearchMode) -> list[Hit]:
        if mode == "dense":
            pairs = _top(scored.dense, k)
        elif mode == "bm25":
            pairs = _top(scored.bm25, k)
        elif self.fusion_method == "rrf":
            rankings = [np.argsort(-scored.dense, kind="stable"), _bm25_ranking(scored.bm25)]
            pairs = fusion.top(fusion.rrf(rankings, weights=[self.dense_weight, 1 - self.dense_weight]), k)
        else:
            fused = fusion.weighted([_lifted(scored.dense), scored.bm25], [self.dense_weight, 1 - self.dense_weight])
            pairs = _top(fused, k)
        chunks = self.index.chunks
        return [Hit(chunks[i], float(s), r) for r, (i, s) in enumerate(pairs, start=1)]


def _lifted(dense: np.ndarray) -> np.ndarray:
    """Cosines with the passages left at the floor (outside the documents searched, or beyond the nearest
    candidates of a large index) raised to at most ``DENSE_SPAN`` below the best, before min–max fusion.

    At -1 they set the span: inside one named document its cosines (0.90 against 0.93) came out a
    hundredth of the scale apart, and BM25 alone ranked the articles. Lifted to the document's own
    lowest, a few thousandths of noise between its articles would span the whole scale.
    """
    computed = dense > DENSE_FLOOR
    if computed.all() or not computed.any():
        return dense
    high = float(dense[computed].max())
    return np.where(computed, dense, min(float(dense[computed].min()), high - DENSE_SPAN))


def _best_per_chunk(values: np.ndarray, owners: np.ndarray, n: int, floor: float) -> np.ndarray:
    out = np.full(n, floor, dtype=np.float32)
    np.maximum.at(out, owners, values)
    return out


def _top(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` best (position, score), ties to the lower position, exactly as a stable full sort.

    Only the entries at or above the k-th best value are sorted: a full argsort was most
    of the search time at 100k chunks.
    """
    if k < len(scores):
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        candidates = np.flatnonzero(scores >= kth)
    else:
        candidates = np.arange(len(scores))
    order = candidates[np.argsort(-scores[candidates], kind="stable")[:k]]
    return [(int(i), float(scores[i])) for i in order]


def _bm25_ranking(scores: np.ndarray) -> np.ndarray:
    # Chunks with no query term in common get no lexical vote at all.
    order = np.argsort(-scores, kind="stable")
    return order[scores[order] > 0]
