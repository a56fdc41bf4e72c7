"""The head of a document: letterhead, 文号 and title, and the 印发/转发 notice around a policy.

Shapes read here:
- a letterhead (「XX省人民政府文件」, or the issuers' names alone) and urgency or secrecy
  marks above the title are skipped;
- a title wrapped over several lines is joined until it can end (see
  :func:`kinds.is_complete_title`) or a line that cannot be title (a 文号, a date, a sentence);
- a title glued to the text after it by extraction is cut where it ends;
- 「关于印发《X》的通知」: the policy is X, the whole line is the notice's title;
- a 令 or 公告 header: the number over 「《X》已经…通过，现予公布」, whose X is the title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.corpus.identity import numbers
from rag.corpus.identity.dates import DATE
from rag.corpus.identity.fields import is_field_line
from rag.corpus.identity.issuers import split_issuers
from rag.corpus.identity.kinds import ending_of, endings_pattern, is_complete_title
from rag.corpus.identity.text import has_sentence_punct, tidy

# Lines above a title that are not the title: urgency and secrecy marks, 份号, page
# numbers, an attachment's 附件 label, a web page's breadcrumbs.
_MARK = re.compile(r"(?:特急|加急|平急|特提|急件|紧急|机密|秘密|绝密|内部|公开|[★☆].*|份号.*|密级.*|\d{4,8}"
                   r"|[—\-－–]+\s*\d+\s*[—\-－–]+|第\s*\d+\s*页.*|（此件[^）]*）|附\s*件\s*\d*|.*[>＞»].*)")
# A page's information table (索引号：…, 主题分类：…): a short label, a colon and a value.
_LABELLED = re.compile(r"[\u4e00-\u9fff][\u4e00-\u9fff ]{1,7}[:：]\s*\S.{0,80}")
_STRUCTURE = re.compile(r"第[一二三四五六七八九十百零〇\d]+[章节条]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]")
_PROMULGATION = re.compile(r"(?:现予?(?:公布|发布))?《(?P<title>[^《》]{2,100})》(?:已(?:经|于)|[，,])")
_PARENTHESIS = re.compile(r"[（(][^（）()]{1,20}[）)]")
_BRACKETED_TITLE = re.compile(r"[（(]([^（）()]{4,100})[）)]")
_BODY_START = re.compile(r"\s*(?:为|根据|按照|依据|近年来|当前|各|现|经|本|自|第[一二三四五六七八九十]+[章节条]"
                         r"|[一二三四五六七八九十]+、|（此件|发布日期|印发日期|成文日期|\d{4}年|$)")
_NOTICE = re.compile(r"(?P<pre>.*?)关于(?P<verb>印发|转发|颁发|发布|颁布)(?P<x>.+)的通知")
_FORWARD = re.compile(r"(?P<pre>.+?)(?P<verb>转发|印发)(?P<x>.+)")
_SPACED_MARK = 8  # a mark spaced out by extraction is still a short line
# The sentence that issues a policy names it: 「…制定了《X》…」「决定修订《X》…现予发布」.
_ISSUING = re.compile(r"现予|予以(?:公布|发布|印发)|制定了|决定(?:修订|修改|废止)|发布施行")
_QUOTED = re.compile(r"《([^《》]{2,150})》")
_TITLE_KEY_NOISE = re.compile(r"[\s《》〈〉“”\"的]")
_MAX_TITLE = 150
_MAX_TITLE_LINES = 4
_HEAD_SCAN = 25


@dataclass(frozen=True)
class Header:
    title: str | None                 # the policy's own title
    notice_title: str | None          # the 印发/转发 notice's title, when there is one
    title_issuers: tuple[str, ...]    # the names before 关于 in the (notice) title, as written
    letterhead_issuers: tuple[str, ...]
    number: str | None                # 文号, normalised
    order_issuer: str | None          # the issuer a 令/公告 number names
    promulgated: bool                 # a 令/公告 sentence stands where the title would
    after_title: int                  # first line after the title block
    glued_rest: str                   # what follows the title on its own line, when extraction glued them
    head_lines: tuple[str, ...]       # header lines after the title: 题注, 令 sentence, number lines


def _is_mark(line: str) -> bool:
    """A mark line, also as a PDF spaces its characters out (「加 急」)."""
    return bool(_MARK.fullmatch(line) or (len(line) <= _SPACED_MARK and _MARK.fullmatch(re.sub(r"\s+", "", line))))


def _next_nonblank(lines: list[str], j: int) -> int | None:
    return next((k for k in range(j, len(lines)) if lines[k]), None)


def _is_date_line(line: str) -> bool:
    return bool(DATE.match(line) or DATE.match(line.lstrip("（(")))


def _letterhead(line: str) -> tuple[str, ...] | None:
    """The issuers of a letterhead line (「XX人民政府文件」 or names alone), None if it is not one."""
    if "关于" in line or has_sentence_punct(line) or ending_of(line.replace("文件", "")):
        return None
    return split_issuers(line.replace("文件", " "))


def _stops_title(line: str) -> bool:
    return (has_sentence_punct(line) or numbers.number_alone(line) is not None or _is_date_line(line)
            or is_field_line(line) or bool(_STRUCTURE.match(line)) or _is_mark(line))


def _glued_title(line: str) -> str | None:
    """The title at the start of a line that runs on into the text after it."""
    for m in endings_pattern().finditer(line):
        if m.end() > _MAX_TITLE:
            break
        end = m.end()
        while (p := _PARENTHESIS.match(line, end)) is not None:
            end = p.end()
        title = line[:end]
        if "。" in title:  # past a sentence's end: 「…制定了《电子支付指引（第一号）》，现予公布。本公告」 is no title
            break
        if not is_complete_title(title):
            continue
        rest = line[end:]
        if "关于" in title or _BODY_START.match(rest) or numbers.number_at(rest.lstrip()):
            return title
    return None


def _after_glued_number(title: str) -> tuple[str, re.Match | None]:
    """A letterhead and 文号 glued in front of a title: the title starts after the number."""
    inside = [m for m in numbers.NUMBER.finditer(title) if m.group("code")]
    if not inside:
        return title, None
    return title[inside[-1].end():], inside[-1]


def _skip_to_title(lines: list[str]) -> tuple[int, list[re.Match], tuple[str, ...]]:
    """Index of the title's first line, the numbers and the letterhead issuers above it."""
    found: list[re.Match] = []
    letterhead: tuple[str, ...] = ()
    i = 0
    while i < len(lines):
        line = lines[i]
        if (not line or _is_mark(line) or is_field_line(line) or _LABELLED.fullmatch(line)
                or (_is_date_line(line) and len(line) < 20)):
            i += 1
            continue
        if (m := numbers.number_alone(line)) is not None:
            found.append(m)
            i += 1
            continue
        k = _next_nonblank(lines, i + 1)
        if numbers.is_order_head(line) and k is not None and numbers.is_seq_line(lines[k]):
            found.append(numbers.NUMBER.fullmatch(line + lines[k]))
            i = k + 1
            continue
        if numbers.is_seq_line(line):
            # 「（2017）第 2 号」 under the issuers' names, or heading a copy that lost them (「[2005]第 7 号」): a number
            # whose 令 or 公告 the source lost, not a title
            i += 1
            continue
        names = _letterhead(line)
        if names is None:
            break
        letterhead = letterhead or names
        i += 1
    return i, found, letterhead


def _title_block(lines: list[str], i: int) -> tuple[str | None, int, str, bool]:
    """(raw title, first line after it, the rest of a glued line, promulgation sentence?)."""
    line = lines[i]
    m = _PROMULGATION.match(line)
    if m:
        return m.group("title"), i + 1, "", True
    if has_sentence_punct(line) or len(line) > _MAX_TITLE:
        title = _glued_title(line)
        return (title, i + 1, line[len(title):], False) if title else (None, i, "", False)
    parts, j = [line], i + 1
    while not is_complete_title("".join(parts)) and len(parts) < _MAX_TITLE_LINES:
        k = _next_nonblank(lines, j)
        if k is None or _stops_title(lines[k]) or len("".join(parts) + lines[k]) > _MAX_TITLE:
            break
        parts.append(lines[k])
        j = k + 1
    # A title's closing parenthesis may sit on its own line: （试行）, （2021—2025年）.
    k = _next_nonblank(lines, j)
    if (k is not None and _PARENTHESIS.fullmatch(lines[k]) and not numbers.NUMBER.search(lines[k])
            and not DATE.search(lines[k])):
        parts.append(lines[k])
        j = k + 1
    return " ".join(parts), j, "", False


def _split_prefix(title: str, at: int) -> tuple[tuple[str, ...], str]:
    """Issuer names before position ``at`` and the title rebuilt with them one space apart."""
    names = split_issuers(title[:at]) if at > 0 else None
    if not names:
        return (), tidy(title)
    return names, " ".join(names) + tidy(title[at:])


def _title_key(text: str) -> str:
    return _TITLE_KEY_NOISE.sub("", text)


def _own_title(named: str, lines: list[str], start: int) -> str:
    """The attached policy's title as the document itself writes it.

    The notice's title may shorten it (…若干措施 for …的若干措施); the policy's own
    heading line or its name quoted in the notice's text is the true form.
    """
    key = _title_key(named)
    for line in lines[start:]:
        if line and _title_key(line) == key:
            return tidy(line).strip("《》")
    for line in lines[start:]:
        for quoted in _QUOTED.findall(line):
            if _title_key(quoted) == key:
                return tidy(quoted)
    return named


def _notice(title: str, lines: list[str], start: int) -> tuple[str, str, tuple[str, ...]] | None:
    """(policy title, notice title, issuers) when ``title`` issues or forwards another document."""
    m = _NOTICE.fullmatch(title)
    x = m.group("x") if m else None
    if m is None:
        m = _FORWARD.fullmatch(title)
        if m is None or not split_issuers(m.group("pre")):
            return None
        x = m.group("x")
        inner = x.removesuffix("的通知")
        # 「…办公厅印发《关于…的实施意见》的通知」: the quoted title ends in its type, inside the 《》
        x = inner if inner != x and ending_of(inner.strip("《》")) else x
    names, notice_title = _split_prefix(title, m.end("pre"))
    named = tidy(x).replace("《", "").replace("》", "")
    return _own_title(named, lines, start), notice_title, names


def _head_end(lines: list[str], start: int) -> int:
    """First line of the body after the title: a heading, a salutation or a sentence."""
    for k in range(start, min(len(lines), start + _HEAD_SCAN)):
        line = lines[k]
        if not line:
            continue
        if _STRUCTURE.match(line) or line.endswith(("：", ":")):
            return k
        if "。" in line and not _is_date_line(line) and not line.startswith(("（", "(", "《")):
            return k
    return min(len(lines), start + _HEAD_SCAN)


def _glued_head(rest: str) -> str:
    """The 题注 glued after a title, up to the first heading (…施行第一章 总则…)."""
    m = _STRUCTURE.search(rest)
    return rest[: m.start()] if m else rest


def _numbered_title(line: str) -> tuple[str, re.Match] | None:
    """(title, number) of a listing's line 「中国人民银行令〔2020〕第5号（中国人民银行金融消费者权益保护实施办法）」:
    an order's number, then its title in brackets; None for any other line."""
    m = numbers.NUMBER.search(line)
    inner = _BRACKETED_TITLE.fullmatch(line[m.end():].strip()) if m else None
    if not inner or has_sentence_punct(line[:m.start()]) or not is_complete_title(inner.group(1)):
        return None
    return inner.group(1), m


def _issued_title(lines: list[str], i: int) -> str | None:
    """The policy an order's or notice's sentence issues, when no title line heads the text:
    「中国人民银行公告 （2013）第9号 为规范…，中国人民银行制定了《银行卡收单业务管理办法》。…」."""
    for line in lines[i:i + _HEAD_SCAN]:
        if _STRUCTURE.match(line):
            break
        if issuing := _ISSUING.search(line):
            # the title beside the issuing words, not the laws it is made under: 「根据《中华人民共和国中国人民银行法》
            # …等有关法律，中国人民银行制定了《电子商业汇票业务管理办法》，…现予公布」
            quoted = min((q for q in _QUOTED.finditer(line) if is_complete_title(q.group(1))), default=None,
                         key=lambda q: max(issuing.start() - q.end(), q.start() - issuing.end()))
            if quoted:
                return _own_title(quoted.group(1), lines, i)
    return None


def read_header(lines: list[str], field_title: str | None = None) -> Header:
    i, found, letterhead = _skip_to_title(lines)
    raw, after, rest, promulgated = (None, i, "", False)
    numbers_first: list[re.Match] = []
    if field_title:
        raw = field_title
    elif i < len(lines) and (listed := _numbered_title(lines[i])):
        raw, after = listed[0], i + 1
        numbers_first.append(listed[1])
    elif i < len(lines):
        raw, after, rest, promulgated = _title_block(lines, i)
        if raw is None and (issued := _issued_title(lines, i)):
            raw, after, promulgated = issued, i + 1, True
    glued: list[re.Match] = []
    if raw and (m := numbers.trailing_bracketed(raw)):
        numbers_first.append(m)
        raw = raw[: m.start()]
    if raw and rest:
        raw, glued_number = _after_glued_number(raw)
        glued += [glued_number] if glued_number else []
    if rest and (m := numbers.number_at(rest.lstrip())):
        numbers_first.append(m)
    end = _head_end(lines, after)
    head = [lines[i]] if promulgated else []
    head += [_glued_head(rest)] if _is_date_line(rest.lstrip()) else []
    head += lines[after:end]
    for line in head:
        if (m := numbers.number_alone(line)) is not None:
            numbers_first.append(m)
    for line in head:
        if not has_sentence_punct(line) and (m := numbers.NUMBER.search(line)) and m.group("body"):
            found.append(m)
    title, notice_title, names = None, None, ()
    if raw:
        raw = re.sub(r"\s+", " ", raw).strip()
        notice = _notice(raw, lines, i)
        if notice:
            title, notice_title, names = notice
        else:
            names, title = _split_prefix(raw, raw.find("关于"))
            title = title.strip("《》")
    ordered = numbers_first + glued + found
    number = numbers.normalise(ordered[0], glued=ordered[0] in glued) if ordered else None
    order_issuer = next((who for m in ordered if (who := numbers.order_issuer(m))), None)
    return Header(title, notice_title, names, letterhead, number, order_issuer, promulgated, after,
                  rest, tuple(head))
