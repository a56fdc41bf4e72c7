"""The Gradio chat for bank staff, mounted at "/" on the API's FastAPI app.

It calls the Assistant in-process: one answer per question, streamed into the chat a
few characters at a time, with the citations as cards beside it, a copy box holding
the answer and its sources, and a browser of the policy's measures.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from rag.assistant import DEFAULT_MAX_QUESTION_CHARS, Assistant, Turn, check_question
from rag.errors import PolicyQAError, QuestionError
from ui import admin, render
from ui.access import ChatAccess

log = logging.getLogger(__name__)

# An outline question suits any library; a corpus brings its own examples (POLICY_QA_EXAMPLES_FILE).
FALLBACK_EXAMPLES = ("一共有哪些措施？",)
CSS = Path(__file__).with_name("assets.css").read_text(encoding="utf-8")
EMPTY_PANEL = render.placeholder("提问后，这里显示答案引用的政策原文。")
EMPTY_MEASURE = render.placeholder("选择一条措施查看全文和责任单位。")
STREAM_STEP = 6  # characters per streamed piece
STREAM_PAUSE = 0.01  # seconds; lets the browser paint each piece instead of one burst
CONCURRENCY = 8  # answers are CPU-light; a streaming answer should not queue the next user

Messages = list[dict[str, Any]]
AnswerIds = dict[str, str]  # chat message index → the logged answer's id, for 👍/👎


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

    def __init__(self, get_assistant: Callable[[], Assistant], max_question_chars: int,
                 access: ChatAccess | None = None):
        self.get_assistant = get_assistant
        self.max_question_chars = max_question_chars
        self.access = access or ChatAccess()

    def refusal(self, request: gr.Request | None) -> tuple[str | None, str | None]:
        """(why this caller may not ask now, or None; the name the log keeps)."""
        identity = self.access.identify(request) if request is not None else None
        if self.access.required and identity is None:
            return "请先登录后再提问。", None
        wait = self.access.admit(self.access.caller(identity, request))
        if wait is not None:
            return f"提问过于频繁，请 {math.ceil(wait)} 秒后再试。", None
        return None, identity.name if identity else None

    def respond(self, question: str | None, messages: Messages | None, ids: AnswerIds | None = None,
                request: gr.Request = None) -> Iterator[tuple]:
        """Outputs: question box, chat, evidence panel, copy box, answer ids."""
        question = (question or "").strip()
        if not question:
            yield gr.skip()
            return
        messages = list(messages or [])
        history = history_turns(messages)
        messages += [{"role": "user", "content": question}, {"role": "assistant", "content": ""}]
        refused, user = self.refusal(request)
        if refused:
            messages[-1]["content"] = refused
            yield "", messages, EMPTY_PANEL, "", gr.skip()
            return
        try:
            check_question(question, self.max_question_chars)  # answered even while the index loads
        except QuestionError as e:
            messages[-1]["content"] = f"问题过长（{e.length} 字），请精简到 {e.limit} 字以内再提问。"
            yield "", messages, EMPTY_PANEL, "", gr.skip()
            return
        try:
            assistant = self.get_assistant()
            start = time.perf_counter()
            answer = assistant.ask(question, history=history)
            latency = (time.perf_counter() - start) * 1000
            words = assistant.keywords(question)
        except PolicyQAError as e:  # e.g. the index is still loading: say so, in the user's language first
            messages[-1]["content"] = f"暂时无法回答，请稍后再试。（{e}）"
            yield "", messages, EMPTY_PANEL, "", gr.skip()
            return
        except Exception:  # a bug: logged with its trace for us, never shown to the user
            log.exception("UI answer failed for %r", question)
            messages[-1]["content"] = "服务暂时不可用，请稍后再试。"
            yield "", messages, EMPTY_PANEL, "", gr.skip()
            return
        ids = dict(ids or {})
        if self.access.log is not None:
            ids[str(len(messages) - 1)] = self.access.log.answered(
                answer, channel="chat", user=user, index_version=assistant.version, latency_ms=latency)
        # The evidence is known before the first piece streams, so the cards appear at once.
        yield "", messages, render.evidence_panel(answer, words), "", ids
        for piece in render.pieces(answer.text, STREAM_STEP):
            messages[-1]["content"] = piece
            yield gr.skip(), messages, gr.skip(), gr.skip(), gr.skip()
            time.sleep(STREAM_PAUSE)
        yield gr.skip(), messages, gr.skip(), render.copy_text(answer), gr.skip()

    def rate(self, ids: AnswerIds | None, data: gr.LikeData, request: gr.Request = None) -> tuple:
        """👍/👎 on an answer: recorded at once; the comment box opens for an optional 说明.

        Outputs: the rated answer (state), the comment row."""
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        answer_id = (ids or {}).get(str(index))
        if answer_id is None or self.access.log is None or data.liked not in (True, False):
            return None, gr.update(visible=False)
        identity = self.access.identify(request) if request is not None else None
        self.access.log.feedback(answer_id, identity.name if identity else None, bool(data.liked), None)
        return {"answer_id": answer_id, "up": bool(data.liked)}, gr.update(visible=True)

    def comment(self, rated: dict | None, text: str | None, request: gr.Request = None) -> tuple:
        """The comment replaces the rating's empty one. Outputs: comment box, comment row."""
        if rated and self.access.log is not None and (text or "").strip():
            identity = self.access.identify(request) if request is not None else None
            self.access.log.feedback(rated["answer_id"], identity.name if identity else None, rated["up"], text)
        return "", gr.update(visible=False)

    def header(self) -> str:
        """The page heading and what the answers are based on, from the documents in the live index."""
        try:
            documents = self.get_assistant().documents()
        except PolicyQAError as e:  # still loading: the generic heading stays until the next page load
            log.warning("UI header unavailable: %s", e)
            documents = ()
        return render.library_header(documents)

    def document_choices(self) -> tuple[dict, dict]:
        """Fetched each time the browser tab opens, so a rebuilt index shows without a page reload.

        The first document is picked, so a one-policy library shows its measures at once.
        """
        try:
            documents = self.get_assistant().documents()
        except PolicyQAError as e:  # still loading: the lists fill the next time the tab opens
            log.warning("UI outline unavailable: %s", e)
            return gr.update(choices=[], value=None), gr.update(choices=[], value=None)
        choices = [(render.document_choice(d), d.id) for d in documents]
        first = choices[0][1] if choices else None
        return gr.update(choices=choices, value=first), self.measure_choices(first)

    def measure_choices(self, document_id: str | None) -> dict:
        """The outline of one document, in order."""
        if not document_id:
            return gr.update(choices=[], value=None)
        try:
            views = self.get_assistant().outline()
        except PolicyQAError as e:
            log.warning("UI outline unavailable: %s", e)
            return gr.update(choices=[], value=None)
        return gr.update(choices=[(v.heading, v.id) for v in views if v.document_id == document_id], value=None)

    def show_measure(self, measure_id: str | None) -> str:
        if not measure_id:
            return EMPTY_MEASURE
        try:
            view = self.get_assistant().measure(measure_id)
        except PolicyQAError as e:
            return render.placeholder(f"暂时无法显示，请稍后再试。（{e}）")
        return render.measure_page(view) if view else render.placeholder("这条措施已不在当前索引中，请重新打开本页。")


def load_examples(path: Path) -> tuple[str, ...]:
    """Example questions from a JSON list of strings; the fallback when the file is absent or unusable."""
    try:
        examples = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return FALLBACK_EXAMPLES
    except (OSError, ValueError) as e:
        log.warning("example questions in %s cannot be read (%s); using the fallback", path, e)
        return FALLBACK_EXAMPLES
    if not isinstance(examples, list) or not all(isinstance(q, str) and q.strip() for q in examples):
        log.warning("%s is not a JSON list of questions; using the fallback", path)
        return FALLBACK_EXAMPLES
    return tuple(q.strip() for q in examples) or FALLBACK_EXAMPLES


def build_ui(get_assistant: Callable[[], Assistant], *, max_question_chars: int = DEFAULT_MAX_QUESTION_CHARS,
             examples: Sequence[str] = FALLBACK_EXAMPLES, access: ChatAccess | None = None) -> gr.Blocks:
    """The chat and measure browser; ``get_assistant`` is called per event, so a reloaded index is used at once.

    With ``access``, who may ask and how often, the conversation log with 👍/👎, and an admin's dashboard."""
    access = access or ChatAccess()
    handlers = ChatHandlers(get_assistant, max_question_chars, access)
    with gr.Blocks(title=render.TITLE, analytics_enabled=False) as demo:
        header = gr.Markdown(render.library_header(()), elem_id="library-header")
        with gr.Tab("政策问答", id="chat-tab"):
            with gr.Row():
                with gr.Column(scale=3):
                    feedback = ("Like", "Dislike") if access.log is not None else None
                    chat = gr.Chatbot(label="对话", height=480, buttons=["copy"], feedback_options=feedback,
                                      elem_id="chat", placeholder="请输入政策问题，或点击下方的常见问题。")
                    with gr.Row(visible=False, elem_id="feedback-comment") as comment_row:
                        comment = gr.Textbox(show_label=False, scale=5, max_length=1000, elem_id="comment",
                                             placeholder="谢谢反馈！可补充说明哪里不对或缺了什么（可选）")
                        send_comment = gr.Button("提交说明", scale=1, min_width=80, elem_id="send-comment")
                    with gr.Row():
                        question = gr.Textbox(show_label=False, scale=5, max_lines=4, elem_id="question",
                                              placeholder=f"例如：{examples[0]}（可继续追问）")
                        ask = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="ask")
                    gr.Markdown("**常见问题**（点击直接提问）")
                    with gr.Row(elem_id="examples"):
                        examples = [gr.Button(q, size="sm", variant="secondary", elem_classes="example-question")
                                    for q in examples]
                with gr.Column(scale=2):
                    evidence = _panel(EMPTY_PANEL, "evidence")
                    copy = gr.Textbox(label="答案及引用（可复制）", lines=8, max_lines=16, interactive=False,
                                      buttons=["copy"], elem_id="copy-answer")
        with gr.Tab("措施浏览", id="measures-tab") as measures_tab:
            documents = gr.Dropdown(label="选择文件", choices=[], elem_id="document-picker")
            picker = gr.Dropdown(label="选择措施", choices=[], elem_id="measure-picker")
            measure = _panel(EMPTY_MEASURE, "measure")
        admin_tab = admin.build_tab(access, get_assistant)

        ids, rated = gr.State({}), gr.State(None)
        outputs = [question, chat, evidence, copy, ids]
        answer_events = dict(fn=handlers.respond, outputs=outputs, concurrency_limit=CONCURRENCY,
                             show_progress="hidden")
        ask.click(inputs=[question, chat, ids], **answer_events)
        question.submit(inputs=[question, chat, ids], **answer_events)
        for button in examples:  # a button's value is its label: the question itself
            button.click(inputs=[button, chat, ids], **answer_events)
        chat.like(handlers.rate, inputs=[ids], outputs=[rated, comment_row])
        send_comment.click(handlers.comment, inputs=[rated, comment], outputs=[comment, comment_row])
        comment.submit(handlers.comment, inputs=[rated, comment], outputs=[comment, comment_row])

        def show_admin(request: gr.Request):
            return admin.visibility(access, request)

        demo.load(show_admin, outputs=admin_tab)
        chat.clear(lambda: (EMPTY_PANEL, "", {}), outputs=[evidence, copy, ids])  # the chat's 清空 starts a new topic
        measures_tab.select(handlers.document_choices, outputs=[documents, picker])
        documents.change(handlers.measure_choices, inputs=documents, outputs=picker)
        demo.load(handlers.header, outputs=header)
        picker.change(handlers.show_measure, inputs=picker, outputs=measure)
    return demo
