"""How much of a source text survives extraction: the share of its sentences found verbatim.

A source sentence is a line of the library text cut at 。！？；. It counts as kept when it
stands, character for character, in the extracted and cleaned text, after the two
normalisations the cleaning documents (white space next to Chinese characters dropped,
full-width digits and letters made ASCII) are applied to the source side only. Noise left in
the extraction (a page number or a space inside a sentence, a line not joined) makes a
sentence miss.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.corpus.intake.chars import HALF_WIDTH
from rag.corpus.intake.noise import SPACE_NEAR_CJK, squeeze
from rag.corpus.intake.page_furniture import is_page_number
from rag.corpus.sentences import split_sentences

# Words of site chrome on the generated gov.cn page that must not reach the text.
PAGE_CHROME = ("版权所有", "ICP备", "公网安备", "当前位置", "现在的位置", "网站地图", "分享到", "打印本页",
               "关闭窗口", "相关文件", "热点专题", "最新文件", "友情链接", "网站首页", "政务动态", "浏览次数",
               "hm.js", "jquery", "document.write", "请输入关键词", "字号")


@dataclass(frozen=True)
class Match:
    kept: int
    total: int
    missing: tuple[str, ...]

    @property
    def share(self) -> float:
        return self.kept / self.total if self.total else 1.0


def source_sentences(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        for sentence in split_sentences(squeeze(line.strip())):
            if len(sentence.strip()) >= 2:
                out.append(sentence.strip())
    return out


def sentence_match(source: str, extracted: str) -> Match:
    sentences = source_sentences(source)
    missing = tuple(s for s in sentences if s not in extracted)
    return Match(len(sentences) - len(missing), len(sentences), missing)


def furniture_left(source: str, extracted: str, header: str) -> int:
    """Page-number lines, extra running-header lines and spaces next to Chinese characters still in the text."""
    lines = [line.strip() for line in extracted.splitlines()]
    source_lines = [line.strip() for line in source.splitlines()]
    page_numbers = sum(1 for line in lines if line and is_page_number(line))
    headers = max(0, lines.count(header) - source_lines.count(header))
    return page_numbers + headers + len(SPACE_NEAR_CJK.findall(extracted))


def chrome_left(source: str, extracted: str) -> list[str]:
    """Words of the page's chrome found in the extraction (words the policy itself uses do not count)."""
    return [word for word in PAGE_CHROME if word in extracted and word not in source]


def misplaced_offsets(text: str, source: str, origin) -> list[int]:
    """Offsets of ``text`` whose mapped source character differs (full-width digits read as ASCII).

    White space may stand for other white space: a line break for a form feed, the space
    between wrapped Latin words for a line break.
    """
    bad = [i for i, ch in enumerate(text)
           if not (ch.isspace() and source[origin(i)].isspace()) and source[origin(i)].translate(HALF_WIDTH) != ch]
    if origin(len(text)) > len(source):
        bad.append(len(text))
    return bad
