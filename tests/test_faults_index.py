"""A damaged index stops `policy-qa serve` before it listens; `serve --rebuild` recovers.

Each corruption is applied to a private copy of the shared index; the refusals run as
parallel CLI processes (each one loads the model, so overlapping them saves time).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from rag.retrieval import store

import server_support
from retrieval_support import cli_env, run_cli_many

REFUSE_TIMEOUT = 150  # a server that wrongly starts would run forever; run_cli kills it then

pytestmark = pytest.mark.server


def _folder(index_dir: Path) -> Path:
    return index_dir / "versions" / store.current_version(index_dir)


def _truncate_faiss(index_dir: Path) -> None:
    path = _folder(index_dir) / "dense.faiss"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garbage_bm25(index_dir: Path) -> None:
    (_folder(index_dir) / "bm25" / "data.csc.index.npy").write_bytes(os.urandom(512))


def _edit_chunks(index_dir: Path) -> None:
    path = _folder(index_dir) / "chunks.jsonl"
    text = path.read_text(encoding="utf-8")
    assert "续贷" in text
    path.write_text(text.replace("续贷", "展期", 1), encoding="utf-8")


def _manifest_of_other_files(index_dir: Path) -> None:
    """The manifest disagrees with the files: it describes a different owners.npy."""
    path = _folder(index_dir) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["files"]["owners.npy"] = "0" * 64
    path.write_text(json.dumps(manifest), encoding="utf-8")


def _other_model(index_dir: Path) -> None:
    path = _folder(index_dir) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["model"]["fingerprint"] = "0123456789abcdef"
    path.write_text(json.dumps(manifest), encoding="utf-8")


CORRUPTIONS: dict[str, Callable[[Path], None]] = {
    "faiss-truncated": _truncate_faiss,
    "bm25-garbage": _garbage_bm25,
    "chunks-edited": _edit_chunks,
    "manifest-mismatch": _manifest_of_other_files,
    "other-model": _other_model,
}


@pytest.fixture(scope="module")
def damaged(tmp_path_factory, server_index) -> dict[str, Path]:
    source = server_index
    copies = {}
    for name, corrupt in CORRUPTIONS.items():
        copy = tmp_path_factory.mktemp(name) / "index"
        shutil.copytree(source, copy)
        corrupt(copy)
        copies[name] = copy
    return copies


@pytest.fixture(scope="module")
def refusals(damaged):
    calls = {name: (["serve", "--host", "127.0.0.1", "--port", str(server_support.free_port())],
                    cli_env(folder), None, REFUSE_TIMEOUT)
             for name, folder in damaged.items()}
    return run_cli_many(calls, workers=3)


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_serve_refuses_a_damaged_index_with_a_one_line_fix(refusals, name):
    done = refusals[name]
    assert done.returncode != 0, f"serve started on a damaged index ({name}):\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert "Uvicorn running" not in done.stderr, "the check must happen before the server listens"
    hints = [line for line in done.stderr.splitlines() if "policy-qa build" in line]
    assert len(hints) == 1, done.stderr[-2000:]
    assert "policy-qa serve --rebuild" in hints[0]
    assert hints[0].startswith("Error: Index"), hints[0]  # click's one-line error with the typed error's name


def test_serve_rebuild_recovers_a_damaged_index(damaged):
    index_dir = damaged["faiss-truncated"]
    broken = store.current_version(index_dir)
    server = server_support.launch(index_dir, ("--rebuild",))
    try:
        health = httpx.get(f"{server.url}/api/health", timeout=10).json()
        answer = httpx.post(f"{server.url}/api/ask", json={"question": "台资小微企业贷款到期了能续贷吗？"}, timeout=60)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["found"] is True
        assert any("续贷" in c["text"] for c in body["citations"])
    finally:
        assert server.stop() == 0, server.output()[-2000:]
    rebuilt = store.current_version(index_dir)
    assert rebuilt != broken
    assert rebuilt in json.dumps(health, ensure_ascii=False)
    assert store.load(index_dir).version == rebuilt, "the rebuilt index verifies against its manifest"
