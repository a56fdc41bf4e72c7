"""Index versions in Milvus (Lite embedded, a Lite TCP server, standalone or distributed).

Per build, two collections named ``<prefix>_v<sequence>_<build time>_<corpus hash>``:

- the version itself, one row per passage (sentence): ``pid`` (the passage row, as in
  ``owners.npy``), ``chunk`` (its chunk position), ``document_id`` (pushed down as a filter),
  ``dense`` (the normalised embedding, FLAT inner product: exact, like FAISS below HNSW size)
  and ``sparse`` (its BM25 weights);
- ``…_meta``: the manifest, the BM25 vocabulary and the chunks as JSON, cut into pieces.

BM25 weights are computed here, by the same ``bm25s`` index the folder store builds from the
project's own tokens, and stored as sparse vectors; a query's vector is the count of each of
its tokens. Their inner product is exactly bm25s's score, and the domain dictionary, the
synonym expansion and Traditional→Simplified normalisation all happen before tokenising, in
the Retriever, as for FAISS. Milvus's own BM25 function would tokenise with its bundled jieba
and none of these.

The live version is one row of ``<prefix>_live``, replaced by an upsert (Milvus Lite 2.5
answers UNIMPLEMENTED to aliases): the counterpart of ``CURRENT``. Collections are written
once and never changed, so every read is ``Strong`` and nothing depends on a server's bounded
staleness. A build keeps the live version and the one before it, as the folder store does.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pymilvus import DataType, MilvusClient, MilvusException

from rag.encoder.embedding import Embedder, ModelInfo
from rag.errors import IndexCorruptError, IndexMissingError, StoreUnavailableError
from rag.retrieval.index import BM25_FLOOR, CANDIDATES, DENSE_FLOOR, EXACT_ALL, ChunkLookups
from rag.retrieval.lexical import BM25Index, ChineseTokenizer
from rag.retrieval.manifest import GateRecord, Manifest, ModelRecord
from rag.retrieval.store import FORMAT, check_compatible, passages
from rag.retrieval.store import _version as package_version
from rag.types import Chunk, DocumentInfo

KEEP_VERSIONS = 2
MAX_LIMIT = 16384  # Milvus's largest top-k
# Rows per insert call. Lite's server copies each request's arrays at a cost that grows faster
# than the rows: 500 a call inserted 6,233 rows/s over 1M rows, 2,000 about 1,700 (README, Milvus).
_BATCH = 500
_PIECE = 16000  # characters of meta JSON per row; at most 48 KB of UTF-8, under VARCHAR's 64 KB
_LIVE = "live"
REBUILD_HINT = "run `policy-qa build` (or `policy-qa serve --rebuild`) to build it"

# pymilvus logs every failed call at ERROR with a gRPC dump (its client logger has its own level);
# the typed error carries the reason, in one line.
for _name in ("pymilvus", "pymilvus.milvus_client"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class MilvusConfig:
    uri: str  # a file path runs Milvus Lite in this process; http://host:19530 is a server
    token: str = ""
    db: str = ""
    prefix: str = "policy_qa"
    timeout: float = 5.0  # seconds per call before the service answers 503


def _unavailable(config: MilvusConfig, err: Exception) -> StoreUnavailableError:
    reason = getattr(err, "message", None) or str(err)
    return StoreUnavailableError(f"Milvus at {config.uri} failed: {reason.splitlines()[0][:300]}")


def connect(config: MilvusConfig) -> MilvusClient:
    """A client; StoreUnavailableError naming the URI when Milvus cannot be reached."""
    try:
        return MilvusClient(uri=config.uri, token=config.token, db_name=config.db, timeout=config.timeout)
    except Exception as err:  # pymilvus raises MilvusException, gRPC or OS errors depending on the URI
        raise _unavailable(config, err) from err


@dataclass(frozen=True)
class MilvusIndex(ChunkLookups):
    """One version in Milvus: chunks and owners in memory, vectors and BM25 weights on the server."""

    version: str
    manifest: Manifest
    chunks: tuple[Chunk, ...]
    owners: np.ndarray
    vocabulary: dict[str, int]
    store: MilvusStore = field(repr=False)

    def passage_scores(self, vector: np.ndarray, tokens: Sequence[str],
                       documents: Collection[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Cosine and BM25 score of every passage row; outside ``documents`` (ids) at the floors."""
        n = len(self.owners)
        limit = min(MAX_LIMIT, n if n <= EXACT_ALL or documents else CANDIDATES)
        where = f"document_id in {json.dumps(sorted(documents), ensure_ascii=False)}" if documents else ""
        passage_dense = np.full(n, DENSE_FLOOR, dtype=np.float32)
        passage_bm25 = np.full(n, BM25_FLOOR, dtype=np.float32)
        ids, scores = self.store.search(self.version, "dense", vector.astype(np.float32), limit, where)
        passage_dense[ids] = scores
        counts: dict[int, float] = {}
        for t in tokens:
            if t in self.vocabulary:
                counts[self.vocabulary[t]] = counts.get(self.vocabulary[t], 0.0) + 1.0
        if counts:
            ids, scores = self.store.search(self.version, "sparse", counts, min(MAX_LIMIT, n), where)
            passage_bm25[ids] = scores
        return passage_dense, passage_bm25


class MilvusStore:
    """Index versions in one Milvus database, as a :class:`~rag.retrieval.index.Store`."""

    def __init__(self, config: MilvusConfig):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", config.prefix):
            raise ValueError(f"Milvus collection prefix must be letters, digits and _, not {config.prefix!r}")
        self.config = config
        self.client = connect(config)
        self._pointer = f"{config.prefix}_{_LIVE}"

    def _call(self, method: str, *args, **kwargs) -> Any:
        # pymilvus stops retrying at ``timeout`` only when it is an int; given a float it retries
        # 75 times with back-off, minutes during which a request hangs instead of answering 503.
        try:
            return getattr(self.client, method)(*args, timeout=math.ceil(self.config.timeout), **kwargs)
        except MilvusException as err:
            raise _unavailable(self.config, err) from err

    def search(self, name: str, field_name: str, query, limit: int, where: str) -> tuple[np.ndarray, np.ndarray]:
        """Row ids and scores of the ``limit`` best rows of ``field_name`` (inner product)."""
        hits = self._call("search", name, [query], anns_field=field_name, limit=limit, filter=where,
                          search_params={"metric_type": "IP"}, consistency_level="Strong")[0]
        return (np.fromiter((h["id"] for h in hits), dtype=np.int64, count=len(hits)),
                np.fromiter((h["distance"] for h in hits), dtype=np.float32, count=len(hits)))

    def current_version(self) -> str | None:
        if not self._call("has_collection", self._pointer):
            return None
        rows = self._call("query", self._pointer, ids=[_LIVE], output_fields=["version"], consistency_level="Strong")
        return rows[0]["version"] if rows else None

    def manifest(self) -> Manifest:
        return self._read_meta(self._live())[0]

    def load(self, expected: ModelInfo | None = None, dictionary_hash: str | None = None) -> MilvusIndex:
        """Open the live version, checked against the model and dictionary; typed errors name the fix."""
        version = self._live()
        manifest, vocabulary, sentences, chunks = self._read_meta(version)
        check_compatible(manifest, expected, dictionary_hash)
        owners = np.repeat(np.arange(len(chunks), dtype=np.int32), sentences)
        stored = self._call("query", version, filter="", output_fields=["count(*)"],
                            consistency_level="Strong")[0]["count(*)"]
        if stored != len(owners) or len(chunks) != manifest.chunk_count:
            raise IndexCorruptError(f"Milvus collection {version} holds {stored} passages, its manifest "
                                    f"{len(owners)} for {len(chunks)} chunks; {REBUILD_HINT}")
        self._call("load_collection", version)
        return MilvusIndex(version, manifest, tuple(chunks), owners, vocabulary, self)

    def _live(self) -> str:
        version = self.current_version()
        if version is None:
            raise IndexMissingError(f"no index in Milvus at {self.config.uri} ({self._pointer}); {REBUILD_HINT}")
        return version

    def build(self, chunks: list[Chunk], embedder: Embedder, tokenizer: ChineseTokenizer,
              documents: list[DocumentInfo], corpus_hash: str, progress: bool = False,
              vectors: np.ndarray | None = None, gate: GateRecord | None = None) -> str:
        """Write a new version, point ``<prefix>_live`` at it and drop the ones before the previous."""
        units = passages(chunks)
        if vectors is None:
            vectors = embedder.encode_passages(units.dense_texts, progress=progress)
        elif len(vectors) != len(units.owners):
            raise ValueError(f"{len(vectors)} vectors given for {len(units.owners)} passages")
        bm25 = BM25Index.build([tokenizer.tokenize(t) for t in units.lexical_texts])
        manifest = _manifest(embedder.info, tokenizer, chunks, documents, corpus_hash, gate)
        name = self._create(corpus_hash, embedder.info.dimension)
        try:
            documents_of = [chunks[i].document_id for i in units.owners]
            self._insert_passages(name, vectors, units.owners, documents_of, bm25.sparse_rows())
            sentences = np.bincount(units.owners, minlength=len(chunks)).tolist()
            self._write_meta(name, manifest, bm25.vocabulary(), sentences, chunks)
        except BaseException:
            self._drop(name)
            raise
        previous = self.current_version()
        self._point(name)
        self._prune(keep={name, previous})
        return name

    def _create(self, corpus_hash: str, dimension: int) -> str:
        """A new, empty version collection; a concurrent build that took a sequence makes us try the next."""
        while True:
            sequence = 1 + max((_sequence(n, self.config.prefix) for n in self._call("list_collections")), default=0)
            name = f"{self.config.prefix}_v{sequence:06d}_{time.strftime('%Y%m%dT%H%M%S')}_{corpus_hash[:8]}"
            if self._call("has_collection", name):
                continue
            schema = passage_schema(dimension)
            index = self.client.prepare_index_params()
            index.add_index("dense", index_type="FLAT", metric_type="IP")
            index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
            self._call("create_collection", name, schema=schema, index_params=index, consistency_level="Strong")
            self._create_meta(f"{name}_meta")
            return name

    def _create_meta(self, name: str) -> None:
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("piece", DataType.INT64, is_primary=True)
        schema.add_field("body", DataType.VARCHAR, max_length=65535)
        schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)  # Milvus requires a vector field
        index = self.client.prepare_index_params()
        index.add_index("unused", index_type="FLAT", metric_type="L2")
        self._call("create_collection", name, schema=schema, index_params=index, consistency_level="Strong")

    def _insert_passages(self, name, vectors, owners, documents_of, sparse) -> None:
        for start in range(0, len(owners), _BATCH):
            rows = [{"pid": i, "chunk": int(owners[i]), "document_id": documents_of[i],
                     "dense": vectors[i].astype(np.float32), "sparse": sparse[i]}
                    for i in range(start, min(len(owners), start + _BATCH))]
            self._call("insert", name, rows)

    def _write_meta(self, name: str, manifest: Manifest, vocabulary: list[str], sentences: list[int],
                    chunks: list[Chunk]) -> None:
        lines = [json.dumps(manifest.to_dict(), ensure_ascii=False), json.dumps(vocabulary, ensure_ascii=False),
                 json.dumps(sentences), *(json.dumps(c.to_dict(), ensure_ascii=False) for c in chunks)]
        text = "\n".join(lines)
        pieces = [text[i:i + _PIECE] for i in range(0, len(text), _PIECE)]
        for start in range(0, len(pieces), 100):
            self._call("insert", f"{name}_meta", [{"piece": i, "body": pieces[i], "unused": [0.0, 0.0]}
                                                  for i in range(start, min(len(pieces), start + 100))])

    def _read_meta(self, name: str) -> tuple[Manifest, dict[str, int], list[int], list[Chunk]]:
        if not self._call("has_collection", f"{name}_meta"):
            raise IndexCorruptError(f"Milvus collection {name}_meta is missing; {REBUILD_HINT}")
        text = "".join(row["body"] for row in self._pieces(f"{name}_meta"))
        try:
            manifest_line, vocabulary_line, sentences_line, *chunk_lines = text.split("\n")
            data = json.loads(manifest_line)
            if data.get("format") != FORMAT:
                raise ValueError(f"not a format-{FORMAT} manifest")
            manifest = Manifest.from_dict(data)
            vocabulary = {t: i for i, t in enumerate(json.loads(vocabulary_line))}
            chunks = [Chunk.from_dict(json.loads(line)) for line in chunk_lines]
            return manifest, vocabulary, json.loads(sentences_line), chunks
        except ValueError as err:
            raise IndexCorruptError(f"Milvus collection {name}_meta cannot be read ({err}); {REBUILD_HINT}") from err

    def _pieces(self, name: str) -> Iterator[dict]:
        self._call("load_collection", name)
        start = 0
        while True:
            rows = self._call("query", name, filter=f"piece >= {start} and piece < {start + 1000}",
                              output_fields=["piece", "body"], consistency_level="Strong")
            if not rows:
                return
            yield from sorted(rows, key=lambda r: r["piece"])
            start += 1000

    def _point(self, name: str) -> None:
        if not self._call("has_collection", self._pointer):
            schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=16)
            schema.add_field("version", DataType.VARCHAR, max_length=255)
            schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
            index = self.client.prepare_index_params()
            index.add_index("unused", index_type="FLAT", metric_type="L2")
            self._call("create_collection", self._pointer, schema=schema, index_params=index,
                       consistency_level="Strong")
        self._call("upsert", self._pointer, [{"key": _LIVE, "version": name, "unused": [0.0, 0.0]}])

    def _prune(self, keep: set[str | None]) -> None:
        for name in self._call("list_collections"):
            if _sequence(name, self.config.prefix) and not name.endswith("_meta") and name not in keep:
                self._drop(name)

    def _drop(self, name: str) -> None:
        for collection in (name, f"{name}_meta"):
            if self._call("has_collection", collection):
                self._call("drop_collection", collection)


def passage_schema(dimension: int):
    """A version collection's columns: one row per passage (sentence)."""
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("pid", DataType.INT64, is_primary=True)
    schema.add_field("chunk", DataType.INT32)
    schema.add_field("document_id", DataType.VARCHAR, max_length=1024)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dimension)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    return schema


def _sequence(name: str, prefix: str) -> int:
    match = re.fullmatch(rf"{re.escape(prefix)}_v(\d+)_\w+?", name)
    return int(match.group(1)) if match else 0


def _manifest(info: ModelInfo, tokenizer: ChineseTokenizer, chunks: list[Chunk], documents: list[DocumentInfo],
              corpus_hash: str, gate: GateRecord | None) -> Manifest:
    return Manifest(
        format=FORMAT, model=ModelRecord.of(info), index_type="milvus-flat", chunk_count=len(chunks),
        corpus_hash=corpus_hash, dictionary_hash=tokenizer.dictionary.fingerprint(), documents=tuple(documents),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        versions={p: package_version(p) for p in ("pymilvus", "milvus-lite", "bm25s", "jieba", "policy-qa")},
        document_chunks=dict(Counter(c.document_id for c in chunks)), gate=gate,
    )
