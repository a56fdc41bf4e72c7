"""The corpus folder → parsed documents (every ``.txt`` and ``.md`` file is one document)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from rag.cleaning import segment, strip_markdown
from rag.dedup import DedupResult, deduplicate
from rag.errors import CorpusError
from rag.measures import Document, parse_document

SUFFIXES = (".txt", ".md")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    raw: str


@dataclass(frozen=True)
class ParsedFile:
    source: SourceFile
    dedup: DedupResult
    document: Document


def read_corpus(corpus_dir: Path) -> list[SourceFile]:
    """Read every policy file of the folder, in name order, as UTF-8 (BOM tolerated)."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist; set POLICY_QA_CORPUS_DIR to a folder of .txt/.md files")
    paths = sorted(p for p in corpus_dir.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
    if not paths:
        raise CorpusError(f"corpus folder {corpus_dir} holds no .txt or .md file")
    files = []
    for p in paths:
        try:
            files.append(SourceFile(p, p.read_text(encoding="utf-8-sig")))
        except UnicodeDecodeError as e:
            raise CorpusError(f"{p} is not UTF-8 ({e.reason} at byte {e.start}); convert it with iconv -f GB18030 -t UTF-8") from e
    return files


def parse_file(source: SourceFile) -> ParsedFile:
    """Clean, segment, de-duplicate and outline one file."""
    text = strip_markdown(source.raw) if source.path.suffix.lower() == ".md" else source.raw
    dedup = deduplicate(segment(text))
    return ParsedFile(source, dedup, parse_document(dedup.kept, source.path.name, _fallback_title(source)))


def _fallback_title(source: SourceFile) -> str:
    first = next((line.strip(" #\t") for line in source.raw.splitlines() if line.strip()), "")
    return first if 0 < len(first) <= 80 and "。" not in first else source.path.stem


def parse_corpus(corpus_dir: Path) -> list[ParsedFile]:
    return [parse_file(f) for f in read_corpus(corpus_dir)]


def corpus_hash(files: list[SourceFile]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.path.name.encode() + b"\0" + f.raw.encode() + b"\0")
    return h.hexdigest()
