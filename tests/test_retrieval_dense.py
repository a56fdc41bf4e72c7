"""rag.retrieval.dense against brute-force numpy cosine similarity (flat exact, HNSW approximate)."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from rag.retrieval import dense


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _brute_force(corpus: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    sims = queries.astype(np.float64) @ corpus.astype(np.float64).T
    ids = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(sims, ids, axis=1), ids


@pytest.mark.parametrize("n,dim,k", [(1, 8, 1), (50, 16, 5), (2000, 384, 10)])
def test_flat_search_equals_numpy_top_k(n, dim, k):
    rng = np.random.default_rng(n + dim)
    corpus, queries = _unit(rng, n, dim), _unit(rng, 25, dim)
    index = dense.build_index(corpus)
    assert dense.index_kind(index) == "flat"
    assert isinstance(index, faiss.IndexFlatIP) and index.ntotal == n and index.d == dim

    scores, ids = dense.search(index, queries, k)
    want_scores, want_ids = _brute_force(corpus, queries, k)
    assert ids.shape == scores.shape == (25, k)
    # random float vectors have no ties, so the exact order must agree
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_allclose(scores, want_scores, rtol=0, atol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 1e-7), "scores must come out in descending order"


def test_flat_scores_are_cosine_similarities_of_unnormalised_inputs_after_normalising():
    rng = np.random.default_rng(7)
    raw = rng.standard_normal((40, 12)).astype(np.float32) * rng.uniform(0.1, 10, (40, 1)).astype(np.float32)
    unit = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    index = dense.build_index(unit)
    scores, ids = dense.search(index, unit[:3], 1)
    # every normalised vector is its own nearest neighbour, with cosine 1
    np.testing.assert_array_equal(ids[:, 0], [0, 1, 2])
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)


def test_k_larger_than_index_is_clamped_to_ntotal():
    rng = np.random.default_rng(3)
    corpus = _unit(rng, 4, 8)
    scores, ids = dense.search(dense.build_index(corpus), _unit(rng, 2, 8), 50)
    assert ids.shape == (2, 4)
    assert sorted(ids[0].tolist()) == [0, 1, 2, 3], "every vector is returned exactly once"
    assert (ids >= 0).all()


def test_threshold_selects_index_type():
    rng = np.random.default_rng(11)
    corpus = _unit(rng, 10, 8)
    assert dense.index_kind(dense.build_index(corpus, hnsw_threshold=10)) == "flat"  # not above the threshold
    hnsw = dense.build_index(corpus, hnsw_threshold=9)
    assert dense.index_kind(hnsw) == "hnsw"
    assert isinstance(hnsw, faiss.IndexHNSWFlat)
    assert hnsw.metric_type == faiss.METRIC_INNER_PRODUCT
    assert hnsw.hnsw.efSearch == dense.HNSW_EF_SEARCH


@pytest.fixture(scope="module")
def hnsw_case():
    rng = np.random.default_rng(2024)
    corpus, queries = _unit(rng, 5000, 64), _unit(rng, 200, 64)
    index = dense.build_index(corpus, hnsw_threshold=1000)
    return corpus, queries, index


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f.tolist()) & set(t.tolist())) / truth.shape[1] for f, t in zip(found, truth)]))


def test_hnsw_recall_at_10_against_brute_force(hnsw_case):
    corpus, queries, index = hnsw_case
    assert dense.index_kind(index) == "hnsw"
    assert index.ntotal == 5000
    scores, ids = dense.search(index, queries, 10)
    _, truth = _brute_force(corpus, queries, 10)
    recall = _recall(ids, truth)
    assert recall >= 0.95, f"HNSW recall@10 is {recall:.3f}"
    # the scores it reports are the true cosine similarities of the ids it returns
    np.testing.assert_allclose(scores, np.einsum("qd,qkd->qk", queries, corpus[ids]), atol=1e-5)


def test_hnsw_survives_save_and_load(hnsw_case, tmp_path):
    corpus, queries, index = hnsw_case
    path = tmp_path / "dense.faiss"
    dense.save(index, path)
    loaded = dense.load(path)
    assert dense.index_kind(loaded) == "hnsw"
    assert loaded.hnsw.efSearch == dense.HNSW_EF_SEARCH  # efSearch is not stored by FAISS; load restores it
    _, before = dense.search(index, queries[:20], 10)
    _, after = dense.search(loaded, queries[:20], 10)
    np.testing.assert_array_equal(before, after)


def test_flat_survives_save_and_load(tmp_path):
    rng = np.random.default_rng(5)
    corpus, queries = _unit(rng, 300, 32), _unit(rng, 10, 32)
    dense.save(dense.build_index(corpus), tmp_path / "flat.faiss")
    loaded = dense.load(tmp_path / "flat.faiss")
    assert dense.index_kind(loaded) == "flat"
    _, ids = dense.search(loaded, queries, 7)
    np.testing.assert_array_equal(ids, _brute_force(corpus, queries, 7)[1])
