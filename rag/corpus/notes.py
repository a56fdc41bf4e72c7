"""Responsibility notes: who carries a measure out, and who leads.

Government documents close a measure with a bracketed note naming the units in charge,
in two general shapes:

* labelled — 「（责任单位：A、B）」, 「（牵头单位：A；配合单位：B、C）」,
  「（负责部门：A、B；适用范围：…）」 (a clause that is not a role, such as 适用范围, is
  not a unit list);
* a list and a role verb — 「（A、B负责）」, 「（A牵头，B、C配合）」,
  「（A、B，各省级人民政府按职责分工负责）」, and the document-wide convention
  「（A、B负责。列第一位者为牵头单位，下同）」.

A note only says who leads when a 牵头 role or such a convention says so; a plain
责任单位 list tells nobody apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LEAD_ROLES = ("牵头", "主责", "主办")
HELP_ROLES = ("配合", "参与", "协办", "协助", "协同")
PLAIN_ROLES = ("责任", "负责", "承办")
_ROLE = "|".join(LEAD_ROLES + HELP_ROLES + PLAIN_ROLES)
_BODY = r"(?:[^（）()\n]|[（(][^（）()\n]*[）)])"  # one level of brackets inside: 省委宣传部（省新闻出版局）
# Labelled notes are told by their label wherever they stand, even glued inside a sentence.
LABELLED = re.compile(rf"[（(]\s*(?P<body>(?:{_ROLE})(?:单位|部门)\s*[:：]{_BODY}*?)[）)]")
# A bracket that ends in a role verb is a note only where a note can stand (see match_note).
_VERBAL = re.compile(rf"[（(](?P<body>{_BODY}{{2,300}}?)[）)]")
# A clause label: 「责任单位：」「；配合单位：」「，适用范围：」 (a label is short and names no unit list).
_CLAUSE_LABEL = re.compile(r"(?:^|(?<=[，,；;。]))\s*(?P<label>[^：:，,；;。、（）()]{1,8})\s*[:：]")
_GROUP_ROLE = re.compile(rf"(?:等(?:有关|相关)?(?:部门|单位)(?:和单位)?)?(?:按职责分工|分别|共同)?(?P<role>{_ROLE})$")
# 「列第一位者为牵头单位」「排在第一位的为牵头部门」: the first unit of every list leads.
_FIRST_LEADS = re.compile(r"(?:列|排)(?:在)?(?:第一位|首位)(?:者|的)?(?:为|是)牵头")
_FOLLOWING = re.compile(r"下同|以下同|后同")
_NOT_NAMES = re.compile(r"^(?:由|要|应|请|将|对|在)|[。！？]")
_PREFIXED = re.compile(r"(市政府|县政府|区政府)$")
# 「人民银行等部门」 names 人民银行; 「按职责分工」 and a remark after 。 are no part of a name.
_NAME_TAIL = re.compile(r"等(?:有关|相关|其他)?(?:部门|单位)(?:和单位)?$|按职责分工$|。.*$")


@dataclass(frozen=True)
class Note:
    """The units of one note, lead first; ``lead`` is empty unless the note tells who leads."""

    units: tuple[str, ...]
    lead: tuple[str, ...] = ()
    first_leads: bool = False  # the note states that the first listed unit leads
    lasting: bool = False  # … and that this holds for the notes after it (下同)


def match_note(text: str, pos: int) -> re.Match | None:
    """The note starting at ``pos``, labelled or verbal; its ``body`` group is inside the brackets.

    The caller offers only positions where a note can stand: after a sentence, a heading or
    a line break. A verbal bracket mid-sentence is ordinary wording (「（由省财政厅负责）」
    is read as part of its sentence there).
    """
    if m := LABELLED.match(text, pos):
        return m
    m = _VERBAL.match(text, pos)
    return m if m and _verbal_groups(m.group("body")) else None


def read_note(body: str) -> Note:
    """The units a note names, with its lead units when it tells them apart."""
    lead: list[str] = []
    others: list[str] = []
    if LABELLED.match(f"（{body}）"):
        labels = list(_CLAUSE_LABEL.finditer(body))
        for m, after in zip(labels, [*labels[1:], None]):
            role = _role_of(m.group("label"))
            if role is None:
                continue  # 适用范围, 完成时限 …: not a list of units
            listing = body[m.end(): after.start() if after else len(body)]
            (lead if role == "lead" else others).extend(split_units(listing))
    else:
        for role, names in _verbal_groups(body) or ():
            (lead if role == "lead" else others).extend(names)
    first_leads = bool(_FIRST_LEADS.search(body))
    units = tuple(dict.fromkeys(lead + others))
    leads = tuple(dict.fromkeys(lead)) or (units[:1] if first_leads else ())
    return Note(units, leads, first_leads, first_leads and bool(_FOLLOWING.search(body)))


def with_first_lead(note: Note) -> Note:
    """The note under a document-wide 「列第一位者为牵头单位」: its first unit leads unless it names a lead."""
    return note if note.lead or not note.units else Note(note.units, note.units[:1], note.first_leads, note.lasting)


def _role_of(label: str) -> str | None:
    word = label.strip()
    if any(word.startswith(r) for r in LEAD_ROLES):
        return "lead"
    if any(word.startswith(r) for r in HELP_ROLES + PLAIN_ROLES):
        return "other"
    return None


def _verbal_groups(body: str) -> list[tuple[str, tuple[str, ...]]] | None:
    """[(role, names)] of a 「A、B牵头，C配合」 body, or None when the bracket is not such a note.

    Groups are separated by ，or ；; a group ending in a role verb gives that role to itself
    and to the groups before it that have none (「A、B，C按职责分工负责」). A remark after
    the list (「。列第一位者为牵头单位，下同」) is no group.
    """
    listing = re.split(r"[。]", body, maxsplit=1)[0]
    pending: list[str] = []
    groups: list[tuple[str, tuple[str, ...]]] = []
    for raw in re.split(r"[，,；;]", listing):
        group = raw.strip()
        if not group or _NOT_NAMES.search(group):
            return None
        m = _GROUP_ROLE.search(group)
        if m is None:
            pending.append(group)
            continue
        names = group[: m.start()].strip()
        if not names:
            return None
        role = "lead" if m.group("role") in LEAD_ROLES else "other"
        for text in (*pending, names):
            groups.append((role, split_units(text)))
        pending = []
    return groups if groups and not pending else None


def split_units(note: str) -> tuple[str, ...]:
    """Unit list in source order, with 省/市 prefixes and suffixes distributed.

    ``省财政厅、国资委、金融监管局`` → 省财政厅, 省国资委, 省金融监管局;
    ``三明、南平市政府`` → 三明市政府, 南平市政府.
    """
    out: list[str] = []
    for group in re.split(r"[，,；;]", note):
        names = [n for n in (_NAME_TAIL.sub("", n.strip()) for n in re.split(r"[、]", group)) if n]
        if not names:
            continue
        if names[0].startswith("省") and not names[0].startswith("省委"):
            names = [names[0]] + [n if n.startswith("省") else "省" + n for n in names[1:]]
        suffix = _PREFIXED.search(names[-1])
        if suffix and len(names) > 1 and all(len(n) <= 3 for n in names[:-1]):
            names = [n + suffix.group(1) for n in names[:-1]] + [names[-1]]
        out.extend(names)
    return tuple(dict.fromkeys(out))
