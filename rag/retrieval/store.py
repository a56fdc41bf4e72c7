"""The index folder: plain files, written atomically, checked against a manifest on load.

Layout under ``index_dir``::

    CURRENT                 name of the live version (replaced atomically)
    versions/<version>/     manifest.json, chunks.jsonl, dense.faiss, owners.npy, bm25/

A version is named ``v<sequence>-<build time>-<corpus hash>``; the sequence number
orders builds even when several finish within the same second.

Retrieval scores sentences ("passages") and ranks a chunk by its best sentence, so a
long measure that mixes topics is found by the one sentence that answers;
``owners.npy`` maps each passage row to its chunk.

A build writes a new version folder, then swaps ``CURRENT`` with ``os.replace``, so a
crash never leaves a half-written index and a running server can reload between
requests without ever seeing a mix of two builds. The manifest records the sha256 of
every other file in the version folder, so any damaged or swapped file is refused.

Pruning keeps the live version and the one before it. An older version may still be
the one a server has loaded (it has not reloaded yet); deleting its folder is safe,
because ``load`` reads every file fully into memory (FAISS without mmap, bm25s with
``mmap=False``, NumPy arrays and chunks eagerly) and keeps no file open.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from importlib.metadata import version as pkg_version
from pathlib import Path

import faiss
import numpy as np

from rag.corpus.records import UNLABELLED
from rag.corpus.sentences import split_sentences
from rag.encoder.embedding import Embedder, ModelInfo
from rag.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from rag.files import sha256_file
from rag.retrieval import dense
from rag.retrieval.index import BM25_FLOOR, CANDIDATES, DENSE_FLOOR, EXACT_ALL, ChunkLookups
from rag.retrieval.lexical import BM25Index, ChineseTokenizer
from rag.retrieval.manifest import GateRecord, Manifest, ModelRecord
from rag.types import Chunk, DocumentInfo

# 2: sequence-numbered versions, bm25/ hashed; 3: documents carry their identity (id, 文号, issuers, dates);
# 4: the refusal gate's calibration, derived from the documents
FORMAT = 4
KEEP_VERSIONS = 2
_MANIFEST = "manifest.json"
_SEQUENCE = re.compile(r"^\.?v(\d+)")  # a version "v<n>-…" or its reservation ".v<n>.tmp"
REBUILD_HINT = "run `policy-qa build` (or `policy-qa serve --rebuild`) to rebuild it"


@dataclass(frozen=True)
class LoadedIndex(ChunkLookups):
    version: str
    folder: Path
    manifest: Manifest
    chunks: tuple[Chunk, ...]
    dense: faiss.Index
    bm25: BM25Index
    owners: np.ndarray  # passage row → chunk position (ascending: passages follow chunk order)

    def passage_scores(self, vector: np.ndarray, tokens: Sequence[str],
                       documents: Collection[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Cosine and BM25 score of every passage row; outside ``documents`` (ids) at the floors."""
        n_passages = len(self.owners)
        scores, ids = dense.search(self.dense, vector[None, :],
                                   n_passages if n_passages <= EXACT_ALL or documents else CANDIDATES)
        passage_dense = np.full(n_passages, DENSE_FLOOR, dtype=np.float32)
        valid = ids[0] >= 0
        passage_dense[ids[0][valid]] = scores[0][valid]
        passage_bm25 = self.bm25.scores(list(tokens)).astype(np.float32)
        if documents:
            outside = ~self.passage_in(documents)
            passage_dense[outside] = DENSE_FLOOR
            passage_bm25[outside] = BM25_FLOOR
        return passage_dense, passage_bm25


@dataclass(frozen=True)
class FolderStore:
    """The index folder as a :class:`~rag.retrieval.index.Store` (FAISS + BM25 in every worker)."""

    index_dir: Path

    def build(self, chunks, embedder, tokenizer, documents, corpus_hash, progress=False, vectors=None,
              gate=None) -> Path:
        return build(chunks, embedder, tokenizer, self.index_dir, documents, corpus_hash, progress, vectors=vectors,
                     gate=gate)

    def current_version(self) -> str | None:
        return current_version(self.index_dir)

    def manifest(self) -> Manifest:
        return verify(self.index_dir)[1]

    def load(self, expected: ModelInfo | None = None, dictionary_hash: str | None = None) -> LoadedIndex:
        return load(self.index_dir, expected, dictionary_hash)


@dataclass(frozen=True)
class Passages:
    dense_texts: list[str]  # sentence with its measure heading as context
    lexical_texts: list[str]  # the same with the part title, so 闽台 finds all of part 三
    owners: np.ndarray


def passages(chunks: list[Chunk]) -> Passages:
    """Split chunks into the sentences that are embedded and BM25-indexed."""
    dense_texts, lexical_texts, owners = [], [], []
    for i, c in enumerate(chunks):
        # The heading names what a sentence is about; a placeholder for a missing heading
        # names nothing, and its 「措施」 would pull every 「有哪些措施」 question towards it.
        context = " ".join(p for p in (c.measure, c.item) if p and p != UNLABELLED)
        for sentence in split_sentences(c.text):
            dense_texts.append(f"{context} {sentence}")
            lexical_texts.append(f"{c.part or ''} {context} {sentence}")
            owners.append(i)
    return Passages(dense_texts, lexical_texts, np.asarray(owners, dtype=np.int32))


def build(chunks: list[Chunk], embedder: Embedder, tokenizer: ChineseTokenizer, index_dir: Path,
          documents: list[DocumentInfo], corpus_hash: str, progress: bool = False,
          hnsw_threshold: int = dense.HNSW_THRESHOLD, vectors: np.ndarray | None = None,
          gate: GateRecord | None = None) -> Path:
    """Embed and index ``chunks`` into a new version folder and make it current.

    ``vectors``, when given, are the passage embeddings already computed (one row per
    passage of :func:`passages`, in order), as the library's document cache supplies them.
    """
    index_dir = Path(index_dir)
    sequence, tmp = _reserve(index_dir / "versions")
    version = f"v{sequence:06d}-{time.strftime('%Y%m%dT%H%M%S')}-{corpus_hash[:8]}"
    try:
        units = passages(chunks)
        if vectors is None:
            vectors = embedder.encode_passages(units.dense_texts, progress=progress)
        elif len(vectors) != len(units.owners):
            raise ValueError(f"{len(vectors)} vectors given for {len(units.owners)} passages")
        index = dense.build_index(vectors, hnsw_threshold)
        dense.save(index, tmp / "dense.faiss")
        np.save(tmp / "owners.npy", units.owners, allow_pickle=False)
        BM25Index.build([tokenizer.tokenize(t) for t in units.lexical_texts]).save(tmp / "bm25")
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c in chunks:
                f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        manifest = _manifest(embedder.info, tokenizer, chunks, documents, corpus_hash, dense.index_kind(index), tmp,
                             gate)
        (tmp / _MANIFEST).write_text(json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        final = index_dir / "versions" / version
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _point_current(index_dir, version)
    _prune(index_dir, keep=version)
    return final


def _sequence(name: str) -> int:
    """The build sequence of a version or reservation name; 0 for names without one."""
    match = _SEQUENCE.match(name)
    return int(match.group(1)) if match else 0


def _reserve(versions: Path) -> tuple[int, Path]:
    """The next build sequence number and its private temporary folder.

    Creating ``.v<n>.tmp`` claims ``n``: a concurrent build that picked the same number
    fails the mkdir and tries the next one. A build that claimed and finished ``n``
    between our scan and our mkdir is seen by the second scan.
    """
    versions.mkdir(parents=True, exist_ok=True)
    while True:
        sequence = 1 + max((_sequence(p.name) for p in versions.iterdir()), default=0)
        tmp = versions / f".v{sequence:06d}.tmp"
        try:
            tmp.mkdir()
        except FileExistsError:
            continue
        if any(_sequence(p.name) == sequence for p in versions.iterdir() if p != tmp):
            tmp.rmdir()
            continue
        return sequence, tmp


def _index_files(folder: Path) -> list[str]:
    """Every file of a version folder except the manifest, as sorted POSIX relative paths."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.name != _MANIFEST)


def _manifest(info: ModelInfo, tokenizer, chunks, documents, corpus_hash, kind, folder, gate=None) -> Manifest:
    return Manifest(
        format=FORMAT,
        model=ModelRecord.of(info),
        index_type=kind,
        chunk_count=len(chunks),
        corpus_hash=corpus_hash,
        dictionary_hash=tokenizer.dictionary.fingerprint(),
        documents=tuple(documents),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        versions={p: _version(p) for p in ("faiss-cpu", "sentence-transformers", "bm25s", "jieba", "policy-qa")},
        files={name: sha256_file(folder / name) for name in _index_files(folder)},
        document_chunks=dict(Counter(c.document_id for c in chunks)),
        gate=gate,
    )


def _version(package: str) -> str | None:
    try:
        return pkg_version(package)
    except Exception:  # an uninstalled package has no version to record
        return None


def _point_current(index_dir: Path, version: str) -> None:
    tmp = index_dir / f".CURRENT.{os.getpid()}.tmp"
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, index_dir / "CURRENT")


def _prune(index_dir: Path, keep: str) -> None:
    # The previous version stays so a reload that read CURRENT just before the switch
    # still finds its files; older ones are safe to delete (see the module docstring).
    built = (p for p in (index_dir / "versions").iterdir() if not p.name.startswith("."))
    older = sorted((p for p in built if p.name != keep), key=lambda p: (_sequence(p.name), p.name), reverse=True)
    for old in older[KEEP_VERSIONS - 1:]:
        shutil.rmtree(old, ignore_errors=True)


def current_version(index_dir: Path) -> str | None:
    """The live version name, or None when no index was built."""
    try:
        return (Path(index_dir) / "CURRENT").read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def verify(index_dir: Path) -> tuple[Path, Manifest]:
    """The current version folder and its manifest, every file checked against its sha256.

    Needs neither the model nor the index in memory, so a command can refuse a damaged
    index in a second instead of after loading the model.
    """
    index_dir = Path(index_dir)
    version = current_version(index_dir)
    if version is None:
        raise IndexMissingError(f"no index at {index_dir}; {REBUILD_HINT}")
    folder = index_dir / "versions" / version
    manifest = _read_manifest(folder)
    _check_files(folder, manifest)
    return folder, manifest


def load(index_dir: Path, expected: ModelInfo | None = None, dictionary_hash: str | None = None) -> LoadedIndex:
    """Open the current version, verifying files and model; typed errors name the fix."""
    folder, manifest = verify(index_dir)
    check_compatible(manifest, expected, dictionary_hash)
    try:
        chunks = tuple(Chunk.from_dict(json.loads(line)) for line in
                       (folder / "chunks.jsonl").read_text(encoding="utf-8").splitlines() if line.strip())
        index = dense.load(folder / "dense.faiss")
        owners = np.load(folder / "owners.npy", allow_pickle=False)
        bm25 = BM25Index.load(folder / "bm25")
    except Exception as e:  # files that match their hashes yet do not parse were written wrong; rebuild either way
        raise IndexCorruptError(f"index at {folder} cannot be read ({e}); {REBUILD_HINT}") from e
    if (index.ntotal != len(owners) or len(chunks) != manifest.chunk_count
            or (len(owners) and int(owners.max()) >= len(chunks))):
        raise IndexCorruptError(f"index at {folder} holds {index.ntotal} vectors and {len(owners)} passage owners "
                                f"for {len(chunks)} chunks; {REBUILD_HINT}")
    return LoadedIndex(folder.name, folder, manifest, chunks, index, bm25, owners)


def _check_files(folder: Path, manifest: Manifest) -> None:
    """Every file is listed in the manifest with its sha256, and every listed file is there."""
    listed = manifest.files
    if not listed:
        raise IndexCorruptError(f"{folder / _MANIFEST} lists no index files; {REBUILD_HINT}")
    for name in sorted(set(listed) | set(_index_files(folder))):
        if name not in listed:
            raise IndexCorruptError(f"index file {folder / name} is not listed in its manifest; {REBUILD_HINT}")
        if not (folder / name).is_file() or sha256_file(folder / name) != listed[name]:
            raise IndexCorruptError(f"index file {folder / name} is missing or does not match its manifest; "
                                    f"{REBUILD_HINT}")


def _read_manifest(folder: Path) -> Manifest:
    try:
        manifest = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise IndexCorruptError(f"{folder} has no manifest.json; {REBUILD_HINT}") from e
    except (ValueError, UnicodeDecodeError) as e:
        raise IndexCorruptError(f"{folder / _MANIFEST} is not valid JSON ({e}); {REBUILD_HINT}") from e
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexCorruptError(f"{folder / _MANIFEST} is not a format-{FORMAT} manifest; {REBUILD_HINT}")
    try:
        return Manifest.from_dict(manifest)
    except ValueError as e:
        raise IndexCorruptError(f"{folder / _MANIFEST} is not a complete manifest ({e}); {REBUILD_HINT}") from e


def check_compatible(manifest: Manifest, expected: ModelInfo | None, dictionary_hash: str | None) -> None:
    built = manifest.model
    if expected is not None:
        for name in ("name", "dimension", "fingerprint"):
            if getattr(built, name) != getattr(expected, name):
                raise IndexMismatchError(
                    f"index was built with model {built.name!r} (dimension {built.dimension}, "
                    f"fingerprint {built.fingerprint}) but the configured model is {expected.name!r} "
                    f"(dimension {expected.dimension}, fingerprint {expected.fingerprint}); {REBUILD_HINT} "
                    f"with POLICY_QA_EMBED_MODEL={expected.name}")
    if dictionary_hash is not None and manifest.dictionary_hash != dictionary_hash:
        raise IndexMismatchError(f"index was built with another domain dictionary or tokenizer; {REBUILD_HINT}")
