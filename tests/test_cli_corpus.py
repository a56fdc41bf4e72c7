"""The corpus commands of the real ``policy-qa`` console script, run as a user would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA_DIR, REAL_FILE, assert_spans_match

from rag.corpus.cleaning import normalise
from rag.types import Chunk

CHUNK_KEYS = {"id", "document", "part", "measure", "item", "text", "responsible_units", "spans", "document_id", "lead_units",
              "notes"}


def _script() -> str:
    script = Path(sys.executable).with_name("policy-qa")
    found = str(script) if script.exists() else shutil.which("policy-qa")
    assert found, "the policy-qa console script is not installed next to the test interpreter"
    return found


def _run(tmp_path: Path, *args: str, corpus: Path = DATA_DIR, hash_seed: str = "0") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_QA_")}
    env.update(POLICY_QA_CORPUS_DIR=str(corpus), POLICY_QA_HOME=str(tmp_path / "home"),
               POLICY_QA_INDEX_DIR=str(tmp_path / "index"), PYTHONHASHSEED=hash_seed, PYTHONIOENCODING="utf-8")
    return subprocess.run([_script(), *args], env=env, capture_output=True, text=True, encoding="utf-8",
                          timeout=300, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def chunks_json(tmp_path_factory):
    result = _run(tmp_path_factory.mktemp("cli"), "chunks", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_chunks_json_is_an_array_of_chunk_objects(chunks_json, real_chunks):
    assert isinstance(chunks_json, list) and len(chunks_json) == len(real_chunks)
    raw = REAL_FILE.read_text(encoding="utf-8-sig")
    for obj in chunks_json:
        assert set(obj) == CHUNK_KEYS
        assert isinstance(obj["responsible_units"], list) and isinstance(obj["spans"], list)
        # a chunk with units carries the note that names them, as written
        assert bool(obj["notes"]) == bool(obj["responsible_units"])
        assert all(u.lstrip("省")[:2] in "".join(obj["notes"]) for u in obj["responsible_units"])
        assert all(isinstance(a, int) and isinstance(b, int) and a < b for a, b in obj["spans"])
        assert_spans_match(raw, Chunk.from_dict(obj))
    assert [Chunk.from_dict(o) for o in chunks_json] == real_chunks
    assert [o["id"] for o in chunks_json] == [c.id for c in real_chunks]
    assert [o["text"] for o in chunks_json] == [c.text for c in real_chunks]
    six = [o for o in chunks_json if "投贷联动" in o["text"]]
    assert len(six) == 1 and six[0]["measure"].startswith("（六）")


def test_chunk_ids_are_the_same_in_another_process(tmp_path, chunks_json):
    again = _run(tmp_path, "chunks", "--json", hash_seed="12345")
    assert again.returncode == 0, again.stderr
    assert [o["id"] for o in json.loads(again.stdout)] == [o["id"] for o in chunks_json]


def test_chunks_plain_lists_every_chunk(tmp_path, chunks_json):
    result = _run(tmp_path, "chunks")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(chunks_json)
    assert all(line.split()[0] == o["id"] for line, o in zip(lines, chunks_json))


def test_measures_prints_the_outline(tmp_path):
    result = _run(tmp_path, "measures")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "（六）提高金融服务科技创新能力" in out
    assert "责任单位" in out
    assert "福建省人民政府办公厅" in out and "2021-02-09" in out
    for absent in ("（九）", "（十）", "（十三）", "（十七）", "（十九）"):
        assert absent not in out
    assert out.index("一、促进金融业自身发展超越") < out.index("（一）推动银行业高质量发展") \
        < out.index("二、金融服务经济社会全方位发展超越") < out.index("（六）提高金融服务科技创新能力")


def test_dedup_report_json_totals_add_up(tmp_path):
    result = _run(tmp_path, "dedup-report", "--json")
    assert result.returncode == 0, result.stderr
    reports = json.loads(result.stdout)
    assert [r["file"] for r in reports] == [REAL_FILE.name]
    r = reports[0]
    raw = REAL_FILE.read_text(encoding="utf-8-sig")
    assert r["raw_chars"] == len(raw)
    assert r["kept_chars"] + r["dropped_chars"] + r["whitespace_chars"] == r["raw_chars"]
    assert 0 <= r["whitespace_chars"] <= sum(ch.isspace() for ch in raw)
    assert r["dropped_chars"] == sum(b - a for a, b in (d["span"] for d in r["dropped"]))
    assert sum(r["by_reason"].values()) == len(r["dropped"])
    assert r["by_reason"]["splice"] == 2
    spans = sorted(tuple(d["span"]) for d in r["dropped"])
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:])), "dropped spans overlap"
    for d in r["dropped"]:
        a, b = d["span"]
        assert normalise(raw[a:b]) == d["text"]


def test_dedup_report_text(tmp_path):
    result = _run(tmp_path, "dedup-report")
    assert result.returncode == 0, result.stderr
    assert f"{REAL_FILE.name}: {len(REAL_FILE.read_text(encoding='utf-8-sig'))} raw chars" in result.stdout
    assert "splice" in result.stdout and "推进再保险市场建和养老保险等机构" in result.stdout


def test_several_documents_in_the_corpus_folder(tmp_path, mixed_corpus):
    result = _run(tmp_path, "chunks", "--json", corpus=mixed_corpus)
    assert result.returncode == 0, result.stderr
    documents = {o["document"] for o in json.loads(result.stdout)}
    assert documents == {"福建省加快金融业发展更好服务全方位推动高质量发展超越的若干措施",
                         "某市科技金融支持办法", "某市绿色金融发展若干措施"}


def test_missing_corpus_folder_is_a_one_line_error(tmp_path):
    result = _run(tmp_path, "chunks", "--json", corpus=tmp_path / "nowhere")
    assert result.returncode != 0
    assert "CorpusError" in result.stderr and "POLICY_QA_CORPUS_DIR" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_setting_is_a_one_line_error():
    env = {"PATH": "/usr/bin:/bin", "POLICY_QA_WECOM_MSGID_TTL": "0"}
    done = subprocess.run([sys.executable, "-m", "cli", "measures"], env=env, capture_output=True, text=True,
                          cwd=str(DATA_DIR.parent))
    assert done.returncode == 1
    assert done.stderr.strip() == "Error: invalid setting: POLICY_QA_WECOM_MSGID_TTL: Input should be greater than or equal to 1"
