"""The Milvus store against the FAISS index folder, on Milvus Lite embedded in the test process.

The answer stage reads full per-passage score arrays, so the Milvus path must give the same
arrays as FAISS + bm25s (to float32 rounding), with and without a document filter.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from eval.launcher import free_port
from rag.errors import IndexMismatchError, StoreUnavailableError
from rag.retrieval.milvus import MilvusConfig, MilvusStore

from milvus_support import QUESTIONS, milvus_pipeline

pytestmark = pytest.mark.slow


def _arrays(scored):
    return scored.dense, scored.bm25, scored.passage_dense, scored.passage_bm25


@pytest.mark.parametrize("question", QUESTIONS)
def test_scores_equal_faiss_and_bm25s(real_pipeline, embedded_milvus, question):
    faiss_side, milvus_side = real_pipeline.live(), embedded_milvus.live()
    assert milvus_side.index.owners.tolist() == faiss_side.index.owners.tolist()
    query = faiss_side.prepare(question)
    for expected, got in zip(_arrays(faiss_side.score(query)), _arrays(milvus_side.score(query))):
        np.testing.assert_allclose(got, expected, atol=1e-4)
    for mode in ("hybrid", "dense", "bm25"):
        assert ([h.chunk.id for h in milvus_side.search(query, 5, mode)]
                == [h.chunk.id for h in faiss_side.search(query, 5, mode)])


def test_document_filter_is_pushed_down(real_pipeline, embedded_milvus):
    retriever = embedded_milvus.live()
    query = retriever.prepare(QUESTIONS[0])
    (document,) = retriever.index.documents
    inside = retriever.score(query, [document])
    np.testing.assert_allclose(inside.passage_dense, real_pipeline.live().score(query, [document]).passage_dense,
                               atol=1e-4)
    outside = retriever.score(query, ["no-such-document"])
    assert (outside.passage_dense == -1.0).all() and (outside.passage_bm25 == 0.0).all()
    assert inside.passage_bm25.max() > 0


def test_build_moves_the_pointer_and_keeps_two_versions(tmp_path, embedder):
    pipeline = milvus_pipeline(embedder, str(tmp_path / "versions.db"), tmp_path / "index")
    first = pipeline.build().folder
    pipeline.load()
    assert not pipeline.reload_if_changed()
    second = pipeline.build().folder
    assert pipeline.store.current_version() == second != first
    assert pipeline.reload_if_changed() and pipeline.index.version == second
    third = pipeline.build().folder
    versions = {n for n in pipeline.store.client.list_collections() if n.startswith("policy_qa_v")
                and not n.endswith("_meta")}
    assert versions == {second, third}


def test_a_collection_of_another_model_is_refused(embedded_milvus):
    info = embedded_milvus.embedder.info
    other = dataclasses.replace(info, dimension=info.dimension * 2, fingerprint="other")
    with pytest.raises(IndexMismatchError, match="dimension"):
        embedded_milvus.store.load(other)


def test_unreachable_milvus_is_one_typed_error():
    uri = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreUnavailableError, match=uri):
        MilvusStore(MilvusConfig(uri, timeout=1.0)).current_version()
