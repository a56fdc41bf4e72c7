"""Shared fixtures for the corpus tests: the real noisy policy, synthetic documents, the tokenizer.

Everything here is built from real objects (the repository's data/ folder, the parser, the
converted embedding model); fixtures are session-scoped because parsing and the model
conversion are deterministic and the model conversion takes a few seconds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "data"
REAL_FILE = DATA_DIR / "fujian-finance-measures-2021.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTICLES_FIXTURE = FIXTURES / "kejijinrong-banfa.txt"
MARKDOWN_FIXTURE = FIXTURES / "lvse-jinrong-cuoshi.md"


@pytest.fixture(scope="session")
def real_parsed():
    """The real corpus file, cleaned, segmented, de-duplicated and outlined."""
    from rag.corpus import read_corpus, parse_file

    sources = [s for s in read_corpus(DATA_DIR) if s.path.name == REAL_FILE.name]
    assert len(sources) == 1, f"{REAL_FILE} is missing from {DATA_DIR}"
    return parse_file(sources[0])


@pytest.fixture(scope="session")
def real_chunks(real_parsed):
    from rag.chunking import chunk_documents

    chunks = chunk_documents([real_parsed.document])
    assert chunks, "the real corpus produced no chunk"
    return chunks


@pytest.fixture(scope="session")
def mixed_corpus(tmp_path_factory) -> Path:
    """A corpus folder: a copy of the real file plus the two synthetic documents."""
    folder = tmp_path_factory.mktemp("mixed-corpus")
    for path in (REAL_FILE, ARTICLES_FIXTURE, MARKDOWN_FIXTURE):
        shutil.copyfile(path, folder / path.name)
    return folder


@pytest.fixture(scope="session")
def corpus_tokenizer(tmp_path_factory):
    """The tokenizer of the converted embedded model, converted into a private temporary home."""
    from transformers import AutoTokenizer

    from rag.convert import ensure_embedded_model

    home = tmp_path_factory.mktemp("policy-qa-home")
    path = ensure_embedded_model(home)
    return AutoTokenizer.from_pretrained(str(path), local_files_only=True)


def assert_spans_match(raw: str, chunk) -> None:
    """The chunk's spans, cleaned, read exactly as its text.

    The one exception is a chunk made of a bare item heading (``1.保障…。`` with no body):
    its text is the item's title, and its span is the whole heading, number included.
    """
    from rag.cleaning import normalise

    assert chunk.spans, f"chunk {chunk.id} has no span"
    assert all(0 <= a < b <= len(raw) for a, b in chunk.spans), chunk.spans
    assert list(chunk.spans) == sorted(chunk.spans)
    wording = "".join(normalise(raw[a:b]) for a, b in chunk.spans)
    if wording == chunk.text:
        return
    number = (chunk.item or "").split(".")[0]
    assert len(chunk.spans) == 1 and number and wording == f"{number}.{chunk.text}", (
        f"spans {chunk.spans} read {wording!r}, chunk text is {chunk.text!r}")
