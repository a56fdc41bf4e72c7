"""A saved government web page → its main text, with lxml and a content-density heuristic.

Boilerplate goes in two steps. First whatever is boilerplate by its tag (script, style, nav,
header, footer, aside, form, iframe) or by a class or id that names it (nav, menu, crumb,
footer, copyright, share, sidebar…). Then, of what is left, the main text is the deepest
element that still holds most of the page's Chinese characters outside links: site chrome is
either links (menus, related-document lists) or a few words (来源, 字号, 打印本页), while the
policy is thousands of characters of running text. The page's heading, which gov.cn sites
set apart from the body, is put back in front when the body does not hold it.
"""

from __future__ import annotations

import re

from rag.corpus.intake.chars import CJK

# The deepest element with this share of the page's non-link Chinese text is the body.
BODY_SHARE = 0.8
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "form",
              "button", "select", "textarea", "input", "head", "map")
_CHROME_TAGS = ("nav", "header", "footer", "aside")
_BOILERPLATE = re.compile(
    r"(?:^|[-_\s])(?:nav|navbar|menu|crumbs?|breadcrumbs?|position|location|footer|foot|header|top|topbar|"
    r"copyright|share|sharebar|bdshare|sidebar|side|aside|related|relevant|hot|links?|friendlink|search|login|"
    r"toolbar|tools|print|pager|pagination|qrcode|ewm|banner|ad|ads|comment)(?:$|[-_\s\d])",
    re.IGNORECASE)
_BLOCKS = frozenset("p div br h1 h2 h3 h4 h5 h6 li tr table tbody thead section article main blockquote pre dd dt "
                    "dl center ul ol hr".split())
_CELLS = frozenset(("td", "th"))
_HEADINGS = ("h1", "h2", "h3")
# Older sites set the title in a cell by class name or by bold, large type instead of a heading.
_TITLE_CLASS = re.compile(r"title|biaoti|(?:^|[-_\s])bt(?:$|[-_\s])", re.IGNORECASE)
_TITLE_LIKE = re.compile(r"[^。；！？]{2,100}")
_CJK_CHAR = re.compile(f"[{CJK}]")
_COLLAPSE = re.compile(r"[ \t\r\n]+")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
CELL_SEPARATOR = "；"


class NoMainTextError(ValueError):
    """The page holds no running text."""


def page_text(html: str) -> str:
    """The page's main text, one block per line."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(_XML_DECLARATION.sub("", html))
    except (etree.ParserError, ValueError) as e:
        raise NoMainTextError(f"an HTML page lxml cannot parse ({e})") from e
    _strip_boilerplate(root)
    weights = _non_link_cjk(root)
    total = weights.get(root, 0)
    if total == 0:
        raise NoMainTextError("an HTML page without Chinese running text")
    body = _main_element(root, weights, total)
    lines = _lines(body)
    heading = _heading_before(root, body)
    if heading and not any(heading in line for line in lines[:3]):
        lines.insert(0, heading)
    return "\n".join(lines)


def _strip_boilerplate(root) -> None:
    def chrome(el) -> bool:
        named = el.tag in _CHROME_TAGS or _BOILERPLATE.search(f"{el.get('class', '')} {el.get('id', '')}")
        # An <article>'s <header> holds the policy's title: chrome never holds an h1 but the site logo's.
        return bool(named) and el.find(".//h1") is None

    doomed = [el for el in root.iter() if isinstance(el.tag, str) and (el.tag in _DROP_TAGS or chrome(el))]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the tail text, which belongs to the parent


def _non_link_cjk(root) -> dict:
    """Each element's count of Chinese characters outside links, its descendants included."""
    weights: dict = {}

    def visit(el, in_link: bool) -> int:
        in_link = in_link or el.tag == "a"
        own = 0 if in_link else len(_CJK_CHAR.findall(el.text or ""))
        for child in el:
            if isinstance(child.tag, str):
                own += visit(child, in_link)
            if not in_link:
                own += len(_CJK_CHAR.findall(child.tail or ""))
        weights[el] = own
        return own

    visit(root, False)
    return weights


def _main_element(root, weights: dict, total: int):
    body = root
    while True:
        heavy = [child for child in body if isinstance(child.tag, str) and weights.get(child, 0) >= BODY_SHARE * total]
        if not heavy:
            return body
        body = heavy[0]


def _heading_before(root, body) -> str | None:
    """The last title-like element before ``body`` in document order, if ``body`` has no heading of its own."""
    if any(True for _ in body.iter(*_HEADINGS)):
        return None
    heading = None
    for el in root.iter():
        if el is body:
            break
        if isinstance(el.tag, str) and _looks_like_title(el):
            heading = _COLLAPSE.sub(" ", el.text_content()).strip()
    return heading


def _looks_like_title(el) -> bool:
    styled = (el.tag in _HEADINGS or bool(_TITLE_CLASS.search(f"{el.get('class', '')} {el.get('id', '')}"))
              or (el.tag == "font" and el.get("size", "").strip().lstrip("+").isdigit()
                  and int(el.get("size").strip().lstrip("+")) >= 4))
    text = _COLLAPSE.sub(" ", el.text_content()).strip()
    # A heading tag says what it is; bold or large type must also read like a title.
    return styled and bool(_TITLE_LIKE.fullmatch(text)) and (el.tag in _HEADINGS or len(_CJK_CHAR.findall(text)) >= 4)


def _lines(body) -> list[str]:
    out: list[str] = [""]

    def emit(text: str | None) -> None:
        if text:
            out[-1] += _COLLAPSE.sub(" ", text)

    def visit(el) -> None:
        block = el.tag in _BLOCKS
        if block and out[-1].strip():
            out.append("")
        if el.tag in _CELLS and out[-1].strip():
            out[-1] = out[-1].rstrip() + CELL_SEPARATOR
        emit(el.text)
        for child in el:
            if isinstance(child.tag, str):
                visit(child)
            emit(child.tail)
        if block and out[-1].strip():
            out.append("")

    visit(body)
    return [line.strip(" ") for line in out if line.strip()]
