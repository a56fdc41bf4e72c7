"""Follow-up questions: 「那台资企业呢？」 after 「科技型企业有哪些融资支持？」.

An elliptical turn names a new subject and leaves the rest implied. The rewrite puts the
new subject in place of the old one in the previous question, so retrieval and the
answer cache see a complete question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rag.types import Turn

_LEAD = re.compile(r"^(那要是|那么?|那如果是?|如果是|换成|还有|另外|至于|对于)")
_TAIL = re.compile(r"(的话)?(呢|怎么样|如何|又如何|有没有|行不行|可以吗|能不能)?[？?。！!\s]*$")
# The topic slot of 「…对X有什么支持/怎么规定」, and the 「方面/领域」 a new topic may come with.
_ABOUT = re.compile(r"对(?P<topic>[^，,。；？?对]{2,12}?)(有什么|有哪些|有何|怎么|如何|是怎么|是否|的要求|的规定|的支持)")
_ASPECT = re.compile(r"(方面|领域|这块|这一块)$")
# A turn that asks for something itself (「那这些投诉资料要留存多久？」) is a question of its own, not a new
# subject for the previous one: spliced into it, it read 「…这些投诉资料银行要留存多久在多长时间内答复？」.
# With a 呢 it still goes on from it: 「那要是没按时报上去呢？罚多少？」.
_ASKS = re.compile(r"多久|多少|多长|多大|哪些|哪个|什么|怎么|如何|是否|能否|能不能|会不会|可不可以|吗|谁|几")
_ELLIPTICAL_MAX = 14  # characters of subject left after stripping; longer turns stand alone
# Words that name who or what a question is about; the one in the previous question is replaced.
_SUBJECT = re.compile(r"(企业|公司|项目|机构|银行|产业|行业|农户|小微|台胞|个人|厅|局|委|办|政府|市场|保险|证券|基金)$")


def rewrite(question: str, history: Sequence[Turn], words: Callable[[str], list[str]]) -> str:
    """The question made self-contained using the earlier user turns; unchanged when it already is."""
    previous = [t.content.strip() for t in history if t.role == "user" and t.content.strip()]
    if not previous:
        return question
    context = previous[0]
    for turn in previous[1:]:
        context = _resolve(turn, context, words)
    return _resolve(question, context, words)


def _resolve(question: str, context: str, words: Callable[[str], list[str]]) -> str:
    stripped = question.strip()
    if not (_LEAD.search(stripped) or re.search(r"呢[？?]?$", stripped)):
        return question
    subject = _TAIL.sub("", _LEAD.sub("", stripped)).strip("，,、 ")
    if not subject or len(subject) > _ELLIPTICAL_MAX or (_ASKS.search(subject) and "呢" not in stripped):
        return question
    # 「那再担保费呢？」 after a question on 担保费率 replaces the words it shares most with.
    span = _sharing(subject, context, words(context))
    if span is None:
        old = next((w for w in words(context) if _SUBJECT.search(w) and w not in subject), None)
        if old is None:
            about = _ABOUT.search(context)  # 「湖州条例对绿色建筑有什么支持？」: 绿色建筑 is what the question is about
            if about is None:
                return f"{subject}{context}"
            return context[:about.start("topic")] + _ASPECT.sub("", subject) + context[about.end("topic"):]
        at = context.find(old)
        span = at, at + len(old)
    start, end = span
    # jieba reads 省财政厅 as 省 + 财政厅: take the 省 along when the new subject carries one too.
    for k in (2, 1):
        if start >= k and subject.startswith(context[start - k:start]):
            start -= k
            break
    return context[:start] + subject + context[end:]


def _sharing(subject: str, context: str, words: list[str]) -> tuple[int, int] | None:
    """Where in ``context`` the subject goes: the run of words around their longest stretch (two characters
    at least) in common, 担保费率 for 台资企业's 企业 in 科技型企业. When the subject ends with the stretch,
    what follows it in the run stays: 「那再担保费呢？」 after 担保费率 asks about 再担保费率."""
    for n in range(min(len(subject), len(context)), 1, -1):
        i = next((i for i in range(len(subject) - n + 1) if subject[i:i + n] in context), -1)
        if i < 0:
            continue
        at = context.find(subject[i:i + n])
        start, end = at, at + n
        for w in words:
            p = context.find(w)
            if p >= 0 and p < end and p + len(w) > start:
                start, end = min(start, p), max(end, p + len(w))
        return start, (at + n if i + n == len(subject) else end)
    return None
