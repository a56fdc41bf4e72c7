"""The library: each document's chunks and passage vectors, cached so a build redoes only what changed.

A document is parsed, chunked and embedded once per (file name, content, sidecar, parser,
model and runtime): the result lies under ``<home>/cache/documents/<fingerprint>-<runtime>/<key>/`` as
``document.json`` (identity and chunks) and ``vectors.npy`` (one row per passage, in the
order :func:`rag.retrieval.store.passages` gives). Adding one document to a built library
therefore embeds only that document, and removing one embeds nothing; the index itself
(FAISS, BM25) is rebuilt from the cached rows, which takes a moment.

The parser fingerprint hashes the source of the corpus stage and the passage splitter, so
a change to how text becomes chunks invalidates every cached document by itself, with no
version number to remember to bump.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.corpus.identity import sidecar_path
from rag.errors import CorpusError
from rag.types import Chunk, DocumentInfo

CACHE_FORMAT = 1


@dataclass(frozen=True)
class CachedDocument:
    """One document ready for the index: its identity, chunks and passage vectors."""

    info: DocumentInfo
    chunks: tuple[Chunk, ...]
    vectors: np.ndarray
    reused: bool


@lru_cache(maxsize=1)
def parser_fingerprint() -> str:
    """A hash of everything that turns a file into chunks and passages."""
    from rag.data import DATA_DIR
    from rag.retrieval import store

    h = hashlib.sha256(str(CACHE_FORMAT).encode())
    for folder in (Path(__file__).resolve().parent / "corpus", DATA_DIR / "identity"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".txt", ".tsv", ".json"):
                h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(inspect.getsource(store.passages).encode())
    return h.hexdigest()[:16]


def document_key(name: str, content: bytes, sidecar: bytes | None) -> str:
    """What a cached document is valid for: its file name, bytes, sidecar and the parser."""
    h = hashlib.sha256(parser_fingerprint().encode() + b"\0" + name.encode() + b"\0" + content)
    h.update(b"\0" + (sidecar if sidecar is not None else b"\xff"))
    return h.hexdigest()[:32]


class DocumentCache:
    """Cached documents for one model on one runtime; a damaged entry is treated as absent and rewritten."""

    def __init__(self, root: Path, runtime: str):
        self.folder = Path(root) / runtime

    def get(self, key: str) -> CachedDocument | None:
        entry = self.folder / key
        try:
            data = json.loads((entry / "document.json").read_text(encoding="utf-8"))
            vectors = np.load(entry / "vectors.npy", allow_pickle=False)
            info = DocumentInfo.from_dict(data["info"])
            chunks = tuple(Chunk.from_dict(c) for c in data["chunks"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if vectors.ndim != 2 or len(vectors) != data.get("passages"):
            return None
        return CachedDocument(info, chunks, vectors, reused=True)

    def put(self, key: str, document: CachedDocument) -> None:
        """Write an entry atomically: a concurrent reader sees the old entry or the whole new one."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=self.folder))
        try:
            np.save(tmp / "vectors.npy", np.ascontiguousarray(document.vectors, dtype=np.float32), allow_pickle=False)
            data = {"info": document.info.to_dict(), "chunks": [c.to_dict() for c in document.chunks],
                    "passages": int(len(document.vectors))}
            (tmp / "document.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            final = self.folder / key
            if final.exists():
                shutil.rmtree(final, ignore_errors=True)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def prune(self, keep: Iterable[str]) -> None:
        """Drop entries no current document uses, so the cache does not grow with every edit."""
        keep = set(keep)
        if not self.folder.is_dir():
            return
        for entry in self.folder.iterdir():
            if entry.is_dir() and entry.name not in keep and not entry.name.startswith("."):
                shutil.rmtree(entry, ignore_errors=True)


REMOVED = ".removed"  # where `policy-qa remove` puts a document's files: out of the library, not destroyed


def add_files(corpus_dir: Path, paths: Iterable[Path], check: Callable[[Path], DocumentInfo],
              replace: bool = False) -> list[Path]:
    """Copy documents (and their ``.meta.json`` sidecars) into the corpus folder, each checked first.

    ``check`` reads a file as the build would and raises :class:`CorpusError` when it cannot,
    so a broken or unsupported file is refused before anything is copied. Returns the new
    paths; the caller builds, and on failure hands them to :func:`undo_add`.
    """
    corpus_dir = Path(corpus_dir)
    paths = [Path(p) for p in paths]
    for path in paths:
        if not path.is_file():
            raise CorpusError(f"{path}: no such file")
        if (corpus_dir / path.name).exists() and not replace:
            raise CorpusError(f"{corpus_dir / path.name} is already in the library; remove it first or use --replace")
        check(path)
    added = []
    for path in paths:
        for source in (path, sidecar_path(path)):
            if source.is_file():
                shutil.copyfile(source, corpus_dir / source.name)
                added.append(corpus_dir / source.name)
    return added


def undo_add(added: Iterable[Path]) -> None:
    for path in added:
        Path(path).unlink(missing_ok=True)


def remove_files(corpus_dir: Path, source: str) -> list[Path]:
    """Move a document's file and sidecar into ``<corpus>/.removed/`` (never read as a document)."""
    corpus_dir = Path(corpus_dir)
    path = corpus_dir / source
    if not path.is_file():
        raise CorpusError(f"{path} is not in the library")
    trash = corpus_dir / REMOVED
    trash.mkdir(exist_ok=True)
    moved = []
    for file in (path, sidecar_path(path)):
        if file.is_file():
            os.replace(file, trash / file.name)
            moved.append(trash / file.name)
    return moved


def undo_remove(corpus_dir: Path, moved: Iterable[Path]) -> None:
    for file in moved:
        os.replace(file, Path(corpus_dir) / Path(file).name)


Parse = Callable[[], tuple[DocumentInfo, list[Chunk]]]
Encode = Callable[[list[Chunk]], np.ndarray]


def cached_document(cache: DocumentCache, key: str, parse: Parse, encode: Encode, reuse: bool = True) -> CachedDocument:
    """The document from the cache (unless ``reuse`` is off), or parsed, encoded and stored there."""
    found = cache.get(key) if reuse else None
    if found is not None:
        return found
    info, chunks = parse()
    document = CachedDocument(info, tuple(chunks), encode(chunks), reused=False)
    cache.put(key, document)
    return document
