"""Issuing bodies (发文机关): splitting a run of names into bodies, and their level.

A joint document names its issuers in a row — separated by spaces or 、, or glued
together by PDF extraction (中国银行保险监督管理委员会中国证券监督管理委员会). A run is
split into names that are either known national bodies or look like a body: a place
(province, city, 国家, 中国 …) followed by an issuer ending (人民政府, 办公厅, 局, 委员会 …).
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.corpus.identity import lexicon

_NATIONAL_PREFIXES = ("中华人民共和国", "国务院", "国家", "中国", "中共中央", "中央", "全国", "最高人民")
_CITY = re.compile(r"[\u4e00-\u9fff]{1,6}?(?:市|州|县|区|盟|旗)")
# A local branch of a national body (人民银行某分行, 金融监管总局某监管局) is not national.
_BRANCH = re.compile(r"(?:分行|支行|分局|监管局|派出机构|办事处|营业管理部)$")
_SESSION = re.compile(r"第[一二三四五六七八九十百〇零\d]+届")
_SEPARATORS = re.compile(r"[\s、，,；;／/]+")
_ET_AL = re.compile(r"等(?:[一二三四五六七八九十\d]+个?)?(?:部门|单位|机构)$")
_NOT_IN_A_NAME = re.compile(r"[的了为将对与在\d：:。，；（）()《》“”]|关于")
_KNOWN, _PLAUSIBLE = 1, 3  # a known name is cheaper, so a glued run splits at known names


def normalise_issuer(name: str) -> str:
    """The body's standing name: 浙江省第十三届人民代表大会常务委员会 → 浙江省人民代表大会常务委员会."""
    name = _SESSION.sub("", name.strip())
    bare = name.removeprefix("中华人民共和国")
    return bare if bare != name and bare in lexicon.national_bodies() else name


def _province_at(text: str) -> lexicon.Province | None:
    return next((p for p in lexicon.provinces() if text.startswith(p.full) or text.startswith(p.short)), None)


def _starts_with_place(text: str) -> bool:
    return (text.startswith(_NATIONAL_PREFIXES) or _province_at(text) is not None
            or bool(_CITY.match(text)) or text[:1] in "省市县区")


def _ends_as_issuer(text: str) -> bool:
    return any(text.endswith(s) and len(text) > len(s) for s in lexicon.issuer_suffixes())


def _known(name: str) -> bool:
    return name in lexicon.national_bodies() or name.removeprefix("中华人民共和国") in lexicon.national_bodies()


def _starts_a_new_body(rest: str) -> bool:
    """Whether a name could begin here: where one glued name ends and the next starts."""
    if _BRANCH.search(rest):
        return False
    return rest.startswith(_NATIONAL_PREFIXES) or _province_at(rest) is not None or any(
        rest.startswith(k) for k in lexicon.national_bodies())


def _plausible(name: str) -> bool:
    if len(name) < 3 or _NOT_IN_A_NAME.search(name) or not _starts_with_place(name) or not _ends_as_issuer(name):
        return False
    # Two bodies glued together are not one body: X省财政厅X省发展和改革委员会.
    return not any(_ends_as_issuer(name[:i]) and _starts_a_new_body(name[i:]) for i in range(2, len(name) - 1))


def _cost(name: str) -> int | None:
    if _known(name):
        return _KNOWN
    return _PLAUSIBLE if _plausible(name) else None


@lru_cache(maxsize=4096)
def _split_run(run: str) -> tuple[str, ...] | None:
    """Cheapest split of a run with no separators into names; None when it is not names."""
    best: list[tuple[int, tuple[str, ...]] | None] = [None] * (len(run) + 1)
    best[0] = (0, ())
    for end in range(1, len(run) + 1):
        for start in range(max(0, end - 40), end):
            if best[start] is None:
                continue
            cost = _cost(run[start:end])
            if cost is None:
                continue
            total, names = best[start][0] + cost, best[start][1] + (run[start:end],)
            if best[end] is None or (total, len(names)) < (best[end][0], len(best[end][1])):
                best[end] = (total, names)
    return best[-1][1] if best[-1] else None


def split_issuers(text: str) -> tuple[str, ...] | None:
    """The names in ``text`` as written, in order, when it is nothing but issuer names; else None.

    ``中国人民银行 银保监会、证监会`` → (中国人民银行, 银保监会, 证监会). A trailing
    等N部门 is dropped: the names it stands for are not in the text.
    """
    text = _ET_AL.sub("", text.strip())
    if not text or len(text) > 200:
        return None
    names: list[str] = []
    for run in _SEPARATORS.split(text):
        if not run:
            continue
        split = _split_run(run)
        if split is None:
            return None
        names.extend(split)
    return tuple(names) or None


def level_of(name: str) -> str | None:
    """national / province / city for one body's name; None when the name does not tell."""
    province = _province_at(name)
    if province is not None:
        rest = name[len(province.full):] if name.startswith(province.full) else name[len(province.short):]
        return "city" if _CITY.match(rest) and not rest.startswith(("市场", "区域")) else "province"
    if _known(name) or name.startswith(_NATIONAL_PREFIXES):
        if not _BRANCH.search(name):
            return "national"
        return "province" if any(p.short in name for p in lexicon.provinces()) else "city"
    if _CITY.match(name):
        return "city"
    return None


_RANK = {"national": 0, "province": 1, "city": 2}


def region_of(issuers: tuple[str, ...]) -> str | None:
    """The highest level among the issuers: a joint document is as wide as its widest issuer."""
    levels = [lv for lv in map(level_of, issuers) if lv]
    return min(levels, key=_RANK.__getitem__) if levels else None
