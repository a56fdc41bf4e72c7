"""BM25 (bm25s) against an independent computation, the jieba tokenizer, query normalisation."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from rag.retrieval.hybrid import Retriever
from rag.retrieval.lexical import BM25Index, ChineseTokenizer, Dictionary
from rag.retrieval.query import expand, load_synonyms, normalise_query

K1, B = 1.2, 0.75


def reference_bm25(corpus: list[list[str]], query: list[str]) -> np.ndarray:
    """BM25 as bm25s's default 'lucene' method defines it, in plain Python.

    idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))
    tf part = tf / (tf + k1 * (1 - b + b * |d| / avgdl))     (bm25s drops Lucene's constant k1 + 1)
    Every query token counts once per occurrence in the query.
    """
    n = len(corpus)
    avgdl = sum(len(d) for d in corpus) / n
    df = Counter(t for d in corpus for t in set(d))
    out = []
    for doc in corpus:
        tf = Counter(doc)
        score = 0.0
        for t in query:
            if t not in df:
                continue
            idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
            score += idf * tf[t] / (tf[t] + K1 * (1 - B + B * len(doc) / avgdl))
        out.append(score)
    return np.array(out)


TINY = [
    ["科创", "企业", "融资", "融资", "支持"],
    ["台资", "企业", "续贷"],
    ["融资", "担保", "公司", "担保", "费率", "补贴", "政策"],
    ["绿色", "债券"],
    ["企业", "企业", "企业", "上市"],
]


@pytest.mark.parametrize("query", [
    ["融资"],
    ["融资", "担保"],
    ["企业"],
    ["续贷", "台资", "企业"],
    ["绿色", "债券", "上市"],
    ["融资", "融资"],  # a repeated query token counts twice
])
def test_bm25_matches_reference(query):
    index = BM25Index.build(TINY)
    got = index.scores(query)
    want = reference_bm25(TINY, query)
    assert got.dtype == np.float32 and got.shape == (len(TINY),)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_bm25_hand_value_for_one_cell():
    # doc 1 ("台资 企业 续贷"), query 续贷: df=1, N=5, |d|=3, avgdl=21/5, tf=1
    idf = math.log(1 + (5 - 1 + 0.5) / (1 + 0.5))
    expected = idf * 1 / (1 + 1.2 * (1 - 0.75 + 0.75 * 3 / (21 / 5)))
    got = BM25Index.build(TINY).scores(["续贷"])
    assert got[1] == pytest.approx(expected, rel=1e-5)
    assert got[[0, 2, 3, 4]].tolist() == [0, 0, 0, 0]


def test_bm25_unknown_tokens_are_ignored():
    index = BM25Index.build(TINY)
    np.testing.assert_array_equal(index.scores(["不存在的词", "另一个"]), np.zeros(len(TINY), np.float32))
    np.testing.assert_array_equal(index.scores([]), np.zeros(len(TINY), np.float32))
    np.testing.assert_allclose(index.scores(["不存在的词", "续贷"]), index.scores(["续贷"]))


def test_bm25_save_load_roundtrip(tmp_path):
    index = BM25Index.build(TINY)
    index.save(tmp_path / "bm25")
    assert not list((tmp_path / "bm25").glob("*.pkl")), "the index must be stored without pickle"
    loaded = BM25Index.load(tmp_path / "bm25")
    for query in (["融资", "担保"], ["企业"], ["绿色"]):
        np.testing.assert_allclose(loaded.scores(query), reference_bm25(TINY, query), rtol=1e-4, atol=1e-6)


@pytest.fixture(scope="module")
def tok() -> ChineseTokenizer:
    return ChineseTokenizer()


def test_bm25_on_real_tokens_matches_reference(tok):
    texts = [
        "鼓励金融机构开展投贷联动，支持科创企业融资。",
        "推动金融机构为台资企业提供续贷和无还本续贷服务。",
        "发挥政府性融资担保机构作用，降低融资担保费率。",
        "大力发展绿色金融，支持发行绿色债券。",
    ]
    corpus = [tok.tokenize(t) for t in texts]
    assert all(corpus)
    index = BM25Index.build(corpus)
    for question in ("科创企业融资", "台资企业续贷", "融资担保费率", "绿色债券"):
        query = tok.tokenize(question)
        got, want = index.scores(query), reference_bm25(corpus, query)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    assert int(np.argmax(index.scores(tok.tokenize("续贷")))) == 1


DOMAIN_WORDS = ["投贷联动", "融资担保", "科创企业", "台资企业", "续贷"]


@pytest.mark.parametrize("word", DOMAIN_WORDS)
def test_domain_words_stay_whole(tok, word):
    assert word in Dictionary().userdict.read_text(encoding="utf-8")
    tokens = tok.tokenize(f"支持{word}的发展")
    assert word in tokens, tokens


def test_plain_jieba_would_split_the_domain_words():
    """The dictionary is what keeps them whole (guards the test above against a vacuous pass)."""
    import jieba

    plain = jieba.Tokenizer()
    for word in ("投贷联动", "台资企业", "续贷"):
        assert word not in list(plain.cut_for_search(f"支持{word}的发展"))


def test_short_forms_stay_whole_before_a_postposition(tok):
    """Plain jieba reads 「个税里」 as 个 + 税里, so the question lost its subject; the dictionary keeps 个税."""
    import jieba

    assert "个税" not in jieba.Tokenizer().lcut("个税里的专项附加扣除能扣多少")
    assert "个税" in tok.tokenize("个税里的专项附加扣除能扣多少")


def test_a_clients_way_of_introducing_a_case_names_no_subject(tok):
    """「有个研究所…赚了一笔」: 有个 and 一笔 are how a client tells a case; as subjects they would be what a
    refusal says the policy lacks (「没有关于“有个、一笔”的规定」)."""
    words = tok.words("青岛有个研究所把单位的专利卖出去赚了一笔，客户手上有张票")
    assert {"研究所", "专利"} <= set(words)
    assert not {"有个", "一笔", "有张", "手上"} & set(words)


def test_asking_in_what_case_leaves_no_fragment(tok):
    """「在什么情况下要终止」: jieba alone cuts 情况/下要, and 下要 became a word the policy was searched for."""
    assert tok.tokenize("深圳的矛盾纠纷调解在什么情况下要终止？") == ["深圳", "矛盾", "纠纷", "调解", "终止"]


def test_stop_words_and_punctuation_are_removed(tok):
    stop = set(Dictionary().stopwords.read_text(encoding="utf-8").split())
    assert {"的", "哪些", "吗", "有"} <= stop
    tokens = tok.tokenize("科创企业有哪些融资担保的政策吗？，。！ 、")
    assert tokens
    assert not stop & set(tokens), stop & set(tokens)
    assert not [t for t in tokens if not any(ch.isalnum() for ch in t)], tokens
    assert {"科创企业", "融资担保"} <= set(tokens)


def test_tokens_are_lowercase(tok):
    tokens = tok.tokenize("IPO上市")
    assert "ipo" in tokens and "IPO" not in tokens


def test_long_words_add_character_bigrams(tok):
    tokens = tok.tokenize("投贷联动")
    assert {"投贷联动", "投贷", "贷联", "联动"} <= set(tokens)


def test_dictionary_fingerprint_is_stable_and_content_based(tmp_path):
    d = Dictionary()
    assert d.fingerprint() == Dictionary().fingerprint()
    assert len(d.fingerprint()) == 16
    other_user = tmp_path / "userdict.txt"
    other_user.write_text(d.userdict.read_text(encoding="utf-8") + "新词汇 100 n\n", encoding="utf-8")
    assert Dictionary(userdict=other_user, stopwords=d.stopwords).fingerprint() != d.fingerprint()


@pytest.mark.parametrize("raw,normal", [
    ("科創企業的授信評審", "科创企业的授信评审"),
    ("ＡＢＣ１２３", "ABC123"),
    ("ａｂｃ", "abc"),
    ("台資企業\u3000續貸", "台资企业 续贷"),
    ("  科创   企业 \n", "科创 企业"),
    ("融资担保，费率？", "融资担保，费率？"),  # full-width punctuation stays
])
def test_normalise_query(raw, normal):
    assert normalise_query(raw) == normal


@pytest.fixture(scope="module")
def synonyms():
    return load_synonyms()


@pytest.mark.parametrize("term,synonym", [
    ("券商", "证券公司"),
    ("小贷公司", "小额贷款公司"),
    ("农信社", "农村信用社"),
    ("台胞", "台湾同胞"),
    ("科技型企业", "科创企业"),
    # how staff say it, against how policies write it
    ("年纪", "年龄"),
    ("大学", "高等学校"),
    ("水电费", "公用事业"),
    ("一类卡", "Ⅰ类户"),  # account classes as the counter says them, and as 银发〔2016〕261号 writes them
    ("取现", "支取现金"),
    ("停水", "停止供水"),  # 「能不能停水停电催物业费」, against 「不得采取停止供水、供电…方式催交」
    ("欠费", "拒不交纳"),
    ("别人", "他人"),  # 「把客户信息提供给别人」, against 「向他人提供其处理的个人数据」
    ("想续", "延期"),  # 「到期想续，什么时候要提出」, against 「…期限届满一年前…申请延期」
    ("交房", "交付"),  # 「开发商一直拖着不交房」, against 「经催告在三个月内仍未交付的」
    ("专户", "专用存款账户"),
    ("现房", "现售"),  # 「期房预售和现房销售的条件」, against 「商品房现售…应当符合下列条件」
    ("调出", "调整出"),  # 「什么情况下会被调出专家库」, against 「…调整出综合评标专家库：」
    ("汇款", "款项划转"),  # 「自然人客户的跨境汇款」, against 「…的跨境款项划转」
    ("报备", "备案"),
    ("一天", "单日"),  # 「一天最多能付多少」, against 「单日累计金额应不超过1000元」
    ("高管", "高级管理人员"),
    ("兼职", "兼任"),  # 「金控公司高管兼职有什么限制」, against 「不能兼任所控股机构的高级管理人员」
])
def test_synonym_expansion(synonyms, term, synonym):
    extra = expand(f"{term}有什么支持政策", synonyms)
    assert synonym in extra
    assert term not in extra, "terms already in the text are not added again"
    assert len(extra) == len(set(extra))


def test_synonyms_are_symmetric_and_skip_comments(synonyms):
    assert "券商" in synonyms["证券公司"]
    assert not any(k.startswith("#") for k in synonyms)
    # the tokenizer lowercases what a question writes as RQFII: the lowercase word finds the group too
    assert "人民币合格投资者" in synonyms["rqfii"] and synonyms["rqfii"] == synonyms["RQFII"]


def test_expansion_of_unrelated_text_is_empty(synonyms):
    assert expand("今天天气怎么样", synonyms) == []


def test_prepare_normalises_then_expands_into_bm25_tokens(tok, synonyms):
    retriever = Retriever(index=None, embedder=None, tokenizer=tok, synonyms=synonyms)
    vector = np.zeros(4, dtype=np.float32)
    query = retriever.prepare("券商與台胞", vector)
    assert query.text == "券商与台胞"
    assert query.vector is vector, "a given vector is used as is, not re-encoded"
    assert {"证券公司", "台湾同胞"} <= set(query.tokens), query.tokens


def test_an_account_class_stays_one_word_however_it_is_typed(tok):
    # Ⅰ/Ⅱ/Ⅲ类 accounts differ in their limits only by the numeral, which jieba cuts off alone
    assert "Ⅱ类" in tok.words("个人Ⅱ类支付账户的余额付款，一年累计上限是多少？")
    assert "Ⅱ类" in tok.tokenize("其所有Ⅱ类支付账户的余额付款交易年累计不超过10万元")
    assert "Ⅲ类" in tok.words(normalise_query("客户的III类户能转多少？"))
    assert "Ⅱ类" in tok.words(normalise_query("客户的二类户能转多少？"))
    # 「第二类」 is an ordinal, and 「二类」 alone names no account
    assert "Ⅱ类" not in tok.words(normalise_query("第二类户")) + tok.words(normalise_query("二类疫苗"))


def test_the_tokenizer_code_is_part_of_the_dictionary_fingerprint(monkeypatch):
    before = Dictionary().fingerprint()
    monkeypatch.setattr("inspect.getsource", lambda obj: "changed")
    assert Dictionary().fingerprint() != before
