"""Property-based fuzzing of the live server: no request, however odd, gets a 5xx.

The HTTP API is fuzzed from its own OpenAPI schema with schemathesis (valid and invalid
inputs for every operation); the WeCom callbacks, whose bodies the schema does not
describe, get random bytes and random query strings from hypothesis, including bodies
that carry a valid signature, so the fuzz reaches the decryption and parsing behind it.
"""

from __future__ import annotations

import json
import urllib.parse
from collections import Counter, defaultdict

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

import server_support
from wecom_support import APP, BOT, SERVER_ENV, Peer

EXAMPLES_PER_MODE = 25
WECOM_EXAMPLES = 200
TIMEOUT = 60.0
FUZZ = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate, Phase.shrink])
MUST_COVER = {"POST /api/ask", "POST /api/search", "POST /v1/chat/completions", "GET /api/measures"}
CHANNELS: dict[str, Peer] = {"/wecom/bot": BOT, "/wecom/app": APP}

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(servers) -> server_support.Server:
    return servers(**SERVER_ENV)


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        yield client


def _describe(case, status: int, text: str) -> str:
    return (f"{case.method} {case.formatted_path} query={case.query!r} body={getattr(case, 'body', None)!r} "
            f"-> {status} {text[:300]}")


def _ending_with_question(cases: st.SearchStrategy) -> st.SearchStrategy:
    """Chat requests whose last message is a user's (random) question.

    The schema allows any role string, so generated requests almost never contain a
    ``user`` message and are all refused with 422; this pass reaches the answerer with
    random questions after random history.
    """
    def append(pair):
        case, question = pair
        if isinstance(case.body, dict) and isinstance(case.body.get("messages"), list):
            case.body["messages"].append({"role": "user", "content": question})
        return case

    return st.tuples(cases, st.text(min_size=1, max_size=200)).map(append)


def test_no_api_operation_answers_5xx(server):
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {op.label for op in operations}
    assert MUST_COVER <= labels, labels

    failures: list[str] = []
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    for operation in operations:
        passes = {mode.value: operation.as_strategy(generation_mode=mode)
                  for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)}
        if operation.label == "POST /v1/chat/completions":
            passes["positive, ending with a user question"] = _ending_with_question(passes["positive"])
        for name, strategy in passes.items():
            @settings(FUZZ, max_examples=EXAMPLES_PER_MODE)
            @given(case=strategy)
            def run(case) -> None:
                response = case.call(base_url=server.url, timeout=TIMEOUT)
                # run() is called below, within this iteration, so the loop variable is the current one
                statuses[operation.label][response.status_code] += 1  # noqa: B023
                assert response.status_code < 500, _describe(case, response.status_code, response.text)

            try:
                run()
            except Unsatisfiable:  # nothing to make invalid in an operation without inputs
                assert name == "negative", operation.label
            except AssertionError as err:  # keep fuzzing the other operations; report all at the end
                failures.append(f"{operation.label} [{name}]: {err}")
    assert failures == [], "\n\n".join(failures)
    for label in MUST_COVER:  # the fuzz got past validation into the handlers, not only 422s
        assert statuses[label][200] > 0, (label, statuses[label])


# --- WeCom callbacks ----------------------------------------------------------------------------

PARAM_NAMES = st.sampled_from(["msg_signature", "timestamp", "nonce", "echostr"]) | st.text(min_size=1, max_size=8)
QUERIES = st.dictionaries(PARAM_NAMES, st.text(max_size=80), max_size=5)


def _assert_4xx(response: httpx.Response, what: str, exactly: int | None = None) -> None:
    ok = response.status_code == exactly if exactly else 400 <= response.status_code < 500
    assert ok, f"{what} -> {response.status_code} {response.text[:300]}"


@settings(FUZZ, max_examples=WECOM_EXAMPLES)
@given(path=st.sampled_from(sorted(CHANNELS)), method=st.sampled_from(["GET", "POST"]),
       query=QUERIES, body=st.binary(max_size=4096))
def test_random_bytes_and_queries_to_wecom_get_4xx(http, path, method, query, body):
    response = http.request(method, path, params=query, content=body if method == "POST" else None)
    _assert_4xx(response, f"{method} {path} params={query!r} body={body[:80]!r}")


@settings(FUZZ, max_examples=WECOM_EXAMPLES // 2)
@given(path=st.sampled_from(sorted(CHANNELS)), raw=st.binary(max_size=300), body=st.binary(max_size=512))
def test_raw_query_strings_to_wecom_get_4xx(http, path, raw, body):
    """Query strings that are not key=value pairs at all, percent-escaped from random bytes."""
    query = urllib.parse.quote_from_bytes(raw, safe="=&")
    response = http.post(f"{path}?{query}", content=body)
    _assert_4xx(response, f"POST {path}?{query[:120]} body={body[:80]!r}")


# printable ASCII without spaces, as a ciphertext field is (base64); other characters are
# normalised by the XML parser and would fail the signature rather than the decryption
CIPHERTEXTS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=300).filter(
    lambda s: "]]>" not in s)


def _envelope(path: str, encrypt: str) -> bytes:
    if path == "/wecom/bot":
        return json.dumps({"encrypt": encrypt}).encode()
    return (f"<xml><ToUserName><![CDATA[{APP.receive_id}]]></ToUserName><AgentID><![CDATA[1]]></AgentID>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>").encode()


@settings(FUZZ, max_examples=WECOM_EXAMPLES // 2)
@given(path=st.sampled_from(sorted(CHANNELS)), encrypt=CIPHERTEXTS)
def test_signed_garbage_ciphertext_gets_4xx(http, path, encrypt):
    """A correct signature over a ciphertext that does not decrypt: past the signature check, then refused."""
    response = http.post(path, params=CHANNELS[path].query(encrypt), content=_envelope(path, encrypt))
    _assert_4xx(response, f"POST {path} encrypt={encrypt[:80]!r}", exactly=400)  # not 403: the signature held


@settings(FUZZ, max_examples=WECOM_EXAMPLES // 2)
@given(path=st.sampled_from(sorted(CHANNELS)), plaintext=st.text(max_size=300))
def test_signed_encrypted_garbage_message_gets_4xx(http, path, plaintext):
    """Well-sealed nonsense: it decrypts and verifies, so only the message parser stands between it and a 5xx."""
    peer = CHANNELS[path]
    encrypt = peer.encrypt(plaintext)
    response = http.post(path, params=peer.query(encrypt), content=_envelope(path, encrypt))
    _assert_4xx(response, f"POST {path} plaintext={plaintext[:80]!r}", exactly=400)


# Decrypted messages that are well-formed JSON / XML with wrong, missing or odd fields:
# these reach the message parsers and the answer path, where a 5xx would hide.
BOT_KEYS = ["msgid", "aibotid", "chattype", "from", "msgtype", "text", "stream", "content", "userid", "id"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(BOT_KEYS), inner, max_size=4),
    max_leaves=8)
BOT_MESSAGES = st.dictionaries(st.sampled_from(BOT_KEYS), JSON_VALUES, max_size=6) | st.fixed_dictionaries(
    {"msgtype": st.sampled_from(["text", "stream", "image", "mixed", "event", ""]) | st.text(max_size=8)},
    optional={"msgid": JSON_VALUES, "text": st.fixed_dictionaries({"content": JSON_VALUES}) | JSON_VALUES,
              "stream": st.fixed_dictionaries({"id": JSON_VALUES}) | JSON_VALUES,
              "from": st.fixed_dictionaries({"userid": JSON_VALUES}) | JSON_VALUES})
APP_FIELDS = st.dictionaries(
    st.sampled_from(["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "AgentID", "Event"]),
    st.sampled_from(["text", "event", "image", "enter_agent", "subscribe", ""]) | st.text(max_size=60),
    max_size=8)


def _app_xml(fields: dict[str, str]) -> str:
    inner = "".join(f"<{tag}><![CDATA[{value.replace(']]>', '')}]]></{tag}>" for tag, value in fields.items())
    return f"<xml>{inner}</xml>"


@settings(FUZZ, max_examples=WECOM_EXAMPLES // 2)
@given(message=BOT_MESSAGES)
@example(message={"msgtype": "text", "msgid": "fuzz-explicit", "text": {"content": "@政策助手 续贷"}})
@example(message={"msgtype": "stream", "stream": {"id": "no-such-stream"}})
def test_signed_odd_bot_messages_never_5xx(http, message):
    encrypt = BOT.encrypt(json.dumps(message, ensure_ascii=False))
    response = http.post("/wecom/bot", params=BOT.query(encrypt), content=_envelope("/wecom/bot", encrypt))
    assert response.status_code < 500, f"{message!r} -> {response.status_code} {response.text[:300]}"


@settings(FUZZ, max_examples=WECOM_EXAMPLES // 2)
@given(fields=APP_FIELDS)
@example(fields={"MsgType": "text", "Content": "续贷", "MsgId": "fuzz-explicit", "FromUserName": "u"})
@example(fields={"MsgType": "event", "Event": "enter_agent"})
def test_signed_odd_app_messages_never_5xx(http, fields):
    encrypt = APP.encrypt(_app_xml(fields))
    response = http.post("/wecom/app", params=APP.query(encrypt), content=_envelope("/wecom/app", encrypt))
    assert response.status_code < 500, f"{fields!r} -> {response.status_code} {response.text[:300]}"
