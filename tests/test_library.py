"""The policy library: documents with their identity, incremental builds, `docs`/`add`/`remove`,
and the /api/documents endpoints of a real server — on real public policy texts."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import httpx
import pytest

from retrieval_support import REPO, cli_env, run_cli
from server_support import launch

pytestmark = pytest.mark.slow  # CLI builds and a live server

LIBRARY = REPO / "eval" / "library"
FUJIAN = REPO / "data" / "fujian-finance-measures-2021.txt"
FIRST = ("youhua-yingshang-huanjing-tiaoli.txt", "guobanfa-2019-6-zhengfuxing-rongzi-danbao.txt")
ADDED = "huzhou-lvse-jinrong-cujin-tiaoli.txt"
ADMIN = "admin-key-for-tests"


def _copy(names, corpus: Path) -> None:
    for name in names:
        for source in (LIBRARY / name, LIBRARY / f"{name}.meta.json"):
            if source.is_file():
                shutil.copyfile(source, corpus / source.name)


def _last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """A corpus folder of three real policies and its index, built by the CLI."""
    root = tmp_path_factory.mktemp("library")
    corpus, index = root / "corpus", root / "index"
    corpus.mkdir()
    shutil.copyfile(FUJIAN, corpus / FUJIAN.name)
    _copy(FIRST, corpus)
    env = cli_env(index, POLICY_QA_CORPUS_DIR=str(corpus))
    done = run_cli(["build", "--json"], env)
    assert done.returncode == 0, done.stderr
    return corpus, index, env, _last_json(done.stdout)


def test_build_json_reports_documents_chunks_and_passages(library):
    _, _, _, report = library
    assert report["documents"] == 3 and report["chunks"] > 50
    assert report["embedded"] + report["reused"] > report["chunks"]  # about three sentences a chunk


def test_docs_lists_identity_and_chunk_counts(library):
    _, _, env, report = library
    done = run_cli(["docs", "--json"], env)
    assert done.returncode == 0, done.stderr
    docs = {d["id"]: d for d in json.loads(done.stdout)}
    assert set(docs) == {"fujian-finance-measures-2021", "youhua-yingshang-huanjing-tiaoli",
                         "guobanfa-2019-6-zhengfuxing-rongzi-danbao"}
    assert docs["youhua-yingshang-huanjing-tiaoli"]["title"] == "优化营商环境条例"
    assert docs["guobanfa-2019-6-zhengfuxing-rongzi-danbao"]["number"] == "国办发〔2019〕6号"
    assert docs["fujian-finance-measures-2021"]["issuers"] == ["福建省人民政府办公厅"]
    assert sum(d["chunks"] for d in docs.values()) == report["chunks"]
    assert all(d["chunks"] > 0 for d in docs.values())


def test_adding_one_document_embeds_only_it_and_removing_embeds_nothing(library, tmp_path):
    corpus, _, env, report = library
    before = report["embedded"] + report["reused"]
    new = tmp_path / ADDED
    shutil.copyfile(LIBRARY / ADDED, new)
    # A sidecar unique to this run keys the document afresh, whatever an earlier run cached.
    (tmp_path / f"{ADDED}.meta.json").write_text(json.dumps({"status": "in_force", "id": f"huzhou-{uuid.uuid4().hex[:8]}"}),
                                                 encoding="utf-8")
    done = run_cli(["add", str(new), "--json"], env)
    assert done.returncode == 0, done.stderr
    added = _last_json(done.stdout)
    assert added["documents"] == 4 and added["reused"] == before
    assert 0 < added["embedded"] < before
    assert (corpus / ADDED).is_file() and (corpus / f"{ADDED}.meta.json").is_file()

    listed = json.loads(run_cli(["docs", "--json"], env).stdout)
    huzhou = next(d for d in listed if d["source"] == ADDED)
    assert huzhou["status"] == "in_force" and huzhou["title"] == "湖州市绿色金融促进条例"

    done = run_cli(["remove", huzhou["id"], "--json"], env)
    assert done.returncode == 0, done.stderr
    removed = _last_json(done.stdout)
    assert (removed["documents"], removed["embedded"], removed["reused"]) == (3, 0, before)
    assert not (corpus / ADDED).exists() and (corpus / ".removed" / ADDED).is_file()


def test_a_broken_file_is_one_line_and_leaves_the_library_as_it_was(library, tmp_path):
    corpus, index, env, _ = library
    before = sorted(p.name for p in corpus.iterdir())
    current = (index / "CURRENT").read_text()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n% truncated here")
    done = run_cli(["add", str(broken)], env)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "broken.pdf" in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in corpus.iterdir()) == before
    assert (index / "CURRENT").read_text() == current


def test_removing_an_unknown_document_names_it(library):
    _, _, env, _ = library
    done = run_cli(["remove", "no-such-document"], env)
    assert done.returncode == 1 and "no-such-document" in done.stderr


@pytest.fixture(scope="module")
def server(library, tmp_path_factory):
    """A server over a copy of the library, with admin and API keys."""
    corpus, index, _, _ = library
    root = tmp_path_factory.mktemp("served")
    shutil.copytree(corpus, root / "corpus", ignore=shutil.ignore_patterns(".removed"))
    shutil.copytree(index, root / "index")
    proc = launch(root / "index", POLICY_QA_CORPUS_DIR=str(root / "corpus"), POLICY_QA_ADMIN_KEYS=ADMIN,
                  POLICY_QA_MAX_UPLOAD_BYTES=str(200_000))
    yield proc, root / "corpus"
    proc.stop()


def _admin() -> dict:
    return {"Authorization": f"Bearer {ADMIN}"}


@pytest.mark.server
def test_documents_endpoint_gives_identity_and_outline(server):
    proc, _ = server
    docs = httpx.get(f"{proc.url}/api/documents", timeout=30).json()
    tiaoli = next(d for d in docs if d["title"] == "优化营商环境条例")
    assert tiaoli["number"] == "中华人民共和国国务院令第722号" and tiaoli["type"] == "条例"
    assert tiaoli["region"] == "national" and tiaoli["chunks"] > 0
    detail = httpx.get(f"{proc.url}/api/documents/{tiaoli['id']}", timeout=30).json()
    assert detail["measures"] and all(m["document_id"] == tiaoli["id"] for m in detail["measures"])
    assert any(m["heading"].startswith("第一条") for m in detail["measures"])
    assert httpx.get(f"{proc.url}/api/documents/nope", timeout=30).status_code == 404


@pytest.mark.server
def test_citations_name_their_document(server):
    proc, _ = server
    body = httpx.post(f"{proc.url}/api/ask", json={"question": "政府性融资担保机构的担保费率要降到多少？"},
                      timeout=60).json()
    assert body["found"] and body["citations"]
    for c in body["citations"]:
        assert c["document_id"] and c["title"] and c["issuers"] and c["date"]
    assert any(c["number"] == "国办发〔2019〕6号" for c in body["citations"])
    hits = httpx.post(f"{proc.url}/api/search", json={"query": "优化营商环境"}, timeout=60).json()["results"]
    assert all(h["document_id"] and h["title"] for h in hits)


@pytest.mark.server
def test_uploads_need_an_admin_key(server):
    proc, _ = server
    files = {"file": (ADDED, (LIBRARY / ADDED).read_bytes(), "text/plain")}
    assert httpx.post(f"{proc.url}/api/documents", files=files, timeout=30).status_code == 401
    wrong = httpx.post(f"{proc.url}/api/documents", files=files, headers={"Authorization": "Bearer nope"}, timeout=30)
    assert wrong.status_code == 403
    assert httpx.delete(f"{proc.url}/api/documents/youhua-yingshang-huanjing-tiaoli", timeout=30).status_code == 401


@pytest.mark.server
def test_bad_uploads_are_refused_and_change_nothing(server):
    proc, corpus = server
    before = sorted(p.name for p in corpus.iterdir())
    png = {"file": ("scan.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "application/pdf")}
    r = httpx.post(f"{proc.url}/api/documents", files=png, headers=_admin(), timeout=60)
    assert r.status_code == 422 and "scan.pdf" in r.json()["detail"]
    huge = {"file": ("big.txt", "政策。".encode() * 100_000, "text/plain")}
    assert httpx.post(f"{proc.url}/api/documents", files=huge, headers=_admin(), timeout=60).status_code == 413
    sidecar = {"file": ("x.meta.json", b"{}", "application/json")}
    assert httpx.post(f"{proc.url}/api/documents", files=sidecar, headers=_admin(), timeout=60).status_code == 422
    assert sorted(p.name for p in corpus.iterdir()) == before
    assert httpx.get(f"{proc.url}/api/health", timeout=30).status_code == 200


@pytest.mark.server
def test_upload_then_delete_changes_what_is_answered(server):
    proc, corpus = server
    files = {"file": (ADDED, (LIBRARY / ADDED).read_bytes(), "text/plain")}
    r = httpx.post(f"{proc.url}/api/documents", files=files, headers=_admin(), timeout=240)
    assert r.status_code == 201, r.text
    change = r.json()
    assert change["document"]["title"] == "湖州市绿色金融促进条例" and change["embedded"] > 0
    ids = {d["id"] for d in httpx.get(f"{proc.url}/api/documents", timeout=30).json()}
    assert change["document"]["id"] in ids
    hits = httpx.post(f"{proc.url}/api/search", json={"query": "湖州市绿色金融改革创新"}, timeout=60).json()["results"]
    assert hits[0]["title"] == "湖州市绿色金融促进条例"

    r = httpx.delete(f"{proc.url}/api/documents/{change['document']['id']}", headers=_admin(), timeout=240)
    assert r.status_code == 200 and r.json()["embedded"] == 0
    ids = {d["id"] for d in httpx.get(f"{proc.url}/api/documents", timeout=30).json()}
    assert change["document"]["id"] not in ids and not (corpus / ADDED).exists()
