"""Index versions in Milvus (Lite embedded, a Lite TCP server, standalone or distributed).

Passage rows live in a *generation*, ``<prefix>_g<sequence>_<build time>``, shared by the builds
that continue it: ``pid`` (allocated here), ``document_id`` (pushed down as a filter), ``dense``
(the normalised embedding, FLAT inner product: exact, like FAISS below HNSW size) and ``sparse``
(the passage's side of its BM25 weights). A version is one collection,
``<prefix>_v<sequence>_<build time>_<corpus hash>_meta``: the manifest, its :class:`Layout`
(which rows it reads, the vocabulary and its document frequencies) and the chunks, as JSON pieces.

A document revision (its id and passage texts, hashed) keeps the contiguous pid range it was
first written under while it stays in the library, so a build inserts only the passages of new
or changed documents. Each build allocates from its own block of pids, ``sequence · 2**32`` on,
so no build can write over another's rows, finished or not. A version reads the rows below the
end of its block except the ranges it replaced, the ones its predecessor replaced (until they
are deleted) and the blocks of builds that never finished. Once the pointer has moved, the rows
neither the live nor the previous version reads are deleted: a removed or replaced document's
rows go one build after it left, as the previous version still serves them until then.

bm25s (lucene) weighs token t in passage d as ``idf(t) · tf / (tf + k1·(1 − b + b·dl/avgdl))``.
A row holds the second factor, which depends on the passage and avgdl only; a query's sparse
vector holds ``count · idf`` with the idf of the version's own document frequencies and passage
count, so the inner product is bm25s's score over exactly the version's passages, with one
approximation: avgdl is the generation's, the mean passage length when it was started. A build
therefore starts a new generation, writing every row, when the library's avgdl has drifted more
than ``AVGDL_DRIFT`` from it (each weight, and so each score, then stays within that fraction of
bm25s's), and when the model or the domain dictionary changed; after such a full build the
scores are bm25s's to float32 rounding. The tokens are the project's own: the domain dictionary,
the synonym expansion and Traditional→Simplified normalisation all happen before tokenising, in
the Retriever, as for FAISS. Milvus's own BM25 function would tokenise with its bundled jieba
and none of these.

The live version is one row of ``<prefix>_live``, replaced by an upsert (Milvus Lite 2.5
answers UNIMPLEMENTED to aliases): the counterpart of ``CURRENT``. Rows are inserted under
fresh pids and deleted only once no kept version reads them, so every read is ``Strong`` and
nothing depends on a server's bounded staleness. A build keeps the live version and the one
before it, as the folder store does. One build at a time: a build that finds the live version
moved while it ran removes what it wrote and fails, to be run again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from itertools import groupby
from typing import Any, NamedTuple

import numpy as np
from pymilvus import DataType, MilvusClient, MilvusException

from rag.encoder.embedding import Embedder, ModelInfo
from rag.errors import IndexCorruptError, IndexMissingError, StoreUnavailableError
from rag.retrieval.index import BM25_FLOOR, CANDIDATES, DENSE_FLOOR, EXACT_ALL, ChunkLookups
from rag.retrieval.lexical import BM25Index, ChineseTokenizer
from rag.retrieval.manifest import GateRecord, Manifest, ModelRecord
from rag.retrieval.store import FORMAT, Passages, check_compatible, passages
from rag.retrieval.store import _version as package_version
from rag.types import Chunk, DocumentInfo

MAX_LIMIT = 16384  # Milvus's largest top-k
AVGDL_DRIFT = 0.05  # largest relative change of the mean passage length a generation absorbs
_BLOCK = 1 << 32  # pids per build
# Rows per insert call. Lite's server copies each request's arrays at a cost that grows faster
# than the rows: 500 a call inserted 6,233 rows/s over 1M rows, 2,000 about 1,700 (README, Milvus).
_BATCH = 500
_PIECE = 16000  # characters of meta JSON per row; at most 48 KB of UTF-8, under VARCHAR's 64 KB
_LIVE = "live"
REBUILD_HINT = "run `policy-qa build` (or `policy-qa serve --rebuild`) to build it"

log = logging.getLogger(__name__)

# pymilvus logs every failed call at ERROR with a gRPC dump (its client logger has its own level);
# the typed error carries the reason, in one line.
for _name in ("pymilvus", "pymilvus.milvus_client"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

Range = tuple[int, int]  # pids [start, end)


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


class Revision(NamedTuple):
    """One document as a version holds it: its passages are the rows ``start … start + count - 1``."""

    document_id: str
    key: str  # hash of the id and the passage texts: equal keys mean equal rows
    start: int
    count: int


@dataclass(frozen=True)
class Layout:
    """Which rows of which generation a version reads, and its BM25 statistics."""

    generation: str
    avgdl: float  # the generation's mean passage length, which its rows are normalised by
    high: int  # the end of the version's pid block: later builds' rows are at or above it
    vocabulary: list[str]  # the generation's sparse columns, only ever appended to
    df: list[int]  # per column, how many of the version's passages hold the token
    revisions: list[Revision]  # in the version's passage order
    superseded: list[Range]  # the previous version's revisions this one dropped: deleted one build later
    stale: list[Range]  # the ones the previous version dropped, deleted once this one is live
    gaps: list[Range]  # blocks of builds that never finished, which may have left rows behind

    def where(self) -> str:
        """The filter of the version's rows in its generation."""
        hidden = _merged([*self.superseded, *self.stale, *self.gaps])
        return " and ".join([f"pid < {self.high}", *(f"(pid < {a} or pid >= {b})" for a, b in hidden)])

    @classmethod
    def from_dict(cls, data: dict) -> Layout:
        ranges = {k: [(int(a), int(b)) for a, b in data[k]] for k in ("superseded", "stale", "gaps")}
        return cls(data["generation"], float(data["avgdl"]), int(data["high"]), list(data["vocabulary"]),
                   [int(n) for n in data["df"]], [Revision(*r) for r in data["revisions"]], **ranges)


@dataclass(frozen=True)
class BuildStats:
    """What a build wrote and deleted, for the log and the tests."""

    version: str
    generation: str
    full: bool  # a new generation: every row written
    inserted: int
    reused: int
    deleted: int
    seconds: float


@dataclass(frozen=True)
class MilvusIndex(ChunkLookups):
    """One version in Milvus: chunks and owners in memory, vectors and BM25 weights on the server."""

    version: str
    manifest: Manifest
    chunks: tuple[Chunk, ...]
    owners: np.ndarray
    layout: Layout = field(repr=False)
    store: MilvusStore = field(repr=False)

    @cached_property
    def _where(self) -> str:
        return self.layout.where()

    @cached_property
    def _columns(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.layout.vocabulary)}

    @cached_property
    def _idf(self) -> np.ndarray:
        return BM25Index.idf(np.asarray(self.layout.df), len(self.owners))

    @cached_property
    def _starts(self) -> tuple[np.ndarray, np.ndarray]:
        """First pid of each revision, ascending, and the passage row it maps to."""
        starts = np.array([r.start for r in self.layout.revisions], dtype=np.int64)
        counts = np.array([r.count for r in self.layout.revisions], dtype=np.int64)
        rows = np.cumsum(counts) - counts
        order = np.argsort(starts)
        order = order[counts[order] > 0]  # an empty revision may share its start with the next
        return starts[order], rows[order]

    def _rows(self, pids: np.ndarray) -> np.ndarray:
        starts, rows = self._starts
        k = np.searchsorted(starts, pids, side="right") - 1
        return rows[k] + (pids - starts[k])

    def passage_scores(self, vector: np.ndarray, tokens: Sequence[str],
                       documents: Collection[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Cosine and BM25 score of every passage row; outside ``documents`` (ids) at the floors."""
        n = len(self.owners)
        limit = min(MAX_LIMIT, n if n <= EXACT_ALL or documents else CANDIDATES)
        where = self._where
        if documents:
            where += f" and document_id in {json.dumps(sorted(documents), ensure_ascii=False)}"
        passage_dense = np.full(n, DENSE_FLOOR, dtype=np.float32)
        passage_bm25 = np.full(n, BM25_FLOOR, dtype=np.float32)
        generation = self.layout.generation
        ids, scores = self.store.search(generation, "dense", vector.astype(np.float32), limit, where)
        passage_dense[self._rows(ids)] = scores
        weights: dict[int, float] = {}
        for t in tokens:
            column = self._columns.get(t)
            if column is not None and self._idf[column] > 0:
                weights[column] = weights.get(column, 0.0) + float(self._idf[column])
        if weights:
            ids, scores = self.store.search(generation, "sparse", weights, min(MAX_LIMIT, n), where)
            passage_bm25[self._rows(ids)] = scores
        return passage_dense, passage_bm25


class MilvusStore:
    """Index versions in one Milvus database, as a :class:`~rag.retrieval.index.Store`."""

    def __init__(self, config: MilvusConfig):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", config.prefix):
            raise ValueError(f"Milvus collection prefix must be letters, digits and _, not {config.prefix!r}")
        self.config = config
        self.client = connect(config)
        self._pointer = f"{config.prefix}_{_LIVE}"
        self.last_build: BuildStats | None = None

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
        manifest, layout, sentences, chunks = self._read_meta(version)
        check_compatible(manifest, expected, dictionary_hash)
        owners = np.repeat(np.arange(len(chunks), dtype=np.int32), sentences)
        if not self._call("has_collection", layout.generation):
            raise IndexCorruptError(f"Milvus collection {layout.generation} of version {version} is missing; "
                                    f"{REBUILD_HINT}")
        self._call("load_collection", layout.generation)
        stored = self._count(layout.generation, layout.where())
        if (stored != len(owners) or sum(r.count for r in layout.revisions) != len(owners)
                or len(chunks) != manifest.chunk_count):
            raise IndexCorruptError(f"Milvus version {version} reads {stored} passages of {layout.generation}, its "
                                    f"manifest {len(owners)} for {len(chunks)} chunks; {REBUILD_HINT}")
        return MilvusIndex(version, manifest, tuple(chunks), owners, layout, self)

    def _live(self) -> str:
        version = self.current_version()
        if version is None:
            raise IndexMissingError(f"no index in Milvus at {self.config.uri} ({self._pointer}); {REBUILD_HINT}")
        return version

    def build(self, chunks: list[Chunk], embedder: Embedder, tokenizer: ChineseTokenizer,
              documents: list[DocumentInfo], corpus_hash: str, progress: bool = False,
              vectors: np.ndarray | None = None, gate: GateRecord | None = None) -> str:
        """Write a version, inserting rows only for documents the live one lacks, and point ``<prefix>_live`` at it.

        Then delete the rows and drop the collections that neither it nor the previous version reads.
        ``vectors`` (one per passage of :func:`passages`), when given, spare encoding the new passages.
        """
        began = time.perf_counter()
        units = passages(chunks)
        if vectors is not None and len(vectors) != len(units.owners):
            raise ValueError(f"{len(vectors)} vectors given for {len(units.owners)} passages")
        tokens = [tokenizer.tokenize(t) for t in units.lexical_texts]
        spans = _revision_spans(chunks, units)
        manifest = _manifest(embedder.info, tokenizer, chunks, documents, corpus_hash, gate)
        avgdl = float(np.mean([len(t) for t in tokens])) if tokens else 0.0
        live = self.current_version()
        live_manifest, previous = self._layout_of(live)
        base = previous if previous and self._continues(live_manifest, previous, manifest, avgdl) else None
        if previous:
            self._delete(previous.generation, previous.stale)  # in case the switch to the live one failed to
        name, sequence = self._create(corpus_hash)
        start = sequence * _BLOCK
        generation = base.generation if base else f"{self.config.prefix}_g{sequence:06d}_{time.strftime('%Y%m%dT%H%M%S')}"
        try:
            if base:
                self._delete(generation, [(start, start + _BLOCK)])  # a crashed build under this sequence
            else:
                self._create_generation(generation, embedder.info.dimension)
            layout, fresh = _plan(base, generation, avgdl, start, spans, tokens)
            if fresh:
                rows = [i for i, _ in fresh]
                encoded = (vectors[rows] if vectors is not None
                           else embedder.encode_passages([units.dense_texts[i] for i in rows], progress=progress))
                self._insert(generation, layout, fresh, encoded, units, chunks, tokens)
            sentences = np.bincount(units.owners, minlength=len(chunks)).tolist()
            self._write_meta(name, manifest, layout, sentences, chunks)
            if self.current_version() != live:
                raise StoreUnavailableError(f"another build moved {self._pointer} while this one ran; run it again")
            self._point(name)
        except BaseException:
            if base:
                self._delete(generation, [(start, start + _BLOCK)])
            else:
                self._drop(generation)
            self._drop(f"{name}_meta")
            raise
        generations = {generation}
        deleted = 0
        if previous:
            generations.add(previous.generation)
            deleted = self._delete(previous.generation, previous.superseded)  # read by neither kept version
        self._prune(versions={name, live}, generations=generations)
        stats = BuildStats(name, generation, base is None, len(fresh), len(units.owners) - len(fresh), deleted,
                           round(time.perf_counter() - began, 2))
        log.info("Milvus version %s in %s (%s): %d rows inserted, %d reused, %d deleted in %.2f s", name, generation,
                 "a new generation" if base is None else "incremental", stats.inserted, stats.reused, deleted,
                 stats.seconds)
        self.last_build = stats
        return name

    def _layout_of(self, version: str | None) -> tuple[Manifest, Layout] | tuple[None, None]:
        """The manifest and layout of ``version``; Nones when it cannot be read (an older format, say)."""
        if version is None:
            return None, None
        try:
            manifest, layout, _, _ = self._read_meta(version)
        except IndexCorruptError:
            return None, None
        return manifest, layout

    def _continues(self, manifest: Manifest, layout: Layout, new: Manifest, avgdl: float) -> bool:
        """Whether the new version can add to the live one's generation instead of starting one.

        Its rows hold vectors of one model, tokens of one dictionary and a length normalisation
        by the generation's avgdl, which must stay within ``AVGDL_DRIFT`` of the library's.
        """
        same_model = all(getattr(manifest.model, k) == getattr(new.model, k) for k in ("name", "dimension", "fingerprint"))
        return (same_model and manifest.dictionary_hash == new.dictionary_hash and layout.avgdl > 0
                and abs(avgdl - layout.avgdl) <= AVGDL_DRIFT * layout.avgdl
                and self._call("has_collection", layout.generation))

    def _create(self, corpus_hash: str) -> tuple[str, int]:
        """A new version's name and sequence, claimed by creating its meta collection.

        A concurrent build that took the sequence first makes us try the next.
        """
        while True:
            sequence = 1 + max((_sequence(n, self.config.prefix) for n in self._call("list_collections")), default=0)
            name = f"{self.config.prefix}_v{sequence:06d}_{time.strftime('%Y%m%dT%H%M%S')}_{corpus_hash[:8]}"
            if self._call("has_collection", f"{name}_meta"):
                continue
            self._create_meta(f"{name}_meta")
            return name, sequence

    def _create_generation(self, name: str, dimension: int) -> None:
        index = self.client.prepare_index_params()
        index.add_index("dense", index_type="FLAT", metric_type="IP")
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        self._call("create_collection", name, schema=passage_schema(dimension), index_params=index,
                   consistency_level="Strong")

    def _create_meta(self, name: str) -> None:
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("piece", DataType.INT64, is_primary=True)
        schema.add_field("body", DataType.VARCHAR, max_length=65535)
        schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)  # Milvus requires a vector field
        index = self.client.prepare_index_params()
        index.add_index("unused", index_type="FLAT", metric_type="L2")
        self._call("create_collection", name, schema=schema, index_params=index, consistency_level="Strong")

    def _insert(self, generation: str, layout: Layout, fresh: list[tuple[int, int]], vectors: np.ndarray,
                units: Passages, chunks: list[Chunk], tokens: list[list[str]]) -> None:
        columns = {t: i for i, t in enumerate(layout.vocabulary)}
        for start in range(0, len(fresh), _BATCH):
            rows = []
            for (i, pid), vector in zip(fresh[start:start + _BATCH], vectors[start:start + _BATCH]):
                weights = BM25Index.term_weights(tokens[i], layout.avgdl)
                rows.append({"pid": pid, "document_id": chunks[units.owners[i]].document_id,
                             "dense": vector.astype(np.float32),
                             "sparse": {columns[t]: w for t, w in weights.items()}})
            self._call("insert", generation, rows)

    def _write_meta(self, name: str, manifest: Manifest, layout: Layout, sentences: list[int],
                    chunks: list[Chunk]) -> None:
        lines = [json.dumps(manifest.to_dict(), ensure_ascii=False), json.dumps(asdict(layout), ensure_ascii=False),
                 json.dumps(sentences), *(json.dumps(c.to_dict(), ensure_ascii=False) for c in chunks)]
        text = "\n".join(lines)
        pieces = [text[i:i + _PIECE] for i in range(0, len(text), _PIECE)]
        for start in range(0, len(pieces), 100):
            self._call("insert", f"{name}_meta", [{"piece": i, "body": pieces[i], "unused": [0.0, 0.0]}
                                                  for i in range(start, min(len(pieces), start + 100))])

    def _read_meta(self, name: str) -> tuple[Manifest, Layout, list[int], list[Chunk]]:
        if not self._call("has_collection", f"{name}_meta"):
            raise IndexCorruptError(f"Milvus collection {name}_meta is missing; {REBUILD_HINT}")
        text = "".join(row["body"] for row in self._pieces(f"{name}_meta"))
        try:
            manifest_line, layout_line, sentences_line, *chunk_lines = text.split("\n")
            data = json.loads(manifest_line)
            if data.get("format") != FORMAT:
                raise ValueError(f"not a format-{FORMAT} manifest")
            manifest = Manifest.from_dict(data)
            layout = json.loads(layout_line)
            if not isinstance(layout, dict):
                raise ValueError("no row layout: written before incremental builds")
            layout = Layout.from_dict(layout)
            chunks = [Chunk.from_dict(json.loads(line)) for line in chunk_lines]
            return manifest, layout, json.loads(sentences_line), chunks
        except (ValueError, KeyError, TypeError, AttributeError) as err:
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

    def _count(self, collection: str, where: str) -> int:
        return self._call("query", collection, filter=where, output_fields=["count(*)"],
                          consistency_level="Strong")[0]["count(*)"]

    def _delete(self, generation: str, ranges: list[Range]) -> int:
        """Delete the rows in ``ranges`` of ``generation``; how many there were."""
        ranges = _merged(ranges)
        if not ranges or not self._call("has_collection", generation):
            return 0
        where = " or ".join(f"(pid >= {a} and pid < {b})" for a, b in ranges)
        found = self._count(generation, where)
        if found:
            self._call("delete", generation, filter=where)
        return found

    def _prune(self, versions: set[str | None], generations: set[str]) -> None:
        """Drop the versions (and rows of the format before generations) and generations not kept."""
        for name in self._call("list_collections"):
            kind = _kind(name, self.config.prefix)
            if (kind == "v" and name.removesuffix("_meta") not in versions) or (kind == "g" and name not in generations):
                self._drop(name)

    def _drop(self, name: str) -> None:
        if self._call("has_collection", name):
            self._call("drop_collection", name)


def passage_schema(dimension: int):
    """A generation's columns: one row per passage (sentence) of a document revision."""
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("pid", DataType.INT64, is_primary=True)
    schema.add_field("document_id", DataType.VARCHAR, max_length=1024)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dimension)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    return schema


def _match(name: str, prefix: str) -> re.Match | None:
    return re.fullmatch(rf"{re.escape(prefix)}_([vg])(\d+)_\w+?", name)


def _kind(name: str, prefix: str) -> str | None:
    """"v" for a version's collection, "g" for a generation, None for any other."""
    match = _match(name, prefix)
    return match.group(1) if match else None


def _sequence(name: str, prefix: str) -> int:
    match = _match(name, prefix)
    return int(match.group(2)) if match else 0


def _merged(ranges: list[Range]) -> list[Range]:
    """The same pids as fewest ranges, ascending; empty ones left out."""
    out: list[Range] = []
    for a, b in sorted(r for r in ranges if r[0] < r[1]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _revision_spans(chunks: list[Chunk], units: Passages) -> list[tuple[str, str, int, int]]:
    """Each document's id, revision key and passage rows [lo, hi), in build order.

    ValueError when a document's chunks are not contiguous, as its passages must be one pid range.
    """
    bounds = np.searchsorted(units.owners, np.arange(len(chunks) + 1)).tolist()
    spans, seen, position = [], set(), 0
    for document_id, run in groupby(chunks, key=lambda c: c.document_id):
        if document_id in seen:
            raise ValueError(f"the chunks of document {document_id!r} are not contiguous")
        seen.add(document_id)
        end = position + sum(1 for _ in run)
        lo, hi = bounds[position], bounds[end]
        text = json.dumps([document_id, units.dense_texts[lo:hi], units.lexical_texts[lo:hi]], ensure_ascii=False)
        spans.append((document_id, hashlib.sha256(text.encode()).hexdigest()[:32], lo, hi))
        position = end
    return spans


def _plan(base: Layout | None, generation: str, avgdl: float, start: int, spans: list[tuple[str, str, int, int]],
          tokens: list[list[str]]) -> tuple[Layout, list[tuple[int, int]]]:
    """The new version's layout over ``base`` (None: a new generation) and the (passage row, pid) it inserts."""
    reusable = {r.key: r for r in base.revisions} if base else {}
    revisions, fresh, pid = [], [], start
    for document_id, key, lo, hi in spans:
        if key in reusable:
            revisions.append(reusable[key])
        else:
            revisions.append(Revision(document_id, key, pid, hi - lo))
            fresh.extend(zip(range(lo, hi), range(pid, pid + hi - lo)))
            pid += hi - lo
    vocabulary = list(base.vocabulary) if base else []
    columns = {t: i for i, t in enumerate(vocabulary)}
    df: Counter[int] = Counter()
    for passage in tokens:
        for t in dict.fromkeys(passage):
            if t not in columns:
                columns[t] = len(vocabulary)
                vocabulary.append(t)
            df[columns[t]] += 1
    if base is None:
        return Layout(generation, avgdl, start + _BLOCK, vocabulary, [df[i] for i in range(len(vocabulary))],
                      revisions, [], [], []), fresh
    kept = {r.key for r in revisions}
    return Layout(generation, base.avgdl, start + _BLOCK, vocabulary, [df[i] for i in range(len(vocabulary))],
                  revisions, superseded=[(r.start, r.start + r.count) for r in base.revisions if r.key not in kept],
                  stale=base.superseded, gaps=_merged([*base.gaps, (base.high, start)])), fresh


def _manifest(info: ModelInfo, tokenizer: ChineseTokenizer, chunks: list[Chunk], documents: list[DocumentInfo],
              corpus_hash: str, gate: GateRecord | None) -> Manifest:
    return Manifest(
        format=FORMAT, model=ModelRecord.of(info), index_type="milvus-flat", chunk_count=len(chunks),
        corpus_hash=corpus_hash, dictionary_hash=tokenizer.dictionary.fingerprint(), documents=tuple(documents),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        versions={p: package_version(p) for p in ("pymilvus", "milvus-lite", "bm25s", "jieba", "policy-qa")},
        document_chunks=dict(Counter(c.document_id for c in chunks)), gate=gate,
    )
