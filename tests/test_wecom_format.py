"""Channel formats of an Answer and their byte limits, with synthetic answers."""

from __future__ import annotations

import pytest

from rag.types import Answer, Chunk, Citation
from wecom import format as fmt


def citation(ref: int, measure: str = "（六）提高金融服务科技创新能力", text: str = "支持科技型企业上市融资。") -> Citation:
    chunk = Chunk(
        id=f"c{ref}",
        document="福建省加快金融业发展若干措施",
        part="二、金融服务经济社会全方位发展超越",
        measure=measure,
        item=None,
        text=text,
        responsible_units=("省金融监管局", "人行福州中心支行"),
        spans=(),
    )
    return Citation(ref=ref, chunk=chunk, score=0.9)


def answer(statements: tuple[str, ...], citations: tuple[Citation, ...] = ()) -> Answer:
    return Answer(
        question="科技企业有什么支持？",
        summary="政策对科技企业融资有明确支持。",
        statements=statements,
        citations=citations,
        found=True,
    )


SMALL = answer(("支持科技型企业上市融资[1]", "推动保险业发展壮大[2]"), (citation(1), citation(2, "（三）推动保险业发展壮大")))


def test_markdown_has_bold_summary_statements_and_quoted_citations():
    assert fmt.bot_stream(SMALL) == (
        "**政策对科技企业融资有明确支持。**\n"
        "支持科技型企业上市融资[1]\n"
        "推动保险业发展壮大[2]\n"
        "\n"
        "> [1] 《福建省加快金融业发展若干措施》 （六）提高金融服务科技创新能力 · 责任单位：省金融监管局、人行福州中心支行\n"
        "> 支持科技型企业上市融资。\n"
        "\n"
        "> [2] 《福建省加快金融业发展若干措施》 （三）推动保险业发展壮大 · 责任单位：省金融监管局、人行福州中心支行\n"
        "> 支持科技型企业上市融资。"
    )


def test_quote_citation_quotes_every_line_and_shows_the_item():
    c = Citation(1, Chunk("c1", "doc", None, "（八）做好民生领域金融服务", "1.", "第一行\n\n第二行", (), ()), 0.5)
    assert fmt.quote_citation(c) == "> [1] 《doc》 （八）做好民生领域金融服务 · 1.\n> 第一行\n> 第二行"


def test_app_text_uses_compact_citations():
    assert fmt.app_text(SMALL) == (
        "政策对科技企业融资有明确支持。\n"
        "支持科技型企业上市融资【（六）】\n"
        "推动保险业发展壮大【（三）】\n"
        "\n"
        "【（六）】《福建省加快金融业发展若干措施》提高金融服务科技创新能力 · 责任单位：省金融监管局、人行福州中心支行\n"
        "【（三）】《福建省加快金融业发展若干措施》推动保险业发展壮大 · 责任单位：省金融监管局、人行福州中心支行"
    )


def test_app_text_keeps_markers_without_a_citation_and_headings_without_ordinal():
    a = answer(("见附件[1][9]",), (citation(1, measure="总体要求"),))
    assert fmt.app_text(a).splitlines()[1] == "见附件【总体要求】[9]"


def test_refusal_without_citations_is_just_the_summary():
    refusal = Answer("天气如何？", "政策中没有找到相关内容。", (), (), found=False, kind="refusal")
    assert fmt.bot_stream(refusal) == "**政策中没有找到相关内容。**"
    assert fmt.app_text(refusal) == "政策中没有找到相关内容。"


def test_cut_utf8_never_splits_a_character():
    assert fmt.cut_utf8("政策", 5) == "政"  # 3 + 3 bytes; 5 would split the second
    assert fmt.cut_utf8("政策", 6) == "政策"
    assert fmt.cut_utf8("ab政", 4) == "ab"


def long_answer(n_statements: int, statement_chars: int, n_citations: int) -> Answer:
    statements = tuple(
        f"第{i}条" + "政" * statement_chars + f"[{i % n_citations + 1}]" for i in range(n_statements)
    )
    cits = tuple(citation(i + 1, text="原文" * 300) for i in range(n_citations))
    return answer(statements, cits)


@pytest.mark.parametrize(
    ("render", "limit"),
    [(fmt.bot_stream, 20_480), (fmt.app_text, 2_048), (fmt.group_markdown, 4_096)],
    ids=["bot", "app", "group"],
)
@pytest.mark.parametrize("shape", [(3, 50, 10), (40, 200, 3), (200, 100, 20), (1, 20_000, 1)])
def test_every_channel_fits_its_byte_limit(render, limit, shape):
    text = render(long_answer(*shape))
    assert len(text.encode()) <= limit
    text.encode().decode()  # still valid UTF-8


def test_citations_are_dropped_from_the_last_before_any_statement():
    a = long_answer(3, 50, 10)
    text = fmt.group_markdown(a)
    kept = [c for c in a.citations if f"> [{c.ref}] " in text]
    assert 0 < len(kept) < len(a.citations)
    assert [c.ref for c in kept] == list(range(1, len(kept) + 1))
    assert all(s in text for s in a.statements)


def test_statements_are_dropped_whole_from_the_end_after_all_citations():
    a = long_answer(40, 200, 3)
    text = fmt.group_markdown(a)
    assert "> [" not in text
    kept = [s for s in a.statements if s in text]
    assert kept == list(a.statements[: len(kept)]) and 0 < len(kept) < len(a.statements)
    for s in a.statements[len(kept) :]:
        assert s[:6] not in text  # dropped whole, not cut in half
    assert text.endswith(fmt.OMITTED)


def test_a_single_oversized_statement_is_cut_at_a_character_boundary():
    a = long_answer(1, 20_000, 1)
    text = fmt.app_text(a)
    assert text.startswith(a.summary + "\n第0条政政")
    assert text.endswith(fmt.ELLIPSIS)
    assert 2_048 - 3 <= len(text.encode()) <= 2_048


def test_fit_returns_everything_when_it_fits():
    assert fmt.fit("H", ["a", "b"], ["c1", "c2"], 100) == "H\na\nb\n\nc1\n\nc2"
    assert fmt.fit("H", ["a", "b"], ["c1", "c2"], 100, cite_sep="\n") == "H\na\nb\n\nc1\nc2"


def test_fit_drops_exactly_enough():
    full = fmt.fit("H", ["aaaa", "bbbb"], ["c1", "c2"], 1000)
    assert fmt.fit("H", ["aaaa", "bbbb"], ["c1", "c2"], len(full)) == full
    assert fmt.fit("H", ["aaaa", "bbbb"], ["c1", "c2"], len(full) - 1) == "H\naaaa\nbbbb\n\nc1"
    assert fmt.fit("H", ["aaaa", "bbbb"], ["c1", "c2"], 11) == "H\naaaa\nbbbb"
