"""The chat UI in real headless Chromium against the real `policy-qa serve`.

Playwright drives the Debian chromium (its own browser download does not work here).
Screenshots land in tests/artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from browser_support import ARTIFACTS, TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.server]

# Records every length the last bot message passes through, to see the answer stream.
WATCH_STREAM = """() => {
  window.__lengths = [];
  new MutationObserver(() => {
    const bots = document.querySelectorAll('#chat [data-testid="bot"]');
    if (bots.length) window.__lengths.push(bots[bots.length - 1].textContent.length);
  }).observe(document.querySelector('#chat'), {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def server(live_server):
    return live_server


@pytest.fixture(scope="module")
def base_url(server) -> str:
    return server.url


@pytest.fixture()
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A fresh page (and so a fresh conversation) per test, allowed to use the clipboard."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN",
                                  permissions=["clipboard-read", "clipboard-write"])
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(base_url + "/")
    expect(page.locator("#question textarea")).to_be_visible()
    yield page
    context.close()


def user_messages(page: Page):
    return page.locator('#chat [data-testid="user"]')


def bot_messages(page: Page):
    return page.locator('#chat [data-testid="bot"]')


def wait_for_answer(page: Page, server, asked_before: int) -> None:
    """Until the new question is in the chat and its answer has finished streaming.

    The handler empties the copy box together with showing the question and fills it
    only after the last streamed piece, so a non-empty copy box means the answer is complete.
    """
    expect(user_messages(page)).to_have_count(asked_before + 1, timeout=TIMEOUT_MS)
    try:
        expect(page.locator("#copy-answer textarea")).not_to_have_value("", timeout=TIMEOUT_MS)
    except AssertionError:
        shown = bot_messages(page).last.inner_text() if bot_messages(page).count() else "(no answer)"
        log = server.output()[-3000:]
        raise AssertionError(f"the answer never completed; the chat shows {shown!r}\nserver log:\n{log}") from None


def ask(page: Page, server, question: str) -> None:
    before = user_messages(page).count()
    page.fill("#question textarea", question)
    page.click("#ask")
    wait_for_answer(page, server, before)


def test_question_streams_a_cited_answer_with_highlighted_cards(page: Page, server):
    page.evaluate(WATCH_STREAM)
    ask(page, server, "科技型企业有哪些融资支持？")

    answer = bot_messages(page).last
    expect(answer).to_contain_text("[1]")
    lengths = page.evaluate("window.__lengths")
    assert len(set(lengths)) >= 3 and lengths[-1] == max(lengths), f"answer did not stream: {lengths[:20]}"
    expect(page.locator("#question textarea")).to_have_value("")

    cards = page.locator("#evidence details.citation-card")
    assert cards.count() >= 1
    expect(cards.filter(has_text="（六）")).not_to_have_count(0)
    assert page.locator("#evidence .citation-card mark").count() >= 1
    expect(cards.first).to_contain_text("责任单位：")

    first = cards.first
    assert first.get_attribute("open") is None
    expect(first.locator(".source")).to_be_hidden()
    first.locator("summary").click()
    expect(first).to_have_attribute("open", "")
    expect(first.locator(".source")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "ui-answer.png"), full_page=True)

    copy_box = page.locator("#copy-answer textarea").input_value()
    assert copy_box.startswith(answer.inner_text().strip()[:10]) and "\n引用：\n[1] " in copy_box
    copy_button = page.locator('#copy-answer button[aria-label="Copy"]')
    expect(copy_button).to_be_visible()
    copy_button.click()
    assert page.evaluate("navigator.clipboard.readText()") == copy_box


def api_answer(base_url: str, question: str, history: list[dict] = ()) -> str:
    response = httpx.post(f"{base_url}/api/ask", json={"question": question, "history": list(history)}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["answer"]


def test_follow_up_uses_the_conversation(page: Page, server, base_url: str):
    first, follow_up = "科技型企业有哪些融资支持？", "那台资企业呢？"
    ask(page, server, first)
    ask(page, server, follow_up)

    expect(bot_messages(page)).to_have_count(2)
    expect(user_messages(page).last).to_have_text(follow_up)
    expect(bot_messages(page).last).to_contain_text("[1]")
    cards = page.locator("#evidence details.citation-card")
    assert cards.count() >= 1
    # The cards now belong to the follow-up: they are about Taiwan-funded firms.
    expect(cards.filter(has_text="台")).not_to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "ui-follow-up.png"), full_page=True)

    # The UI passed the conversation: its answer is the API's answer given the same history,
    # which differs from the answer to the bare follow-up.
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": api_answer(base_url, first)}]
    shown = page.locator("#copy-answer textarea").input_value().split("\n\n引用：\n")[0]
    assert shown == api_answer(base_url, follow_up, history)
    assert shown != api_answer(base_url, follow_up)


def test_out_of_scope_question_is_refused_with_related_measures(page: Page, server):
    ask(page, server, "如何办理个人护照？")

    expect(bot_messages(page).last).to_contain_text("政策未涉及")
    notice = page.locator("#evidence .refusal")
    expect(notice.locator(".verdict")).to_have_text("政策未涉及")
    expect(notice.locator(".related li")).not_to_have_count(0)
    expect(page.locator("#evidence .citation-card")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "ui-refusal.png"), full_page=True)


def test_example_question_is_asked_on_click(page: Page, server):
    page.get_by_role("button", name="第（十二）条讲什么？").click()
    wait_for_answer(page, server, 0)

    expect(user_messages(page)).to_have_text(["第（十二）条讲什么？"])
    expect(bot_messages(page).last).to_contain_text("（十二）")
    page.screenshot(path=str(ARTIFACTS / "ui-example.png"), full_page=True)


def test_measure_browser_shows_full_text_and_units(page: Page, base_url: str):
    outline = httpx.get(f"{base_url}/api/measures", timeout=10).json()
    sixth = next(m for m in outline if m["heading"].startswith("（六）"))
    detail = httpx.get(f"{base_url}/api/measures/{sixth['id']}", timeout=10).json()

    page.get_by_role("tab", name="措施浏览").click()
    page.click("#measure-picker input")
    expect(page.get_by_role("option")).to_have_count(len(outline))
    page.get_by_role("option", name=sixth["heading"]).click()
    expect(page.get_by_role("listbox")).to_be_hidden()  # not caught fading out in the screenshot

    shown = page.locator("#measure article.measure")
    expect(shown.locator("h3")).to_have_text(sixth["heading"])
    expect(shown.locator(".units")).to_have_text(detail["note"])
    assert all(unit.lstrip("省")[:2] in detail["note"] for unit in detail["responsible_units"])
    assert shown.locator("p").all_inner_texts() == [c["text"] for c in detail["chunks"]]
    page.screenshot(path=str(ARTIFACTS / "ui-measure.png"), full_page=True)


def test_heading_cards_and_browser_name_the_document(page: Page, server, base_url: str):
    """The page describes the library it answers from, every card names its document, and the
    measure browser picks a document first."""
    (document,) = httpx.get(f"{base_url}/api/documents", timeout=10).json()
    header = page.locator("#library-header")
    expect(header).to_contain_text(f"《{document['title']}》")
    expect(header).to_contain_text(document["issuers"][0])

    ask(page, server, "科技型企业有哪些融资支持？")
    cards = page.locator("#evidence details.citation-card")
    expect(cards.first.locator(".document")).to_contain_text(f"《{document['title']}》")
    assert f"《{document['title']}》" in page.locator("#copy-answer textarea").input_value()

    page.get_by_role("tab", name="措施浏览").click()
    expect(page.locator("#document-picker input")).to_have_value(f"《{document['title']}》 {document['date']}")
    page.screenshot(path=str(ARTIFACTS / "ui-library.png"), full_page=True)
