"""rag.retrieval.fusion against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from rag.retrieval import fusion


def test_rrf_equals_hand_computed_sum():
    dense_ranking = np.array([3, 1, 0])  # doc 3 first
    bm25_ranking = np.array([1, 2])
    fused = fusion.rrf([dense_ranking, bm25_ranking], k=60, weights=[0.6, 0.4])
    expected = {
        3: 0.6 / 61,
        1: 0.6 / 62 + 0.4 / 61,
        0: 0.6 / 63,
        2: 0.4 / 62,
    }
    assert set(fused) == set(expected)
    for doc, value in expected.items():
        assert fused[doc] == pytest.approx(value, rel=1e-12)
    assert all(isinstance(doc, int) for doc in fused)
    # doc 1 is second in one list and first in the other: it wins
    assert fusion.top(fused, 2) == [(1, pytest.approx(expected[1])), (3, pytest.approx(expected[3]))]


def test_rrf_defaults_to_unit_weights_and_k_60():
    fused = fusion.rrf([np.array([5, 6]), np.array([6])])
    assert fusion.RRF_K == 60
    assert fused[5] == pytest.approx(1 / 61)
    assert fused[6] == pytest.approx(1 / 62 + 1 / 61)


def test_rrf_with_small_k():
    fused = fusion.rrf([[0, 1, 2], [2, 1, 0]], k=1)
    # 0: 1/2 + 1/4, 1: 1/3 + 1/3, 2: 1/4 + 1/2
    assert fused == pytest.approx({0: 0.75, 1: 2 / 3, 2: 0.75})
    assert [doc for doc, _ in fusion.top(fused, 3)] == [0, 2, 1]


def test_weighted_equals_min_max_formula_by_hand():
    a = np.array([0.2, 0.8, 0.5, 0.2], dtype=np.float32)
    b = np.array([10.0, 0.0, 5.0, 2.5], dtype=np.float32)
    got = fusion.weighted([a, b], [0.7, 0.3])
    # min-max: a -> [0, 1, 0.5, 0], b -> [1, 0, 0.5, 0.25]
    want = [0.7 * 0 + 0.3 * 1, 0.7 * 1 + 0.3 * 0, 0.7 * 0.5 + 0.3 * 0.5, 0.7 * 0 + 0.3 * 0.25]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert got.dtype == np.float32
    assert got.shape == a.shape


def test_weighted_constant_vector_contributes_nothing():
    flat = np.full(3, 4.2, dtype=np.float32)
    varied = np.array([1.0, 3.0, 2.0], dtype=np.float32)
    got = fusion.weighted([flat, varied], [0.5, 0.5])
    np.testing.assert_allclose(got, [0.0, 0.5, 0.25], atol=1e-7)
    assert np.isfinite(got).all()


def test_weighted_with_negative_cosines():
    cos = np.array([-1.0, 0.0, 1.0], dtype=np.float32)
    got = fusion.weighted([cos], [1.0])
    np.testing.assert_allclose(got, [0.0, 0.5, 1.0], atol=1e-7)


def test_top_breaks_ties_by_document_order():
    fused = {7: 0.5, 2: 0.5, 9: 0.9, 4: 0.5, 1: 0.1}
    assert fusion.top(fused, 5) == [(9, 0.9), (2, 0.5), (4, 0.5), (7, 0.5), (1, 0.1)]
    assert fusion.top(fused, 2) == [(9, 0.9), (2, 0.5)]
    assert fusion.top({}, 3) == []


def test_top_ties_from_rrf_follow_document_order_not_insertion_order():
    # docs 8 and 3 tie (each first in one list): 3 comes first despite being inserted later
    fused = fusion.rrf([np.array([8]), np.array([3])])
    assert list(fused) == [8, 3]
    assert [doc for doc, _ in fusion.top(fused, 2)] == [3, 8]


def test_within_named_documents_the_cosines_still_rank():
    """Passages outside the documents searched sit at the dense floor (-1); they must not squeeze the
    searched document's cosines into a sliver of the scale, leaving BM25 alone to rank its articles."""
    from types import SimpleNamespace

    from rag.retrieval.hybrid import Retriever, Scored
    from rag.retrieval.index import DENSE_FLOOR

    chunks = [SimpleNamespace(id=f"c{i}") for i in range(6)]
    retriever = Retriever(SimpleNamespace(chunks=chunks), None, None, {})
    dense = np.array([0.93, 0.90, 0.905, DENSE_FLOOR, DENSE_FLOOR, DENSE_FLOOR], dtype=np.float32)
    bm25 = np.array([10.0, 11.0, 10.5, 0.0, 0.0, 0.0], dtype=np.float32)
    ranked = [h.chunk.id for h in retriever.rank(Scored(dense, bm25, dense, bm25), 3, "hybrid")]
    assert ranked == ["c0", "c2", "c1"]
    # over a whole library, with every cosine computed, nothing is lifted: the plain min–max fusion
    everywhere = np.array([0.93, 0.90, 0.905, 0.85, 0.84, 0.83], dtype=np.float32)
    fused = fusion.weighted([everywhere, bm25], [retriever.dense_weight, 1 - retriever.dense_weight])
    ranked = [h.chunk.id for h in retriever.rank(Scored(everywhere, bm25, everywhere, bm25), 6, "hybrid")]
    assert ranked == [f"c{i}" for i in np.argsort(-fused, kind="stable")]
