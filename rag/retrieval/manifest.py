"""The index manifest as a typed record: what an index was built from, and every file's digest.

The JSON file is the on-disk form (``manifest.json`` in a version folder); the API's health
route, the CLI and the store read the same :class:`Manifest`. Unknown keys are ignored on
read, so a newer build's additions do not stop an older reader.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace

from rag.types import DocumentInfo


@dataclass(frozen=True)
class ModelRecord:
    """The embedding model an index was built with; a mismatch with the configured one is refused."""

    name: str
    dimension: int
    fingerprint: str
    normalized: bool = True
    metric: str = "inner_product"
    backend: str | None = None  # the runtime that computed the vectors (torch, onnx, openvino)
    precision: str | None = None

    @classmethod
    def of(cls, info) -> ModelRecord:
        """The record of an embedder's :class:`~rag.encoder.embedding.ModelInfo` (any fields it shares)."""
        return _record(cls, asdict(info))


@dataclass(frozen=True)
class GateRecord:
    """The refusal gate's calibration for this index, derived from its documents at build time."""

    everyday: float  # margin below which a question nearer the everyday-banking bank is refused
    near: float  # the same for the near-domain bank
    floor: float  # cosine to the nearest passage below which nothing is answered
    forms: int  # question forms generated from the documents (the in-scope side)
    rule: str  # how the margins were derived, in words
    # generic out-of-scope questions this library answers (relevance.answered_here), left out of both banks
    answered: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict) -> GateRecord:
        record = _record(cls, data)
        return replace(record, answered=tuple(record.answered))  # JSON gives a list


@dataclass(frozen=True)
class Manifest:
    format: int
    model: ModelRecord
    index_type: str
    chunk_count: int
    corpus_hash: str
    dictionary_hash: str
    documents: tuple[DocumentInfo, ...]
    built_at: str
    versions: dict[str, str | None] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    document_chunks: dict[str, int] = field(default_factory=dict)  # document id → its chunks
    gate: GateRecord | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Manifest:
        """The manifest in ``data``; ValueError naming the field that is missing or of the wrong type."""
        try:
            return cls(
                format=int(data["format"]),
                model=_record(ModelRecord, data["model"]),
                index_type=str(data["index_type"]),
                chunk_count=int(data["chunk_count"]),
                corpus_hash=str(data["corpus_hash"]),
                dictionary_hash=str(data["dictionary_hash"]),
                documents=tuple(_record(DocumentInfo, d) for d in data["documents"]),
                built_at=str(data["built_at"]),
                versions=dict(data.get("versions") or {}),
                files=dict(data.get("files") or {}),
                document_chunks=dict(data.get("document_chunks") or {}),
                gate=GateRecord.from_dict(data["gate"]) if data.get("gate") else None,
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{type(e).__name__}: {e}") from e


def _record(cls, data: dict):
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in known})
