"""Checks that an LLM-written answer says nothing its cited passages do not say.

An answer is trusted only if every ``[n]`` marker names a citation, every statement
carries one, and every number and organisation name can be found in the passages the
answer cites (their document title, measure, item, wording and responsible units).
:func:`validate` returns the problems found; an empty list means the answer may be shown.

What counts as a number (both sides are NFKC-normalised first, so ２０２５ and ％ fold):

* Arabic numerals, with decimals and thousands separators, always: ``2025年``,
  ``8.2万亿元``, ``1%``, ``30个``. A Chinese magnitude after them scales the value, so
  ``8.2万亿元``, ``82000亿元`` and ``8200000000000元`` are the same amount.
* Chinese numerals only when they quantify something: followed by a unit or classifier
  (``三年``, ``十亿元``, ``两个``, ``三成``), written ``百分之五``, or used as an ordinal
  (``第十二条``, ``（十二）``). A bare run such as 统一, 进一步, 两岸, 三明, “十四五”
  is a word, not a quantity. ``一`` before a classifier (一个, 一项, 一批) is the
  indefinite article and not counted either; 一年, 一倍, 一成 are.
* ``[n]`` markers and list enumerators at the start of a line (``1.``, ``(2)``) are not
  numbers of the answer.

A number is supported when a cited passage holds the same value with the same unit
(a bare number in the answer matches any unit; an ordinal matches any value present).
The count of cited citations or measures is also allowed with 条/项/个, because the
summary line may say how many measures apply.

What counts as an organisation name: a run of Chinese characters ending with an
organisation suffix that either

* opens with a place or national qualifier (福建, 厦门, 北京, 国家, 中国, 人行, ...) or,
  for government suffixes (局, 委, 办, 政府, ...), with 省/市/县/区: 省交通运输厅,
  福州银保监局, 国家开发银行, 省工信委; or
* ends with a suffix only organisations have (厅, 银保监局, 证监局, 证监会, 中心支行,
  管委会, 法院, ...), even without a qualifier: 交通运输厅, 银保监会.

A qualified name is supported when, from one of its qualifiers, it appears verbatim in
a cited passage or in the cited responsible units (so 由省财政厅牵头 is checked as
省财政厅). 福建省财政厅 is also supported by 省财政厅 when a cited passage itself says
福建省 (the document title does), while 浙江省财政厅 is not. An unqualified name needs
its suffix and the two characters before it (交通运输厅 → 运输厅). 人民银行 and
中国人民银行 are read as the corpus's 人行. Words that only end like an organisation
(布局, 举办, 办理, 委托, 政府性, 银行业) and descriptions of kinds of firms (省内上市公司,
地方中小银行) are not names. Not caught: unqualified firm names (兴业银行) and national
ministries (财政部); the prompt tells the model to copy unit names verbatim.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rag.corpus.numbering import CN_NUMERALS, LARGE_UNITS, MAGNITUDES, chinese_value
from rag.types import Citation

# ---- markers -------------------------------------------------------------------------

# [1], [1][2], [1,2], ［1］ and 【1】 all count as markers.
_MARKER = re.compile(r"[\[［【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]］】]")
_ENUMERATOR = re.compile(r"^\s*(?:\d{1,2}[.、)）](?!\d)|[（(]\d{1,2}[)）]|[-*•·])\s*")


def normalise_markers(text: str) -> str:
    """Every marker form rewritten as ``[n]`` (``【1，2】`` → ``[1][2]``)."""
    return _MARKER.sub(lambda m: "".join(f"[{int(n)}]" for n in re.findall(r"\d+", m.group(1))), text)


def marker_refs(text: str) -> list[int]:
    """The citation numbers the text refers to, in order of first use."""
    text = unicodedata.normalize("NFKC", text)
    refs = (int(n) for m in _MARKER.finditer(text) for n in re.findall(r"\d+", m.group(1)))
    return list(dict.fromkeys(refs))


# ---- numbers -------------------------------------------------------------------------

# Counting classifiers: after a lone 一 they are an indefinite article (一个平台).
_CLASSIFIERS = ("个", "项", "条", "家", "所", "户", "名", "人", "次", "批", "笔", "件", "类", "种", "只",
                "座", "套", "位", "期", "轮")
_MEASURES = ("个百分点", "百分点", "个月", "%", "‰", "美元", "元", "年", "月", "日", "天", "周", "岁", "倍",
             "成", "亩", "公顷", "平方米", "公里", "吨")
_UNITS = sorted(_CLASSIFIERS + _MEASURES, key=len, reverse=True)
_UNIT_ALIASES = {"个百分点": "百分点"}

_CN_START = CN_NUMERALS
_CN_CHARS = _CN_START + "".join(LARGE_UNITS)
_ARABIC = r"\d+(?:,\d{3})*(?:\.\d+)?"
_NUMBER = re.compile(
    rf"(?P<ordinal>第\s*)?(?P<open>[（(])?"
    rf"(?:百分之(?P<percent>{_ARABIC}|[{_CN_START}][{_CN_CHARS}]*)"
    rf"|(?P<arabic>{_ARABIC})(?P<magnitude>[十百千万亿]*)"
    rf"|(?P<chinese>[{_CN_START}][{_CN_CHARS}]*))"
    rf"(?P<close>[）)])?[余多]?(?P<unit>{'|'.join(map(re.escape, _UNITS))})?"
)


@dataclass(frozen=True)
class Quantity:
    """One number as written: its value (magnitudes applied), unit and form."""

    text: str
    numeral: str
    value: Decimal
    unit: str  # "" when bare; "%" for 百分之 and %
    ordinal: bool
    chinese: bool


def _magnitude(chars: str) -> int:
    factor = 1
    for ch in chars:
        factor *= MAGNITUDES[ch]
    return factor


def quantities(text: str) -> list[Quantity]:
    """Every number-like expression in ``text``, including bare Chinese numerals."""
    found = []
    for m in _NUMBER.finditer(text):
        unit = _UNIT_ALIASES.get(m["unit"] or "", m["unit"] or "")
        ordinal = bool(m["ordinal"]) or bool(m["open"] and m["close"])
        if m["percent"]:
            numeral = m["percent"]
            chinese = not numeral[0].isdigit()
            value = chinese_value(numeral) if chinese else Decimal(numeral.replace(",", ""))
            unit = "%"
        elif m["arabic"]:
            numeral, chinese = m["arabic"] + m["magnitude"], False
            value = Decimal(m["arabic"].replace(",", "")) * _magnitude(m["magnitude"])
        else:
            numeral, chinese = m["chinese"], True
            value = chinese_value(numeral)
        if value is not None:
            found.append(Quantity(m.group(), numeral, Decimal(value), unit, ordinal, chinese))
    return found


def _states_a_number(q: Quantity) -> bool:
    """Whether an answer's quantity is a claim to check (see the module docstring)."""
    if not q.chinese or q.ordinal or q.unit == "%":
        return True
    if not q.unit:
        return False
    return not (q.numeral == "一" and q.unit in _CLASSIFIERS)


def _supported(q: Quantity, known: Sequence[Quantity]) -> bool:
    if q.ordinal:
        return any(k.value == q.value for k in known)
    return any(k.value == q.value and (not q.unit or k.unit == q.unit) for k in known)


# ---- organisation names --------------------------------------------------------------

_ALIASES = (("中国人民银行", "人行"), ("人民银行", "人行"))
# Provinces, the cities with their own regulators, and Fujian's cities.
_REGIONS = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
    "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
    "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门", "大连", "青岛", "宁波", "深圳", "厦门",
    "福州", "莆田", "泉州", "漳州", "三明", "南平", "龙岩", "宁德", "平潭",
)
_ADMIN = ("省", "市", "县", "区")
_NATIONAL = ("国家", "国务院", "中国", "中央", "全国", "人行")
# 省内, 市级, 区域, 市场: here the character is part of a word, not an administrative level.
_NOT_ADMIN = "内外级属域场"
# Suffixes only organisations carry; these are checked even without a qualifier.
_STRONG = ("银保监分局", "银保监局", "银保监会", "银监局", "保监局", "证监局", "证监会", "监管局", "中心支行",
           "支行", "分行", "管委会", "人民政府", "检察院", "法院", "办公厅", "厅")
_GOVERNMENT = ("委员会", "办公室", "分局", "总局", "局", "委", "办", "政府")
# 省内上市公司 and 地方中小银行 describe kinds of firms; only a place or national
# qualifier (福建海峡银行, 国家开发银行) makes these a name.
_BUSINESS = ("中心", "公司", "银行")
_SUFFIXES = sorted(_STRONG + _GOVERNMENT + _BUSINESS, key=len, reverse=True)
# A suffix followed by these characters is part of another word (委托, 办理, 政府性, 银行业).
_CONTINUES = {"厅": "长级", "局": "长面势级", "委": "托员派屈", "办": "理法事公好学结案", "政府": "性",
              "中心": "城区", "公司": "治债制", "银行": "业卡间"}
_GENERIC = ("布局", "格局", "大局", "全局", "结局", "当局", "开局", "举办", "创办", "承办", "主办", "督办",
            "兴办", "开办", "合办", "代办")
_MAX_NAME = 16
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def _suffix_ending(run: str, end: int) -> str | None:
    head = run[:end]
    if head.endswith(_GENERIC):
        return None
    for suffix in _SUFFIXES:
        if head.endswith(suffix):
            follower = run[end:end + 1]
            return None if follower and follower in _CONTINUES.get(suffix, "") else suffix
    return None


def _qualifiers(suffix: str) -> tuple[str, ...]:
    return _REGIONS + _NATIONAL + (() if suffix in _BUSINESS else _ADMIN)


def _qualified_starts(run: str, end: int, suffix: str) -> list[tuple[int, int]]:
    """(start, qualifier length) of each qualifier that can open a name ending at ``end``.

    An administrative level right after a place (the 省 of 福建省) is not a start of
    its own: 浙江省财政厅 must not pass as the cited 省财政厅.
    """
    stem_start = end - len(suffix)
    # 省委 and 市政府 are no names, but a suffix of three or more characters names the
    # kind of body by itself (福建 + 银保监局, 省 + 人民政府).
    min_stem = 0 if len(suffix) >= 3 else 1
    starts = []
    for p in range(max(0, end - _MAX_NAME), stem_start):
        for q in _qualifiers(suffix):
            if not run.startswith(q, p) or p + len(q) + min_stem > stem_start:
                continue
            if q in _ADMIN and (run[p + 1] in _NOT_ADMIN or run[:p].endswith(_REGIONS)):
                continue
            starts.append((p, len(q)))
    return starts


def _name_supported(run: str, start: int, qualifier: int, end: int, allowed: str) -> bool:
    if run[start:end] in allowed:
        return True
    # 福建省财政厅 is the cited 省财政厅 when the cited document is itself 福建省's.
    region = run[start:start + qualifier]
    admin = run[start + qualifier:start + qualifier + 1]
    return (region in _REGIONS and admin in _ADMIN and region + admin in allowed
            and run[start + qualifier:end] in allowed)


def organisation_names(text: str, allowed: str) -> list[str]:
    """Organisation names in ``text`` that ``allowed`` does not support (see module docstring)."""
    text, allowed = _unalias(text), _unalias(allowed)
    unsupported: list[str] = []
    for m in _CJK_RUN.finditer(text):
        run = m.group()
        for end in range(2, len(run) + 1):
            suffix = _suffix_ending(run, end)
            if suffix is None:
                continue
            starts = _qualified_starts(run, end, suffix)
            if starts:
                if not any(_name_supported(run, p, n, end, allowed) for p, n in starts):
                    unsupported.append(run[starts[-1][0]:end])
            elif suffix in _STRONG:
                name = run[max(0, end - len(suffix) - 2):end]
                if name not in allowed:
                    unsupported.append(name)
    return list(dict.fromkeys(unsupported))


def _unalias(text: str) -> str:
    for long, short in _ALIASES:
        text = text.replace(long, short)
    return text


# ---- the whole answer ----------------------------------------------------------------


def passage_text(citations: Iterable[Citation]) -> str:
    """What the prompt shows of each citation, one field per line (so no name spans two)."""
    fields = []
    for c in citations:
        fields += [c.source, c.chunk.measure, c.chunk.item or "", c.chunk.text, "、".join(c.chunk.responsible_units),
                   c.chunk.note]
    return unicodedata.normalize("NFKC", "\n".join(fields))


def _answer_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def validate(text: str, citations: Sequence[Citation]) -> list[str]:
    """Problems that make an LLM answer untrustworthy; empty when every claim is supported.

    ``citations`` are the passages the model was given; numbers and names are checked
    against the ones the answer actually cites (all of them if it cites none).
    """
    text = unicodedata.normalize("NFKC", text or "")
    lines = _answer_lines(text)
    if not lines:
        return ["回答为空"]
    problems = []
    refs = marker_refs(text)
    known_refs = {c.ref for c in citations}
    problems += [f"引用标记[{r}]不存在" for r in refs if r not in known_refs]
    if not refs:
        problems.append("回答没有引用标记")
    problems += [f"该句没有引用标记：{line}" for line in lines[1:] if not _MARKER.search(line)]

    cited = [c for c in citations if c.ref in refs] or list(citations)
    allowed = passage_text(cited)
    prose = "\n".join(_ENUMERATOR.sub("", _MARKER.sub("", line)) for line in lines)

    known = quantities(allowed)
    counts = {len(cited), len({c.chunk.measure for c in cited})}
    for q in quantities(prose):
        if not _states_a_number(q) or _supported(q, known):
            continue
        if q.value in counts and q.unit in ("", "条", "项", "个") and not q.ordinal:
            continue
        problems.append(f"数字不在引用原文中：{q.text}")
    problems += [f"机构名称不在引用原文中：{name}" for name in organisation_names(prose, allowed)]
    return problems
