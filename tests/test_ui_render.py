"""The chat UI's HTML and plain text, without a browser: cards, highlighting, escaping,
refusals, measure pages, streaming pieces, and the handler's answers when it cannot ask."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from rag.assistant import Turn
from rag.corpus.outline import outline_from_chunks
from rag.errors import PolicyQAError
from rag.retrieval.query import normalise_query
from rag.types import Answer, Chunk, Citation, DocumentInfo
from ui import render
from ui.app import FALLBACK_EXAMPLES, ChatHandlers, history_turns, load_examples

HOSTILE = '<script>alert("x")</script>&<img src=x onerror=1>'


class Tags(HTMLParser):
    """Every start tag of a fragment, with its attributes, and the text outside tags."""

    def __init__(self, fragment: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(fragment)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    @property
    def names(self) -> set[str]:
        return {t for t, _ in self.tags}


def citation(ref=1, measure="（六）提高金融服务科技创新能力", item=None, text="引导金融机构为科技型企业提供融资服务。",
             units=("省金融监管局", "福建银保监局")) -> Citation:
    return Citation(ref, Chunk(f"c{ref}", "福建省若干措施", "二、金融服务", measure, item, text, units, ()), 0.9)


def answer(*citations: Citation) -> Answer:
    statements = tuple(f"{c.chunk.measure}：{c.chunk.text}[{c.ref}]" for c in citations)
    return Answer("科技型企业有哪些融资支持？", f"政策中与该问题相关的措施有 {len(citations)} 条：", statements,
                  citations, True)


def refusal(related=("（六）提高金融服务科技创新能力", "（十二）推动台企金融服务便利化")) -> Answer:
    return Answer("如何办理护照？", "政策未涉及：政策中没有关于“护照”的规定。",
                  (f"可能相关（仅供参考）：{'；'.join(related)}",) if related else (), (), False, "refusal", related)


@pytest.fixture(scope="module")
def tokenizer(chinese_tokenizer):
    return chinese_tokenizer


def test_keywords_are_question_words_and_their_edges_longest_first(tokenizer):
    words = tokenizer.keywords("科技型企业有哪些融资支持？")
    assert {"科技型企业", "科技", "企业", "融资"} <= set(words)
    assert not {"型企", "技型", "哪些", "有"} & set(words)  # mid-word bigrams and stop words
    assert all(len(w) >= 2 for w in words)
    assert [len(w) for w in words] == sorted((len(w) for w in words), reverse=True)


def test_keywords_come_from_the_normalised_question(tokenizer):
    assert "融资" in tokenizer.keywords(normalise_query("科技型企業有哪些融資支持？"))  # Traditional → Simplified


def test_highlight_marks_longest_keyword_and_never_half_a_word(tokenizer):
    words = tokenizer.keywords("科技型企业有哪些融资支持？")
    assert render.highlight("支持科技型企业，成长型企业融资", words) == (
        "支持<mark>科技型企业</mark>，成长型<mark>企业</mark><mark>融资</mark>")


def test_highlight_escapes_text_and_keywords():
    marked = render.highlight(f"前{HOSTILE}后 a<b", ["a<b", "script"])
    assert "<script>" not in marked and "<img" not in marked
    assert "<mark>a&lt;b</mark>" in marked and "&lt;<mark>script</mark>&gt;" in marked
    assert Tags(marked).names == {"mark"}


def test_highlight_ignores_latin_case():
    assert render.highlight("支持ETF发展", ["etf"]) == "支持<mark>ETF</mark>发展"


def test_highlight_without_keywords_only_escapes():
    assert render.highlight("A&B<c>", []) == "A&amp;B&lt;c&gt;"


def test_citation_card_shows_ref_measure_item_units_and_marked_source():
    card = render.citation_card(citation(2, item="3.持续推进金融促消费工作"), ["融资"])
    tags = Tags(card)
    assert tags.tags[0] == ("details", {"class": "citation-card", "data-ref": "2"})
    summary = card[card.index("<summary>"):card.index("</summary>")]
    assert "[2]" in summary and "（六）提高金融服务科技创新能力" in summary and "3.持续推进金融促消费工作" in summary
    assert "责任单位：省金融监管局、福建银保监局" in card
    assert "<mark>融资</mark>" in card
    assert "《福建省若干措施》 二、金融服务" in card


def test_citation_card_escapes_every_field_and_names_missing_units():
    card = render.citation_card(citation(measure=HOSTILE, item=HOSTILE, text=HOSTILE, units=()), ["x"])
    assert Tags(card).names <= {"details", "summary", "span", "div", "blockquote", "mark"}
    assert "责任单位：未列明" in card


def test_evidence_panel_has_one_card_per_citation():
    panel = render.evidence_panel(answer(citation(1), citation(2, measure="（七）支持产业结构优化升级")), ["企业"])
    cards = [a for t, a in Tags(panel).tags if t == "details"]
    assert [a["data-ref"] for a in cards] == ["1", "2"]
    assert "引用原文（2 条" in panel and "政策未涉及" not in panel


def test_refusal_is_shown_as_not_covered_with_related_measures():
    panel = render.evidence_panel(refusal(), ["护照"])
    assert "citation-card" not in panel
    assert "政策未涉及" in panel and "可能相关" in panel
    items = Tags(panel)
    assert [a for t, a in items.tags if t == "li"] == [{}, {}]
    assert "（十二）推动台企金融服务便利化" in items.text


def test_refusal_without_related_measures_says_so():
    panel = render.evidence_panel(refusal(related=()), [])
    assert "政策未涉及" in panel and "没有找到相近的措施" in panel and "<li>" not in panel


def test_refusal_escapes_related_measures():
    panel = render.evidence_panel(refusal(related=(HOSTILE,)), [])
    assert Tags(panel).names <= {"div", "p", "ul", "li"}


def test_answer_without_citations_says_why_the_panel_is_empty():
    panel = render.evidence_panel(Answer("一共有哪些措施？", "共 20 条措施：", ("（一）…",), (), True, "aggregate"), [])
    assert "没有逐条引用原文" in panel and "citation-card" not in panel


def test_copy_text_is_answer_then_citations():
    a = answer(citation(1), citation(2, item="3.持续推进金融促消费工作", units=()))
    lines = render.copy_text(a).split("\n")
    assert lines[:3] == [a.summary, *a.statements]
    assert lines[3:5] == ["", "引用："]
    assert lines[5] == "[1] 《福建省若干措施》 （六）提高金融服务科技创新能力（责任单位：省金融监管局、福建银保监局）：引导金融机构为科技型企业提供融资服务。"
    assert lines[6].startswith("[2] 《福建省若干措施》 （六）提高金融服务科技创新能力 · 3.持续推进金融促消费工作（责任单位：未列明）：")
    assert "：a<b>&c" in render.copy_text(answer(citation(text="a<b>&c")))  # plain text, not HTML-escaped


def test_copy_text_of_a_refusal_is_its_text():
    assert render.copy_text(refusal()) == refusal().text


def test_measure_page_shows_heading_units_items_and_every_chunk():
    chunks = [
        Chunk("a", "文件", "二、服务", "（八）做好民生领域金融服务", None, "总述<一>。", ("省金融监管局",), ((0, 5),)),
        Chunk("b", "文件", "二、服务", "（八）做好民生领域金融服务", "1.保障重点项目", "保障资金需求。", ("各有关单位",), ((5, 9),)),
        Chunk("c", "文件", "二、服务", "（八）做好民生领域金融服务", "1.保障重点项目", "第二段。", ("省金融监管局",), ((9, 12),)),
    ]
    (view,) = outline_from_chunks(chunks)
    page = render.measure_page(view)
    tags = Tags(page)
    assert tags.tags[0] == ("article", {"class": "measure", "data-measure": view.id})
    assert "<h3>（八）做好民生领域金融服务</h3>" in page
    assert "责任单位：省金融监管局、各有关单位" in page
    assert page.count('class="item-title"') == 1  # one title over the item's two chunks
    assert [t for t in tags.text if t in ("总述<一>。", "保障资金需求。", "第二段。")] == ["总述<一>。", "保障资金需求。", "第二段。"]
    assert "总述&lt;一&gt;。" in page


@pytest.mark.parametrize("text", ["", "短", "政策中与该问题相关的措施有 3 条：\n（六）…[1]"])
def test_pieces_grow_to_the_whole_text(text):
    pieces = list(render.pieces(text, 4))
    assert pieces[-1] == text
    assert all(b.startswith(a) and len(b) > len(a) for a, b in zip(pieces, pieces[1:]))
    assert all(len(b) - len(a) <= 4 for a, b in zip(pieces, pieces[1:]))


def test_history_turns_read_gradio_normalised_messages():
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "科技型企业有哪些融资支持？"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "政策中"}, {"type": "text", "text": "…[1]"}]},
        {"role": "user", "content": "那台资企业呢？"},
    ]
    assert history_turns(messages) == [Turn("user", "科技型企业有哪些融资支持？"), Turn("assistant", "政策中…[1]"),
                                       Turn("user", "那台资企业呢？")]


def _never_called():
    raise AssertionError("the assistant must not be asked")


def test_overlong_question_is_answered_without_asking():
    handlers = ChatHandlers(_never_called, max_question_chars=10)
    ((box, messages, panel, copy, _),) = list(handlers.respond("问" * 11, []))
    assert box == "" and copy == ""
    assert messages == [{"role": "user", "content": "问" * 11},
                        {"role": "assistant", "content": "问题过长（11 字），请精简到 10 字以内再提问。"}]


def test_blank_question_changes_nothing():
    assert list(ChatHandlers(_never_called, 10).respond("  \n", [])) == [{"__type__": "update"}]


def test_loading_service_says_so():
    def loading():
        raise PolicyQAError("the index is still loading")

    handlers = ChatHandlers(loading, 500)
    ((_, messages, panel, _, _),) = list(handlers.respond("科技型企业有哪些融资支持？", []))
    assert messages[-1]["content"] == "暂时无法回答，请稍后再试。（the index is still loading）"
    assert "citation-card" not in panel
    assert "稍后再试" in handlers.show_measure("0123456789")


def test_unavailable_service_gives_a_message_not_a_trace():
    def not_loaded():
        raise RuntimeError("index still loading at /secret/path")

    ((_, messages, _, _, _),) = list(ChatHandlers(not_loaded, 500).respond("科技型企业有哪些融资支持？", []))
    reply = messages[-1]["content"]
    assert reply.startswith("服务暂时不可用") and "secret" not in reply and "Traceback" not in reply


def test_header_names_the_one_document_and_its_issuer():
    doc = DocumentInfo("a", "某市绿色金融发展若干措施", issuers=("某市人民政府办公厅",), published="2024-01-02")
    header = render.library_header([doc])
    assert header.startswith(f"# {render.TITLE}\n")
    assert "依据《某市绿色金融发展若干措施》（某市人民政府办公厅，2024-01-02）作答" in header
    assert "福建" not in header


def test_header_lists_a_small_library_and_counts_a_large_one():
    docs = [DocumentInfo(f"d{i}", f"文件{i}") for i in range(1, 4)]
    assert "依据 3 份政策文件（《文件1》、《文件2》、《文件3》）作答" in render.library_header(docs)
    many = [DocumentInfo(f"d{i}", f"文件{i}") for i in range(render.LISTED_DOCUMENTS + 1)]
    header = render.library_header(many)
    assert f"{len(many)} 份政策文件" in header and "《文件0》" not in header


def test_header_while_loading_is_generic():
    header = ChatHandlers(_never_called_loading, 500).header()
    assert header == render.library_header(()) and "《" not in header


def _never_called_loading():
    raise PolicyQAError("the index is still loading")


def test_examples_come_from_a_json_list(tmp_path):
    path = tmp_path / "examples.json"
    path.write_text('["  绿色贷款有哪些支持？ ", "一共有哪些措施？"]', encoding="utf-8")
    assert load_examples(path) == ("绿色贷款有哪些支持？", "一共有哪些措施？")


@pytest.mark.parametrize("content", [None, "not json", '{"q": 1}', '["ok", 3]', "[]"])
def test_missing_or_broken_examples_fall_back(tmp_path, content):
    path = tmp_path / "examples.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert load_examples(path) == FALLBACK_EXAMPLES


def test_shipped_examples_are_questions_of_the_shipped_corpus():
    examples = load_examples(Path(__file__).resolve().parents[1] / "data" / "examples.json")
    assert examples != FALLBACK_EXAMPLES and all(q.endswith("？") for q in examples)
