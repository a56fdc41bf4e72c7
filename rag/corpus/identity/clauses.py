"""Dated clauses of a header: 「YYYY年M月D日 …会议通过」, 「…令第N号公布」, 「YYYY年M月D日 施行」,
and the closing 「本条例自YYYY年M月D日起施行」.

Each date in a header line is paired with the first verb that follows it, up to the next
date: this reads both the one-clause-per-line 题注 of a 条例 and a 令's single sentence
「《X》已经…会议通过，现予公布，自…起施行。」.
"""

from __future__ import annotations

import re

from rag.corpus.identity.dates import DATE, iso_of
from rag.corpus.identity.issuers import normalise_issuer

VERBS = ("通过", "批准", "公布", "发布", "施行", "修正", "修订")
ADOPTION = ("通过", "批准", "修正", "修订")
_ADOPTED_BY = re.compile(r"\s*(?:经)?(?P<body>[\u4e00-\u9fff]+?)(?:\d{4}年)?第[\d一二三四五六七八九十百〇零]+次"
                         r"[\u4e00-\u9fff]{0,4}会议(?:审议)?通过")
_IN_FORCE = re.compile(rf"自\s*(?:{DATE.pattern})\s*起(?:施行|实施|执行|生效)")
# Only the document's own statement counts: 本条例自…, 现予公布，自…; not a measure's 自…起.
_OWN_STATEMENT = re.compile(r"本|公布|印发|发布")


def dated_clauses(lines: list[str]) -> dict[str, list[str]]:
    """verb → ISO dates, in text order."""
    found: dict[str, list[str]] = {}
    for line in lines:
        dates = list(DATE.finditer(line))
        for here, nxt in zip(dates, dates[1:] + [None]):
            clause = line[here.end(): nxt.start() if nxt else len(line)]
            hits = [(clause.find(v), v) for v in VERBS if v in clause]
            value = iso_of(here)
            if hits and value:
                found.setdefault(min(hits)[1], []).append(value)
    return found


def adopting_body(lines: list[str]) -> str | None:
    """The body whose meeting first adopted the text: 「…X市第N届人民代表大会常务委员会第N次会议通过」."""
    for line in lines:
        for d in DATE.finditer(line):
            m = _ADOPTED_BY.match(line, d.end())
            if m:
                return normalise_issuer(m.group("body"))
    return None


def in_force_from(text: str) -> str | None:
    """The date of the first 「本…自YYYY年M月D日起施行」 the document states about itself."""
    for m in _IN_FORCE.finditer(text):
        before = re.split(r"[。；！？\n]", text[max(0, m.start() - 16): m.start()])[-1]
        if _OWN_STATEMENT.search(before):
            return iso_of(DATE.search(text, m.start()))
    return None
