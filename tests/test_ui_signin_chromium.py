"""Sign-in, the locked chat, 👎 with a comment and the admin tab, in real Chromium against a real
`policy-qa serve` with POLICY_QA_AUTH=on. Screenshots go to tests/artifacts/ (not committed)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from db.accounts import add_user
from db.engine import make_engine, upgrade

from browser_support import ARTIFACTS, TIMEOUT_MS
from db_support import wait_until
from server_support import launch

pytestmark = [pytest.mark.browser, pytest.mark.server]

PASSWORD = "browser-password-1"
QUESTION = "科技型企业有哪些融资支持？"


@pytest.fixture(scope="module")
def setup(server_index, tmp_path_factory):
    path = tmp_path_factory.mktemp("ui-auth") / "policy-qa.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    add_user(engine, "teller", "staff", PASSWORD)
    add_user(engine, "boss", "admin", PASSWORD)
    engine.dispose()
    server = launch(server_index, POLICY_QA_AUTH="on", POLICY_QA_DATABASE_URL=f"sqlite:///{path}")
    yield server.url, path
    server.stop()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Page, url: str, name: str, password: str = PASSWORD) -> None:
    page.goto(url + "/")
    expect(page).to_have_url(url + "/login?next=%2F")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("#sign-in")


def test_without_a_session_the_chat_and_its_api_are_refused(page, setup):
    url, _ = setup
    page.goto(url + "/")
    expect(page.locator("#sign-in")).to_be_visible()
    assert page.locator("#question").count() == 0
    api = page.request.get(url + "/gradio_api/info")
    assert api.status == 401
    sign_in(page, url, "teller", "wrong-password")
    expect(page.locator("#sign-in-error")).to_contain_text("用户名或密码错误")


def test_a_signed_in_user_asks_and_leaves_a_thumbs_down_with_a_comment(page, setup):
    url, path = setup
    sign_in(page, url, "teller")
    page.fill("#question textarea", QUESTION)
    page.click("#ask")
    # an expect waits 5 s whatever the context's default: the first answer of a busy machine can take longer
    expect(page.locator("#copy-answer textarea")).not_to_have_value("", timeout=TIMEOUT_MS)
    expect(page.locator('#chat [data-testid="bot"]').last).to_contain_text("投贷联动")
    page.locator('#chat button[aria-label="踩"]').last.click()
    expect(page.locator("#feedback-comment")).to_be_visible()
    page.fill("#comment textarea", "没有说明贷款额度")
    page.click("#send-comment")
    expect(page.locator("#feedback-comment")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "signin-chat-feedback.png"), full_page=True)
    assert page.locator("#admin-tab-button, button:has-text('管理')").count() == 0  # staff see no dashboard

    def recorded() -> list[tuple]:
        with sqlite3.connect(path) as c:
            return c.execute("SELECT a.user_name, a.question, f.rating, f.comment FROM feedback f "
                             "JOIN answers a ON a.id = f.answer_id").fetchall()

    assert wait_until(lambda: recorded() == [("teller", QUESTION, -1, "没有说明贷款额度")])


def test_an_admin_sees_the_dashboard_with_the_log(page, setup):
    url, _ = setup
    sign_in(page, url, "boss")
    page.fill("#question textarea", "个人住房贷款利率是多少？")
    page.click("#ask")
    expect(page.locator('#chat [data-testid="bot"]').last).to_contain_text("政策未涉及", timeout=TIMEOUT_MS)
    page.get_by_role("tab", name="管理").click()
    expect(page.locator("#admin-summary")).to_contain_text("个问题")
    expect(page.locator("#admin-gaps")).to_contain_text("个人住房贷款利率是多少？")
    page.screenshot(path=str(ARTIFACTS / "admin-dashboard.png"), full_page=True)
