"""The Milvus store against the FAISS index folder, on Milvus Lite embedded in the test process.

The answer stage reads full per-passage score arrays, so the Milvus path must give the same
arrays as FAISS + bm25s (to float32 rounding), with and without a document filter, after a
full build; after an incremental one, BM25 within the generation's avgdl drift of bm25s.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from eval.launcher import free_port
from rag.errors import IndexMismatchError, StoreUnavailableError
from rag.retrieval.lexical import ChineseTokenizer, Dictionary
from rag.retrieval.milvus import AVGDL_DRIFT, MilvusConfig, MilvusStore

from milvus_support import QUESTIONS, library, milvus_pipeline

FUJIAN, KEJI, LVSE = "fujian-finance-measures-2021", "kejijinrong-banfa", "lvse-jinrong-cuoshi"

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
    versions = {n.removesuffix("_meta") for n in pipeline.store.client.list_collections()
                if n.startswith("policy_qa_v")}
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


def _revisions(index):
    return {r.document_id: r for r in index.layout.revisions}


def _stored(store, generation, revision) -> int:
    """Rows physically under a revision's pids, whichever version reads them."""
    where = f"pid >= {revision.start} and pid < {revision.start + revision.count}"
    return store.client.query(generation, filter=where, output_fields=["count(*)"],
                              consistency_level="Strong")[0]["count(*)"]


def _edit(corpus, name, old, new):
    path = corpus / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_build_writes_only_new_and_changed_documents(tmp_path, embedder):
    corpus = library(tmp_path, FUJIAN, KEJI)
    pipeline = milvus_pipeline(embedder, str(tmp_path / "m.db"), tmp_path / "index", corpus_dir=corpus)
    pipeline.build()
    store = pipeline.store
    assert store.last_build.full and store.last_build.inserted == len(pipeline.live().index.owners)
    previous = pipeline.live()  # a worker that has not reloaded yet
    query = previous.prepare(QUESTIONS[0])
    before = previous.score(query)
    old = _revisions(previous.index)

    _edit(corpus, "kejijinrong-banfa.txt", "按贷款利息的30%给予贴息", "按贷款利息的35%给予贴息")
    library(tmp_path, LVSE)
    pipeline.build()
    stats, index = store.last_build, store.load()
    new = _revisions(index)
    assert not stats.full and index.layout.generation == previous.index.layout.generation
    assert stats.inserted == new[KEJI].count + new[LVSE].count and stats.deleted == 0
    assert stats.reused == new[FUJIAN].count and new[FUJIAN] == old[FUJIAN]
    assert new[KEJI].start >= old[KEJI].start + old[KEJI].count
    assert _stored(store, index.layout.generation, old[KEJI]) == old[KEJI].count
    still = previous.score(query)
    np.testing.assert_array_equal(still.passage_dense, before.passage_dense)
    np.testing.assert_array_equal(still.passage_bm25, before.passage_bm25)

    pipeline.build()  # the same library: nothing to write, the replaced revision's rows to delete
    assert (store.last_build.inserted, store.last_build.deleted) == (0, old[KEJI].count)
    assert _stored(store, index.layout.generation, old[KEJI]) == 0
    assert _revisions(store.load()) == new


def test_a_removed_document_is_deleted_one_build_later(tmp_path, embedder):
    corpus = library(tmp_path, FUJIAN, KEJI, LVSE)
    pipeline = milvus_pipeline(embedder, str(tmp_path / "m.db"), tmp_path / "index", corpus_dir=corpus)
    pipeline.build()
    store = pipeline.store
    first = pipeline.live()
    removed = _revisions(first.index)[LVSE]
    (corpus / "lvse-jinrong-cuoshi.md").unlink()
    pipeline.build()
    assert (store.last_build.full, store.last_build.inserted, store.last_build.deleted) == (False, 0, 0)
    generation = first.index.layout.generation
    assert _stored(store, generation, removed) == removed.count
    pipeline.reload_if_changed()
    second = pipeline.live()
    assert LVSE not in _revisions(second.index) and len(second.index.owners) == len(first.index.owners) - removed.count
    pipeline.build()
    assert store.last_build.deleted == removed.count and _stored(store, generation, removed) == 0
    assert _revisions(store.load()) == _revisions(second.index)
    kept = len(second.index.owners)
    for question in QUESTIONS:
        query = first.prepare(question)
        np.testing.assert_array_equal(second.score(query).passage_dense, first.score(query).passage_dense[:kept])


def test_incremental_bm25_stays_within_the_drift_of_bm25s(tmp_path, embedder):
    corpus = library(tmp_path, FUJIAN, KEJI)
    milvus = milvus_pipeline(embedder, str(tmp_path / "m.db"), tmp_path / "index", corpus_dir=corpus)
    milvus.build()
    library(tmp_path, LVSE)  # its short passages move the mean passage length by 2.9%
    milvus.build()
    assert not milvus.store.last_build.full
    assert milvus.store.last_build.inserted == _revisions(milvus.store.load())[LVSE].count
    faiss = milvus_pipeline(embedder, None, tmp_path / "faiss", corpus_dir=corpus)
    faiss.build()
    faiss_side, milvus_side = faiss.live(), milvus.live()
    assert milvus_side.index.owners.tolist() == faiss_side.index.owners.tolist()
    for question in QUESTIONS:
        query = faiss_side.prepare(question)
        expected, got = faiss_side.score(query), milvus_side.score(query)
        np.testing.assert_allclose(got.passage_dense, expected.passage_dense, atol=1e-4)
        np.testing.assert_allclose(got.passage_bm25, expected.passage_bm25, rtol=AVGDL_DRIFT, atol=1e-4)
        for mode in ("hybrid", "bm25"):
            assert ([h.chunk.id for h in milvus_side.search(query, 1, mode)]
                    == [h.chunk.id for h in faiss_side.search(query, 1, mode)])


def test_avgdl_drift_or_another_dictionary_writes_a_new_generation(tmp_path, embedder):
    corpus = library(tmp_path, FUJIAN)
    pipeline = milvus_pipeline(embedder, str(tmp_path / "m.db"), tmp_path / "index", corpus_dir=corpus)
    pipeline.build()
    store = pipeline.store
    first = store.load()
    library(tmp_path, KEJI)  # 14 short passages against 74: the mean length falls by 6.3%
    pipeline.build()
    second = store.load()
    assert store.last_build.full and store.last_build.inserted == len(second.owners)
    assert second.layout.generation != first.layout.generation

    words = tmp_path / "userdict.txt"
    words.write_text(Dictionary().userdict.read_text(encoding="utf-8") + "科技信贷 10 n\n", encoding="utf-8")
    other = ChineseTokenizer(Dictionary(userdict=words))
    store.build(list(second.chunks), embedder, other, list(second.manifest.documents), "0dd1c7" * 4)
    assert store.last_build.full and store.last_build.inserted == len(second.owners)
    collections = store.client.list_collections()
    assert first.layout.generation not in collections and second.layout.generation in collections


def test_a_document_split_in_two_runs_is_refused(embedded_milvus, tmp_path):
    index = embedded_milvus.live().index
    chunks = list(index.chunks)
    split = [chunks[0], dataclasses.replace(chunks[1], document_id="other"), *chunks[2:]]
    store = MilvusStore(MilvusConfig(str(tmp_path / "m.db")))
    with pytest.raises(ValueError, match="not contiguous"):
        store.build(split, embedded_milvus.embedder, embedded_milvus.tokenizer, list(index.manifest.documents),
                    "5b1175" * 4)
    assert store.current_version() is None


def test_a_build_overtaken_by_another_removes_its_rows_and_fails(embedded_milvus, tmp_path):
    index = embedded_milvus.live().index
    chunks, documents = list(index.chunks), list(index.manifest.documents)
    tools = (embedded_milvus.embedder, embedded_milvus.tokenizer)
    config = MilvusConfig(str(tmp_path / "m.db"))
    MilvusStore(config).build(chunks, *tools, documents, "1" * 16)
    other = MilvusStore(config)

    class Overtaken(MilvusStore):
        def _write_meta(self, *meta):
            super()._write_meta(*meta)
            other.build(chunks, *tools, documents, "2" * 16)  # finishes while this one is still running

    store = Overtaken(config)
    edited = [dataclasses.replace(chunks[0], text=chunks[0].text + "（修订）"), *chunks[1:]]
    with pytest.raises(StoreUnavailableError, match="another build"):
        store.build(edited, *tools, documents, "3" * 16)
    live = store.load()
    assert live.version == other.last_build.version and len(live.owners) == len(index.owners)
    (revision,) = live.layout.revisions
    everything = store.client.query(live.layout.generation, filter="pid >= 0", output_fields=["count(*)"],
                                    consistency_level="Strong")[0]["count(*)"]
    assert everything == revision.count  # the overtaken build's rows were removed
