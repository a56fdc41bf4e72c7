"""PDFs printed by headless Chromium, with running headers and page numbers in the page margins."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval import intake_files as make
from eval.intake_match import furniture_left, misplaced_offsets, sentence_match
from rag.corpus.intake import extract

pytestmark = [pytest.mark.slow, pytest.mark.browser]

LIBRARY = Path(__file__).resolve().parents[1] / "eval" / "library"
# An 条例 with 章/条, a provincial notice with 责任单位, a joint 意见 with a letter-spaced title and 〔2024〕.
CASES = {
    "zhejiang-difang-jinrong-tiaoli": "dash",
    "hufubanfa-2024-3-haimian-chengshi": "of",
    "yinfa-2024-2-zhufang-zulin-jinrong": "bare",
}


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, tuple[str, str, Path]]:
    if not make.CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (make chromium)")
    folder = tmp_path_factory.mktemp("intake-chromium")
    out = {}
    for name, footer in CASES.items():
        text = (LIBRARY / f"{name}.txt").read_text(encoding="utf-8")
        lines = make.policy_lines(text)
        header = make.running_header(lines)
        out[name] = (text, header, make.chromium_pdf(make.print_page(lines, header, footer), folder / f"{name}.pdf"))
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_a_printed_policy_keeps_its_sentences_and_loses_its_page_furniture(printed, name):
    text, header, path = printed[name]
    extracted = extract(path)
    assert extracted.format == "pdf"
    match = sentence_match(text, extracted.text)
    assert match.share >= 0.98, match.missing[:3]
    assert furniture_left(text, extracted.text, header) == 0
    assert misplaced_offsets(extracted.text, extracted.source_text, extracted.origin) == []
    # the furniture was really printed, so its absence is the cleaning's doing
    assert extracted.source_text.count(header) >= extracted.source_text.count("\f") + 1


def test_the_letter_spaced_title_and_its_number_read_as_printed(printed):
    extracted = extract(printed["yinfa-2024-2-zhufang-zulin-jinrong"][2])
    first = extracted.text.splitlines()[0]
    assert first == "中国人民银行国家金融监督管理总局关于金融支持住房租赁市场发展的意见（银发〔2024〕2号）"
