"""push_markdown against a real HTTP server on 127.0.0.1 that records what it receives."""

from __future__ import annotations

import httpx
import pytest

from rag.types import Answer, Chunk, Citation
from wecom.errors import PushError
from wecom.push import push_markdown

from wecom_support import Robot

KEY = "SECRET-KEY"


@pytest.fixture
def robot():
    with Robot(key=KEY) as server:
        yield server


def answer(n_statements: int = 1) -> Answer:
    c = Citation(1, Chunk("c1", "doc", None, "（六）提高金融服务科技创新能力", None, "支持科技型企业上市融资。", ("省金融监管局",), ()), 0.9)
    statements = tuple(f"第{i}条支持科技型企业上市融资[1]" + "政" * 100 for i in range(n_statements))
    return Answer("科技企业有什么支持？", "有明确支持。", statements, (c,), True)


def test_push_posts_markdown(robot):
    push_markdown(robot.url, answer())
    [(path, body)] = robot.posted
    assert path == f"/cgi-bin/webhook/send?key={KEY}"
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.startswith("**有明确支持。**\n第0条支持科技型企业上市融资[1]")
    assert "> [1] 《doc》 （六）提高金融服务科技创新能力 · 责任单位：省金融监管局\n> 支持科技型企业上市融资。" in content


def test_push_content_fits_4096_bytes(robot):
    with httpx.Client(timeout=5) as client:
        push_markdown(robot.url, answer(n_statements=50), client=client)
    [(_, body)] = robot.posted
    assert len(body["markdown"]["content"].encode()) <= 4_096


def test_non_200_is_a_push_error_that_hides_the_key(robot):
    robot.status = 502
    with pytest.raises(PushError, match="127.0.0.1 answered HTTP 502") as info:
        push_markdown(robot.url, answer())
    assert KEY not in str(info.value)


def test_errcode_is_a_push_error(robot):
    robot.reply = b'{"errcode": 93000, "errmsg": "invalid webhook url"}'
    with pytest.raises(PushError, match="errcode 93000: invalid webhook url"):
        push_markdown(robot.url, answer())


def test_non_json_reply_is_a_push_error(robot):
    robot.reply = b"<html>gateway</html>"
    with pytest.raises(PushError, match="non-JSON"):
        push_markdown(robot.url, answer())


def test_unreachable_webhook_is_a_push_error(robot):
    url = robot.url
    robot.shutdown()
    robot.server_close()
    with pytest.raises(PushError, match="ConnectError"):
        push_markdown(url, answer(), timeout=2)
