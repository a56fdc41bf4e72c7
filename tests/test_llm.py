"""Optional LLM generation: the prompt, the output checks and every fallback to the extractive answer.

The LLM is the one thing these tests cannot run, so it is a real HTTP server on 127.0.0.1
(tests/llm_stub.py) scripted per test; everything else is real: the embedded model, the
index over the repository corpus, the Assistant and, at the end, ``policy-qa serve``.
"""

from __future__ import annotations

import logging
import re
import time

import httpx
import pytest

from rag.answering.llm import build_messages, generator_from_settings
from rag.answering.validate import normalise_markers, quantities, validate
from rag.assistant import Assistant
from rag.corpus.measures import UNLABELLED
from rag.corpus.numbering import chinese_value
from rag.errors import LLMConfigError
from rag.pipeline import load_chunks
from rag.settings import Settings
from rag.types import Answer, Citation

from llm_stub import StubLLM
from retrieval_support import DATA_DIR

API_KEY = "sk-test-secret-0123"
MODEL = "qwen-stub"
QUESTION = "移动支付示范县建设的目标是什么？"
TOPIC = "移动支付示范县"


# ---- fixtures and helpers ----------------------------------------------------------


@pytest.fixture(scope="module")
def stub():
    server = StubLLM().start()
    yield server
    server.stop()


@pytest.fixture
def llm(stub):
    stub.reset()
    return stub


@pytest.fixture(scope="module")
def pipeline(real_pipeline):
    return real_pipeline


def ask(pipeline, stub: StubLLM, question: str = QUESTION, timeout: float = 10.0) -> Answer:
    """A fresh Assistant (so no cached answer) whose generator is configured like production."""
    settings = Settings(llm_base_url=stub.base_url, llm_model=MODEL, llm_api_key=API_KEY, llm_timeout=timeout)
    return Assistant(pipeline, generator=generator_from_settings(settings)).ask(question)


def extractive(pipeline, question: str = QUESTION) -> Answer:
    return Assistant(pipeline).ask(question)


def valid_reply(ref: int, units: tuple[str, ...]) -> str:
    """An answer quoting the passage on mobile-payment demonstration counties, cited as [ref]."""
    return "\n".join((
        "政策明确了移动支付示范县的建设目标。",
        f"大力推进移动支付示范县建设，力争到2025年建成30个示范县[{ref}]。",
        f"每个示范县至少完成50个普惠金融服务点移动支付功能改造，将线上服务加载率提升到100%[{ref}]。",
        f"责任单位包括{'、'.join(units[:2])}等[{ref}]。",
    ))


def topic_citation(answer: Answer) -> Citation:
    cited = [c for c in answer.citations if TOPIC in c.chunk.text]
    assert cited, f"retrieval did not cite the {TOPIC} passage: {[c.chunk.measure for c in answer.citations]}"
    return cited[0]


def reply_from_prompt(body: dict) -> str:
    """The valid reply for whatever ref the server gave the topic passage in this request."""
    user = body["messages"][-1]["content"]
    passage = next(p for p in user.split("\n\n") if TOPIC in p and p.startswith("["))
    ref = int(re.match(r"\[(\d+)\]", passage).group(1))
    units = tuple(re.search(r"责任单位：(.*)", passage).group(1).split("、"))
    return valid_reply(ref, units)


# ---- against the stub, with the real Assistant and index ----------------------------


def test_valid_reply_is_used_and_prompt_holds_only_the_cited_passages(pipeline, llm):
    base = extractive(pipeline)
    cited = topic_citation(base)
    reply = valid_reply(cited.ref, cited.chunk.responsible_units)
    llm.reset(reply=reply)

    answer = ask(pipeline, llm)

    assert answer.kind == "llm" and answer.found
    assert answer.text == reply
    assert answer.summary == "政策明确了移动支付示范县的建设目标。" and len(answer.statements) == 3
    assert answer.citations == (cited,)  # only what the reply cites, ref unchanged

    assert len(llm.received) == 1
    request = llm.received[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.body["model"] == MODEL and request.body["temperature"] == 0
    assert [m["role"] for m in request.body["messages"]] == ["system", "user"]
    prompt = request.prompt
    assert QUESTION in prompt
    for c in base.citations:
        assert f"[{c.ref}]" in prompt and c.chunk.text in prompt and c.chunk.measure in prompt
        assert c.chunk.note in prompt
    cited_texts = [c.chunk.text for c in base.citations]
    others = [ch.text for ch in pipeline.index.chunks
              if ch.id not in {c.chunk.id for c in base.citations} and not any(ch.text in t for t in cited_texts)]
    assert len(others) >= 10
    leaked = [t[:20] for t in others if t in prompt]
    assert not leaked, f"uncited chunks were sent to the LLM: {leaked}"


@pytest.mark.parametrize("case", ["invented marker", "invented number", "invented unit", "no marker"])
def test_unsupported_reply_falls_back_to_the_extractive_answer(pipeline, llm, case):
    base = extractive(pipeline)
    cited = topic_citation(base)
    good = valid_reply(cited.ref, cited.chunk.responsible_units)
    reply = {
        "invented marker": good + "\n另有贴息支持政策[9]。",
        "invented number": good.replace("建成30个示范县", "建成30个示范县，安排5000亿元专项资金"),
        "invented unit": good.replace("责任单位包括", "责任单位包括省交通运输厅、"),
        "no marker": re.sub(r"\[\d+\]", "", good),
    }[case]
    assert reply != good
    llm.reset(reply=reply)

    answer = ask(pipeline, llm)

    assert len(llm.received) == 1, "the LLM was not asked"
    assert answer.kind == base.kind == "retrieval"
    assert answer.text == base.text and answer.citations == base.citations


@pytest.mark.parametrize("script", [
    {"status": 500},
    {"status": 401},
    {"delay": 3.0},
    {"raw": b"<html>bad gateway</html>"},
    {"raw": b'{"choices": []}'},
    {"reply": "  \n "},
], ids=["500", "401", "timeout", "not-json", "no-choices", "empty"])
def test_endpoint_failure_falls_back_to_the_extractive_answer(pipeline, llm, script, caplog):
    base = extractive(pipeline)
    llm.reset(**script)

    start = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="policy_qa.llm"):
        answer = ask(pipeline, llm, timeout=0.5)
    elapsed = time.monotonic() - start

    assert len(llm.wait_for(1)) == 1
    assert answer.kind == "retrieval" and answer.text == base.text
    assert elapsed < 2.5, f"the 0.5 s LLM timeout was not applied ({elapsed:.1f} s)"
    assert "keeping the extractive answer" in caplog.text
    assert API_KEY not in caplog.text


def test_out_of_scope_question_is_never_sent_to_the_llm(pipeline, llm):
    llm.reset(reply="某某银行可提供100亿元贷款[1]。")

    answer = ask(pipeline, llm, question="信用卡年费可以免吗？")

    assert not answer.found and answer.kind == "refusal"
    assert llm.received == []


def test_refusals_and_aggregates_are_not_rewritten(pipeline, llm):
    llm.reset(reply="政策未涉及")
    base = extractive(pipeline)
    generator = generator_from_settings(Settings(llm_base_url=llm.base_url, llm_model=MODEL, llm_api_key=None))

    refusal = Answer(QUESTION, "政策未涉及该问题。", (), (), False, "refusal", ("（一）推动银行业高质量发展",))
    aggregate = Answer(QUESTION, base.summary, base.statements, base.citations, True, "aggregate")

    assert generator.generate(QUESTION, refusal) is None
    assert generator.generate(QUESTION, aggregate) is None
    assert llm.received == []
    # ... while a retrieval answer is sent, without an Authorization header when no key is set.
    assert generator.generate(QUESTION, base) is None  # "政策未涉及" has no marker
    assert len(llm.received) == 1 and "authorization" not in llm.received[0].headers


def test_reasoning_block_and_marker_variants_are_cleaned(pipeline, llm):
    base = extractive(pipeline)
    cited = topic_citation(base)
    good = valid_reply(cited.ref, cited.chunk.responsible_units)
    llm.reset(reply="<think>先找到相关片段。</think>\n\n" + good.replace(f"[{cited.ref}]", f"【{cited.ref}】"))

    answer = ask(pipeline, llm)

    assert answer.kind == "llm" and answer.text == good


def test_llm_settings_are_read_and_checked():
    assert generator_from_settings(Settings(llm_base_url=None)) is None
    with pytest.raises(LLMConfigError, match="POLICY_QA_LLM_MODEL"):
        generator_from_settings(Settings(llm_base_url="http://127.0.0.1:9/v1", llm_model=None))
    generator = generator_from_settings(Settings(llm_base_url="http://127.0.0.1:9/v1/", llm_model="m",
                                                 llm_api_key=API_KEY, llm_timeout=3))
    assert generator.client.config.timeout == 3
    assert API_KEY not in repr(generator.client.config)


@pytest.mark.server
def test_end_to_end_through_policy_qa_serve(llm, servers):
    llm.reset(reply=reply_from_prompt)
    server = servers(POLICY_QA_LLM_BASE_URL=llm.base_url, POLICY_QA_LLM_MODEL=MODEL,
                     POLICY_QA_LLM_API_KEY="sk-e2e-key")
    llm.reset(reply=reply_from_prompt)  # forget any warm-up the server did

    response = httpx.post(f"{server.url}/api/ask", json={"question": QUESTION}, timeout=60)

    assert response.status_code == 200, f"{response.text}\n{server.output()[-4000:]}"
    body = response.json()
    assert len(llm.received) == 1
    request = llm.received[0]
    assert request.headers["authorization"] == "Bearer sk-e2e-key"
    assert body["kind"] == "llm" and body["found"] is True
    assert body["answer"] == reply_from_prompt(request.body)
    ref = int(re.search(r"\[(\d+)\]", body["answer"]).group(1))
    assert [c["ref"] for c in body["citations"]] == [ref]
    assert TOPIC in body["citations"][0]["text"] and body["citations"][0]["text"] in request.prompt
    assert "sk-e2e-key" not in server.output()


# ---- the output checks, rule by rule ------------------------------------------------


@pytest.fixture(scope="module")
def chunks():
    return load_chunks(DATA_DIR)[0]


def cite(chunks, ref: int, measure: str, item: str | None = None) -> Citation:
    c = next(c for c in chunks if c.measure.startswith(measure) and (item is None or (c.item or "").startswith(item)))
    return Citation(ref, c, 1.0)


@pytest.fixture(scope="module")
def banking(chunks):
    """[1] measure (一): deposits 8.2万亿元, loans 9万亿元 by 2025; [2] the 三农 item: 4倍, 1%, 30个, 100%."""
    return [cite(chunks, 1, "（一）"), cite(chunks, 2, UNLABELLED, "2.做好")]  # its heading is missing in the file


def problems(text: str, citations) -> list[str]:
    return validate(text, citations)


@pytest.mark.parametrize("claim", [
    "力争到2025年末全省本外币各项存款余额达8.2万亿元[1]",
    "存款余额目标为82000亿元[1]",          # the same amount in another magnitude
    "贷款余额达9万亿元[1]",
    "贷款余额达九万亿元[1]",               # Chinese numerals, same value
    "到二〇二五年末[1]",
    "融资担保放大倍数达4倍[2]",
    "平均融资担保费率降至1%以内[2]",
    "平均融资担保费率降至百分之一以内[2]",
    "建成30个示范县[2]",
    "线上服务加载率提升到100%[2]",
    "进一步推进统一的两岸合作，服务三明、“十四五”规划[1]",  # numerals inside words are no numbers
    "打造一个平台、推出一批产品[1]",        # 一 + classifier is an article
    "政策中相关措施有2条[1][2]",            # the count of cited measures
    "第（一）条要求推动银行业高质量发展[1]",
])
def test_supported_numbers_pass(banking, claim):
    assert problems(claim, banking) == []


@pytest.mark.parametrize("claim, number", [
    ("新增贷款5000亿元[1]", "5000亿元"),
    ("存款余额达8.2亿元[1]", "8.2亿元"),                # right digits, wrong magnitude
    ("贷款余额达十亿元[1]", "十亿元"),
    ("力争到2026年末[1]", "2026年"),
    ("三年内完成[1]", "三年"),
    ("费率降至1.5%以内[2]", "1.5%"),
    ("费率降至百分之二以内[2]", "百分之二"),
    ("建成30亿元示范项目[2]", "30亿元"),               # a value from the passage with another unit
    ("建成30元示范县[2]", "30元"),
    ("放大倍数达4%[2]", "4%"),
    ("费率下降2个百分点[2]", "2个百分点"),
    ("相关措施有5条[1][2]", "5条"),
    ("见第二十一条[1]", "第二十一条"),
    ("存款余额达８.２万亿元，贷款增长１２％[1]", "12%"),  # full-width forms are read too
])
def test_unsupported_numbers_are_reported(banking, claim, number):
    found = problems(claim, banking)
    assert any(number in p for p in found), found
    assert all(p.startswith("数字不在引用原文中") for p in found), found


def test_only_cited_passages_support_numbers(banking):
    # 8.2万亿元 is in [1], but this answer cites only [2].
    assert problems("存款余额达8.2万亿元[2]", banking) == ["数字不在引用原文中：8.2万亿元"]


def test_number_parsing():
    assert chinese_value("十二") == 12 and chinese_value("两千") == 2000
    assert chinese_value("三亿五千万") == 350_000_000 and chinese_value("八万亿") == 8 * 10**12
    assert chinese_value("一千零五") == 1005 and chinese_value("二〇二五") == 2025
    assert chinese_value("十四五") is None
    [q] = quantities("余额达1,000万元")
    assert q.value == 10**7 and q.unit == "元"
    [q] = quantities("提高3个百分点")
    assert q.unit == "百分点"


@pytest.fixture(scope="module")
def taiwan(chunks):
    """[1] measure (十一): 人行福州中心支行, 福建银保监局, 省委台港澳办, 省财政厅 ...; [2] measure (一)."""
    return [cite(chunks, 1, "（十一）"), cite(chunks, 2, "（一）")]


@pytest.mark.parametrize("claim", [
    "由省财政厅牵头[1]",
    "人民银行福州中心支行负责[1]",                 # 人民银行 is the corpus's 人行
    "中国人民银行福州中心支行和福建银保监局负责[1]",
    "福建银保监局、厦门银保监局按职责分工负责[1]",
    "省委台港澳办会同省金融监管局推动[1]",
    "福建省财政厅负责[1]",                         # the cited document is 福建省's
    "财政厅负责[1]",
    "完善机构布局，举办对接活动，办理续贷，委托贷款[1]",  # words that only end like units
    "支持省内上市公司和地方中小银行发展[1]",
    "全省政府性融资担保机构提供增信服务[1]",
])
def test_supported_units_pass(taiwan, claim):
    assert problems(claim, taiwan) == []


@pytest.mark.parametrize("claim, name", [
    ("由省交通运输厅牵头[1]", "省交通运输厅"),
    ("交通运输厅负责[1]", "运输厅"),
    ("福州银保监局负责[1]", "福州银保监局"),                # a real-looking name with the wrong city
    ("浙江省财政厅负责[1]", "浙江省财政厅"),
    ("福建证监局负责[2]", "福建证监局"),                    # in the corpus, but not in passage [2]
    ("中国银保监会负责[1]", "中国银保监会"),
    ("国家开发银行提供贷款[1]", "国家开发银行"),
    ("厦门市政府负责[1]", "厦门市政府"),
    ("省工信委负责[1]", "省工信委"),
])
def test_invented_units_are_reported(taiwan, claim, name):
    assert problems(claim, taiwan) == [f"机构名称不在引用原文中：{name}"]


def test_marker_rules(taiwan):
    assert problems("概括[1]\n要点[3]", taiwan) == ["引用标记[3]不存在"]
    assert problems("概括\n要点", taiwan)[0] == "回答没有引用标记"
    assert problems("概括[1]\n要点没有标记", taiwan) == ["该句没有引用标记：要点没有标记"]
    assert problems("概括\n要点【1】\n要点［2］\n要点[1,2]", taiwan) == []
    assert problems("   \n", taiwan) == ["回答为空"]
    assert normalise_markers("要点【1，2】与［3］") == "要点[1][2]与[3]"


def test_list_enumerators_are_not_numbers(banking):
    text = "相关目标如下：\n1. 力争到2025年末存款余额达8.2万亿元[1]\n(2) 建成30个示范县[2]\n- 费率降至1%以内[2]"
    assert problems(text, banking) == []


def test_prompt_carries_passages_and_question_only(banking):
    messages = build_messages("存款目标是多少？", banking)
    assert messages[0]["role"] == "system" and "政策未涉及" in messages[0]["content"]
    user = messages[1]["content"]
    assert user.endswith("问题：存款目标是多少？")
    for c in banking:
        assert f"[{c.ref}] 文件：{c.source}" in user and f"原文：{c.chunk.text}" in user
        assert f"措施：{c.chunk.measure}" in user and c.chunk.note in user
    assert f"事项：{banking[1].chunk.item}" in user
