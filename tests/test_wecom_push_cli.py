"""``policy-qa wecom-push`` end to end: the real CLI and index, a fake group robot on 127.0.0.1."""

from __future__ import annotations

import re
import subprocess
from contextlib import ExitStack

import pytest

from retrieval_support import cli_env, run_cli_many
from wecom_support import Robot

QUESTION = "科技型企业有哪些融资支持？"
MEASURE_QUOTE = re.compile(r"^> \[\d+\] 《[^》]+》 （[一二三四五六七八九十]+）\S+", re.MULTILINE)

pytestmark = pytest.mark.slow  # a CLI build, then three CLI processes that each load the model


@pytest.fixture(scope="module")
def pushes(server_index):
    """Three pushes run at once (each CLI process loads the model): accepted, errcode, HTTP 500."""
    robots = {
        "ok": Robot(),
        "errcode": Robot({"errcode": 93000, "errmsg": "invalid webhook url"}),
        "http500": Robot({"errcode": 0}, status=500),
    }
    env = cli_env(server_index)
    with ExitStack() as stack:
        for robot in robots.values():
            stack.enter_context(robot)
        done = run_cli_many(
            {name: (["wecom-push", "--webhook-url", robot.url, QUESTION], env) for name, robot in robots.items()}
        )
    return {name: (done[name], robots[name]) for name in robots}


def test_push_posts_one_markdown_message_that_cites_a_measure(pushes):
    done, robot = pushes["ok"]
    assert done.returncode == 0, done.stderr
    assert len(robot.posted) == 1
    path, body = robot.posted[0]
    assert path == "/cgi-bin/webhook/send?key=x"
    assert body["msgtype"] == "markdown" and list(body) == ["msgtype", "markdown"]
    assert list(body["markdown"]) == ["content"]
    content = body["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.startswith("**") and content.index("**", 2) > 2  # bold summary
    assert MEASURE_QUOTE.search(content), content
    assert re.search(r"\[1\]$", content.splitlines()[1])  # first statement ends with its marker
    assert f"pushed {len(content.encode())} bytes" in done.stdout


def assert_failed_clearly(done: subprocess.CompletedProcess, *expected: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith("Error: PushError: push to 127.0.0.1 "), done.stderr
    for part in expected:
        assert part in message
    assert "key=" not in done.stderr  # the webhook key is a credential
    assert "Traceback" not in done.stderr


def test_errcode_reply_fails_with_exit_code_1(pushes):
    done, robot = pushes["errcode"]
    assert len(robot.posted) == 1  # it did post, and the robot refused it
    assert_failed_clearly(done, "errcode 93000", "invalid webhook url")


def test_non_2xx_reply_fails_with_exit_code_1(pushes):
    done, _ = pushes["http500"]
    assert_failed_clearly(done, "HTTP 500")
