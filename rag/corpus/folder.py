"""The corpus folder → parsed documents: every file but JSON and hidden ones is a document."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from rag.corpus.cleaning import segment
from rag.corpus.dedup import DedupResult, deduplicate
from rag.corpus.identity import identify, read_sidecar
from rag.corpus.intake import OffsetMap, extract
from rag.corpus.measures import Document, parse_document
from rag.errors import CorpusError

IGNORED_SUFFIXES = (".json",)


@dataclass(frozen=True)
class SourceFile:
    """A document file as intake read it: ``raw`` is its text as extracted (a text file's own
    characters), ``text`` the same cleaned of extraction noise; ``origin`` maps ``text`` offsets to ``raw``."""

    path: Path
    raw: str
    text: str = ""
    origin: OffsetMap | None = None


@dataclass(frozen=True)
class ParsedFile:
    source: SourceFile
    dedup: DedupResult
    document: Document


def list_documents(corpus_dir: Path) -> list[Path]:
    """The policy files of the folder, in name order: every file but hidden ones and JSON
    (sidecars ``<file>.meta.json`` and the chat's ``examples.json`` describe documents; they are none)."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist; set POLICY_QA_CORPUS_DIR to a folder of policy files")
    paths = sorted(p for p in corpus_dir.iterdir()
                   if p.is_file() and not p.name.startswith(".") and p.suffix.lower() not in IGNORED_SUFFIXES)
    if not paths:
        raise CorpusError(f"corpus folder {corpus_dir} holds no policy file")
    return paths


def read_source(path: Path) -> SourceFile:
    """Recognise, extract and clean one file (PDF, DOCX, HTML, text, Markdown); IntakeError in one line."""
    extracted = extract(path)
    same = extracted.text == extracted.source_text
    return SourceFile(path, extracted.source_text, extracted.text, None if same else extracted.origin)


def read_corpus(corpus_dir: Path) -> list[SourceFile]:
    """Read every policy file of the folder, in name order."""
    return [read_source(p) for p in list_documents(corpus_dir)]


def parse_file(source: SourceFile) -> ParsedFile:
    """Identify, segment, de-duplicate and outline one file; spans point into the file's own text."""
    text = source.text or source.raw
    info = identify(text, source.path.name, read_sidecar(source.path))
    segments = segment(text)
    if source.origin is not None:
        segments = [replace(s, start=a, end=b) for s in segments for a, b in [source.origin.span(s.start, s.end)]]
    dedup = deduplicate(segments)
    return ParsedFile(source, dedup, parse_document(dedup.kept, info))


def parse_corpus(corpus_dir: Path) -> list[ParsedFile]:
    return [parse_file(f) for f in read_corpus(corpus_dir)]
