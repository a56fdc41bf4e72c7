"""The Gradio chat for bank staff, mounted at "/" on the API's FastAPI app.

It calls the Assistant in-process: one answer per question, streamed into the chat a
few characters at a time, with the citations as cards beside it, a copy box holding
the answer and its sources, and a browser of the policy's measures.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rag.assistant import Assistant, Turn
from rag.errors import PolicyQAError
from rag.settings import get_settings
from ui import render

log = logging.getLogger(__name__)

TITLE = "福建金融政策问答"
INTRO = ("依据《福建省加快金融业发展更好服务全方位推动高质量发展超越的若干措施》作答，"
         "每条结论后的 [n] 对应右侧引用的政策原文；政策没有写到的内容会明确答复「政策未涉及」。")
EXAMPLES = (
    "科技型企业有哪些融资支持？",
    "台资中小企业融资有什么政策？",
    "绿色项目融资有哪些支持？",
    "省财政厅牵头或参与哪些措施？",
    "一共有哪些措施？",
    "第（十二）条讲什么？",
)
CSS = Path(__file__).with_name("assets.css").read_text(encoding="utf-8")
EMPTY_PANEL = render.placeholder("提问后，这里显示答案引用的政策原文。")
EMPTY_MEASURE = render.placeholder("选择一条措施查看全文和责任单位。")
STREAM_STEP = 6  # characters per streamed piece
STREAM_PAUSE = 0.01  # seconds; lets the browser paint each piece instead of one burst
CONCURRENCY = 8  # answers are CPU-light; a streaming answer should not queue the next user

Messages = list[dict[str, Any]]


def _message_text(content: Any) -> str:
    """Text of a Chatbot message: a string, or Gradio's normalised list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return content.get("text") or ""
    if isinstance(content, list):
        return "".join(_message_text(part) for part in content)
    return ""


def history_turns(messages: Messages) -> list[Turn]:
    """The conversation so far, as the Assistant's turns (for follow-ups like 「那台资企业呢？」)."""
    return [Turn(m["role"], _message_text(m["content"])) for m in messages
            if m.get("role") in ("user", "assistant")]


def _panel(html: str, elem_id: str) -> gr.HTML:
    return gr.HTML(html, css_template=CSS, js_on_load=None, elem_id=elem_id, padding=True)


class ChatHandlers:
    """The event handlers, bound to how the app finds its live Assistant."""

    def __init__(self, get_assistant: Callable[[], Assistant], max_question_chars: int):
        self.get_assistant = get_assistant
        self.max_question_chars = max_question_chars

    def respond(self, question: str | None, messages: Messages | None) -> Iterator[tuple]:
        """Outputs: question box, chat, evidence panel, copy box."""
        question = (question or "").strip()
        if not question:
            yield gr.skip()
            return
        messages = list(messages or [])
        history = history_turns(messages)
        messages += [{"role": "user", "content": question}, {"role": "assistant", "content": ""}]
        if len(question) > self.max_question_chars:
            messages[-1]["content"] = f"问题过长（{len(question)} 字），请精简到 {self.max_question_chars} 字以内再提问。"
            yield "", messages, EMPTY_PANEL, ""
            return
        try:
            assistant = self.get_assistant()
            answer = assistant.ask(question, history=history)
            words = render.keywords(question, assistant.pipeline.tokenizer)
        except PolicyQAError as e:  # e.g. the index is still loading: say so, in the user's language first
            messages[-1]["content"] = f"暂时无法回答，请稍后再试。（{e}）"
            yield "", messages, EMPTY_PANEL, ""
            return
        except Exception:  # a bug: logged with its trace for us, never shown to the user
            log.exception("UI answer failed for %r", question)
            messages[-1]["content"] = "服务暂时不可用，请稍后再试。"
            yield "", messages, EMPTY_PANEL, ""
            return
        # The evidence is known before the first piece streams, so the cards appear at once.
        yield "", messages, render.evidence_panel(answer, words), ""
        for piece in render.pieces(answer.text, STREAM_STEP):
            messages[-1]["content"] = piece
            yield gr.skip(), messages, gr.skip(), gr.skip()
            time.sleep(STREAM_PAUSE)
        yield gr.skip(), messages, gr.skip(), render.copy_text(answer)

    def outline_choices(self) -> dict:
        """Fetched each time the browser tab opens, so a rebuilt index shows without a page reload."""
        try:
            views = self.get_assistant().outline()
        except PolicyQAError as e:  # still loading: the list fills the next time the tab opens
            log.warning("UI outline unavailable: %s", e)
            return gr.update(choices=[])
        return gr.update(choices=[(v.heading, v.id) for v in views])

    def show_measure(self, measure_id: str | None) -> str:
        if not measure_id:
            return EMPTY_MEASURE
        try:
            view = self.get_assistant().measure(measure_id)
        except PolicyQAError as e:
            return render.placeholder(f"暂时无法显示，请稍后再试。（{e}）")
        return render.measure_page(view) if view else render.placeholder("这条措施已不在当前索引中，请重新打开本页。")


def build_ui(get_assistant: Callable[[], Assistant], *, max_question_chars: int | None = None) -> gr.Blocks:
    """The chat and measure browser; ``get_assistant`` is called per event, so a reloaded index is used at once."""
    limit = get_settings().max_question_chars if max_question_chars is None else max_question_chars
    handlers = ChatHandlers(get_assistant, limit)
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        with gr.Tab("政策问答", id="chat-tab"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="对话", height=480, buttons=["copy"], feedback_options=None,
                                      elem_id="chat", placeholder="请输入关于福建金融支持政策的问题，或点击下方的常见问题。")
                    with gr.Row():
                        question = gr.Textbox(show_label=False, scale=5, max_lines=4, elem_id="question",
                                              placeholder="例如：科技型企业有哪些融资支持？（可继续追问：那台资企业呢？）")
                        ask = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="ask")
                    gr.Markdown("**常见问题**（点击直接提问）")
                    with gr.Row(elem_id="examples"):
                        examples = [gr.Button(q, size="sm", variant="secondary", elem_classes="example-question")
                                    for q in EXAMPLES]
                with gr.Column(scale=2):
                    evidence = _panel(EMPTY_PANEL, "evidence")
                    copy = gr.Textbox(label="答案及引用（可复制）", lines=8, max_lines=16, interactive=False,
                                      buttons=["copy"], elem_id="copy-answer")
        with gr.Tab("措施浏览", id="measures-tab") as measures_tab:
            picker = gr.Dropdown(label="选择措施", choices=[], elem_id="measure-picker")
            measure = _panel(EMPTY_MEASURE, "measure")

        outputs = [question, chat, evidence, copy]
        answer_events = dict(fn=handlers.respond, outputs=outputs, concurrency_limit=CONCURRENCY,
                             show_progress="hidden")
        ask.click(inputs=[question, chat], **answer_events)
        question.submit(inputs=[question, chat], **answer_events)
        for button in examples:  # a button's value is its label: the question itself
            button.click(inputs=[button, chat], **answer_events)
        chat.clear(lambda: (EMPTY_PANEL, ""), outputs=[evidence, copy])  # the chat's own 清空 starts a new topic
        measures_tab.select(handlers.outline_choices, outputs=picker)
        picker.change(handlers.show_measure, inputs=picker, outputs=measure)
    return demo
