"""Whether the library says anything about a question at all: the refusal gate.

The raw cosine of a question to its nearest policy sentence does not separate the two
cases: an out-of-scope banking question (「公积金贷款最高能贷多少」) sits as close to some
policy sentence as a colloquial in-scope one (「科创公司没啥厂房土地…」), because both are
about finance. What separates them is what else the question is close to, so the gate
compares questions with questions (one scale on both sides):

- in scope: question forms generated from the library's own headings and sentences
  (:mod:`rag.corpus.forms`); support = the nearest of them, or the nearest policy sentence
  if closer. Nothing is written by hand per document;
- ``out_of_scope.txt``: everyday banking and off-topic questions no development policy answers;
- ``near_domain.txt``: questions in policy areas asking for what such policies rarely
  state (a bank's rates, ratios, procedures).

A question is refused when it is nearer to either out-of-scope bank than to the support by
more than that bank's margin. The margins are calibrated for each library when it is built
(:func:`calibrate`) and recorded in the index manifest: each bank's questions are scored
against the library like a question would be (the nearest *other* bank question standing
for the bank), and the margin is a percentile of those scores (``PERCENTILES``). A library
that answers much of everyday banking (a 资管 rule, a lending regulation) thus gets a
different margin than one that answers little of it.

The near-domain bank shares the library's subjects, so its margin sits low (the 5th
percentile): what tells a near-domain question apart is mostly that it asks for a figure or
a procedure the quoted wording does not state, which :func:`unanswered` checks. Both
percentiles were chosen on the two development sets (eval/questions) and then checked once
on held-out sets over a library written for neither.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from bisect import bisect_right
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from rag.answering.grouped import further_asks
from rag.answering.validate import Quantity, quantities
from rag.corpus.sentences import split_sentences
from rag.data import DATA_DIR
from rag.encoder.embedding import Embedder
from rag.retrieval.manifest import GateRecord
from rag.retrieval.query import expand, mentions

OUT_OF_SCOPE = DATA_DIR / "out_of_scope.txt"
NEAR_DOMAIN = DATA_DIR / "near_domain.txt"
PERCENTILES = (50, 5)  # everyday, near-domain (see calibrate)
# Off-topic questions (「量子计算机的原理是什么」) are far from everything; below this cosine to
# every policy sentence nothing is answered (the lowest answerable question of either dev set
# scores 0.842). It is the model's scale, not a document's, so it is not calibrated per library.
FLOOR = 0.835
SHORT_RATIO = 3  # a bank question stands for an asked one at most this many times its length
# Words that ask rather than name what is asked about: 「多久」「能不能」「有哪些规定」.
_ASKING = re.compile(r"^(多久|多长|多大|多少|多高|几|怎么|怎样|如何|哪些|哪个|哪里|哪儿|什么|啥|能不能|不能|可不可以|可以|是否"
                     r"|有没有|有啥|会不会|规定|要求|一般|具体|需要|应该|为什么)")
_CHUNK_ROWS = 4096  # passage rows compared at once when calibrating: bounded memory at any size


@dataclass(frozen=True)
class Thresholds:
    everyday: float
    near: float
    floor: float = FLOOR

    @classmethod
    def of(cls, record: GateRecord) -> Thresholds:
        return cls(record.everyday, record.near, record.floor)

    def shifted(self, shift: float) -> Thresholds:
        """Both margins moved by ``shift``: positive refuses more, negative answers more."""
        return Thresholds(self.everyday + shift, self.near + shift, self.floor)


@dataclass(frozen=True)
class Relevance:
    passage: float  # cosine to the nearest policy sentence
    support: float  # the larger of that and the cosine to the nearest in-scope question form
    everyday: float  # cosine to the nearest everyday out-of-scope question
    near: float  # cosine to the nearest near-domain out-of-scope question
    nearest: str  # the closest out-of-scope question, for explaining a refusal

    @property
    def everyday_margin(self) -> float:
        return self.support - self.everyday

    @property
    def near_margin(self) -> float:
        return self.support - self.near

    def passes(self, thresholds: Thresholds) -> bool:
        return (self.passage >= thresholds.floor and self.everyday_margin >= thresholds.everyday
                and self.near_margin >= thresholds.near)


class QuestionBank:
    """Embedded questions, cached on disk per model and wording."""

    def __init__(self, texts: list[str], vectors: np.ndarray):
        self.texts = texts
        self.vectors = vectors
        self.lengths = np.array([len(t) for t in texts])

    @classmethod
    def load(cls, path: Path, embedder: Embedder, cache_dir: Path) -> QuestionBank:
        texts = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return cls.of(texts, embedder, cache_dir, path.stem)

    @classmethod
    def of(cls, texts: list[str], embedder: Embedder, cache_dir: Path, name: str,
           built_by: str | None = None) -> QuestionBank:
        """``built_by``: the runtime whose cached vectors to prefer (the index's build runtime's)."""
        for runtime in dict.fromkeys((built_by or embedder.info.runtime, embedder.info.runtime)):
            cached = cache_dir / f"{name}-{_digest(texts, runtime)}.npy"
            if cached.is_file():
                vectors = np.load(cached)
                if vectors.shape == (len(texts), embedder.info.dimension):
                    return cls(texts, vectors)
        vectors = (embedder.encode_queries(texts).astype(np.float32) if texts
                   else np.zeros((0, embedder.info.dimension), dtype=np.float32))
        _save_atomic(cache_dir / f"{name}-{_digest(texts, embedder.info.runtime)}.npy", vectors)
        return cls(texts, vectors)

    def without(self, texts: Collection[str]) -> QuestionBank:
        keep = [i for i, t in enumerate(self.texts) if t not in texts]
        return QuestionBank([self.texts[i] for i in keep], self.vectors[keep])

    def nearest(self, vector: np.ndarray, length: int = 0) -> tuple[float, str]:
        """The closest question, among those that can stand for a question of ``length`` characters."""
        if not len(self.texts):
            return -1.0, ""
        sims = np.where(self.stands_for(length), self.vectors @ vector, -1.0)
        best = int(np.argmax(sims))
        return float(sims[best]), self.texts[best]

    def stands_for(self, length: int | np.ndarray) -> np.ndarray:
        """Which questions may stand for one of ``length`` characters (a row per length if an array).

        A chat phrase of two characters (「在吗」) sits close to many long questions in the embedding
        space, and would refuse 「想在上海跟创投机构搞投贷联动…有支持吗？」 as small talk: a question
        at least a third as long as the asked one may stand for it.
        """
        return self.lengths * SHORT_RATIO >= np.asarray(length)[..., None]


@dataclass(frozen=True)
class Banks:
    """The generic out-of-scope banks every library is judged against."""

    everyday: QuestionBank
    near: QuestionBank

    @classmethod
    def load(cls, embedder: Embedder, cache_dir: Path) -> Banks:
        return cls(QuestionBank.load(OUT_OF_SCOPE, embedder, cache_dir),
                   QuestionBank.load(NEAR_DOMAIN, embedder, cache_dir))

    def without(self, answered: Collection[str]) -> Banks:
        """The banks less the questions a library answers (:func:`answered_here`)."""
        if not answered:
            return self
        return Banks(self.everyday.without(answered), self.near.without(answered))


def support_bank(forms: list[str], embedder: Embedder, cache_dir: Path, built_by: str | None = None) -> QuestionBank:
    """The library's question forms, embedded once per wording and runtime; a load reads the build's."""
    return QuestionBank.of(forms, embedder, cache_dir, "forms", built_by)


def _digest(texts: list[str], runtime: str) -> str:
    return hashlib.sha256("\n".join(texts).encode() + runtime.encode()).hexdigest()[:16]


def answered_here(banks: Banks, texts: list[str], words: Callable[[str], list[str]],
                  synonyms: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The generic out-of-scope questions this library answers, by the test an answer passes.

    The banks were written against libraries that answer none of them, yet a library holding the
    商业汇票 rule answers 「商业汇票的最长付款期限是多久」: left in, it refuses 「商票最长能开多久？」.
    A bank question is answered here when one chunk holds every word that names its subject (or a
    synonym), and states the figure or procedure it asks for (:func:`unanswered`).
    """
    joined = "\n".join(texts)
    starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    holding: dict[str, set[int]] = {}

    def chunks_with(term: str) -> set[int]:
        if term not in holding:
            holding[term] = {bisect_right(starts, m.start()) - 1 for m in re.finditer(re.escape(term), joined)}
        return holding[term]

    answered = []
    for question in (*banks.everyday.texts, *banks.near.texts):
        asked = words(question)
        needed = _needed(asked)
        if not needed:
            continue
        common = set.intersection(*(set().union(*map(chunks_with, (w, *synonyms.get(w, ())))) for w in needed))
        if answered_in(question, [texts[i] for i in sorted(common)], asked, synonyms):
            answered.append(question)
    return tuple(answered)


def answered_in(question: str, texts: list[str], words: list[str], synonyms: dict[str, tuple[str, ...]]) -> bool:
    """One of ``texts`` holds every word that names the question's subject (or a synonym), at least two
    of its words, and states the figure or procedure it asks for (:func:`unanswered`).

    Words that ask (多久, 能不能) need not be there, nor qualifiers (最长, 最多), which a policy writes as
    「不得超过」; held, they count towards the two.
    """
    named = [w for w in words if not _ASKING.match(w)]
    needed = _needed(words)
    for text in texts:
        held = [w for w in named if mentions(text, w, synonyms)]
        if (len(held) >= 2 and all(w in held for w in needed)
                and not unanswered(question, split_sentences(text), words, synonyms)):
            return True
    return False


def _needed(words: list[str]) -> list[str]:
    """The words that name what is asked about: neither asking (多久) nor qualifying the ask (最长)."""
    return [w for w in words if not _ASKING.match(w) and w not in _QUALIFIERS]


def calibrate(passages: np.ndarray, support: QuestionBank, banks: Banks,
              percentiles: tuple[float, float] = PERCENTILES, answered: tuple[str, ...] = ()) -> GateRecord:
    """Margins for one library: a percentile of each bank's own questions' margins.

    Each bank question is treated as a question put to this library: its support is its
    nearest passage or question form, and the nearest *other* question of its bank plays
    the out-of-scope side. At the everyday median, half of that bank falls below the
    margin; real out-of-scope questions, which have a near twin in the bank, fall lower.
    """
    margins = []
    for bank, percentile in zip((banks.everyday, banks.near), percentiles):
        vectors = bank.vectors
        others = np.where(bank.stands_for(bank.lengths), vectors @ vectors.T, -1.0)
        np.fill_diagonal(others, -1.0)
        supported = np.maximum(_nearest(vectors, passages), _nearest(vectors, support.vectors))
        margins.append(float(np.percentile(supported - others.max(axis=1), percentile)))
    rule = (f"margin = the {percentiles[0]:g}th (everyday) / {percentiles[1]:g}th (near-domain) percentile over "
            f"each bank's questions of (nearest passage or question form − nearest other question of the bank)")
    return GateRecord(round(margins[0], 4), round(margins[1], 4), FLOOR, len(support.texts), rule, answered)


def _nearest(queries: np.ndarray, rows: np.ndarray) -> np.ndarray:
    best = np.full(len(queries), -1.0, dtype=np.float32)
    for start in range(0, len(rows), _CHUNK_ROWS):
        block = rows[start:start + _CHUNK_ROWS]
        if len(block):
            best = np.maximum(best, (queries @ block.T).max(axis=1))
    return best


@dataclass(frozen=True)
class Gate:
    """A library's in-scope question forms and the generic out-of-scope banks."""

    support: QuestionBank
    banks: Banks

    def assess(self, query_vector: np.ndarray, passage_dense: np.ndarray, length: int = 0) -> Relevance:
        """``length``: the question's, in characters (which bank questions may stand for it)."""
        passage = float(passage_dense.max()) if len(passage_dense) else -1.0
        support = max(passage, self.support.nearest(query_vector)[0])
        everyday, everyday_text = self.banks.everyday.nearest(query_vector, length)
        near, near_text = self.banks.near.nearest(query_vector, length)
        return Relevance(passage, support, everyday, near, everyday_text if everyday >= near else near_text)


# 「多少」「几成」「几倍？」「多大比例」「千分之几」 ask for a figure, and 「几天内」 as 「多少天内」 does; 「几个专利」 in
# passing does not, nor 「过几天」「好几天」.
# 「第几项」「第几条」 ask where a rule stands, not for a figure
# 「额度上限怎么算」「赔付比例怎么定」 ask for a figure as well, of the word before the asking
_ASKS_FIGURE = re.compile(r"多少|几(?=个?(?:工作日|天|小时)[之以]?内)|[百千万]分之几|多[大高](?=的?(比例|比重|额度|金额|规模|面积|幅度|利率|费率))|(?<![好第哪举出说讲])几[成倍个家所项条年](?=[，,。？?！!\s]|$)|(?<![好第哪])几倍|什么[^，,。？?]{0,4}(率|比例)"
                          r"|(?<=上限|下限|额度|比例|费率|利率)(?P<rule>是?(怎么|如何)(算|计算|定|确定))"
                          # 「管理人报酬按什么标准计算」: the rule that sets it, or its figure
                          r"|(?<=[\u4e00-\u9fff])(?P<standard>按照?什么标准(计算|确定))")
# 「押金能收多少」 is answered by a sentence that leaves the sum to the parties: 「与承租人约定收取…保证金」; a bound
# asked for (「费率上限是多少」) is not.
_AGREED = re.compile(r"约定|协商|商定")
_BOUND = re.compile(r"上限|下限|最高|最低|最多|最少|至少|起码|不超过|不低于|封顶")
_WITHIN = re.compile(r"以?内$")
_WITHIN_AFTER = re.compile(r"[之以]?内")
# 「贷款额度怎么定」 is answered by the rule that sets it too, when it says on what: 「根据实际招用人数合理确定贷款额度」
# (「合理确定境外贷款余额上限」 alone says nothing of how).
_SETS_FIGURE = re.compile(r"根据|按照|参照|依据|以[^，,。；]{1,12}为(基数|依据|基础)")
# 「算能贷多少钱的时候，车价按哪个算」: a figure in a clause of time sets the scene; the question is after it
_WHEN = re.compile(r"[^，,。？?！!]{0,6}(时候|之时)")
# 「要不要把赔了谁、赔多少贴出来」: a 多少 inside what a yes-or-no question would have done is no figure asked
_ASKS_WHEN = re.compile(r"什么时候|何时|哪天|几号|几月")
_WHEN_STATED = re.compile(r"[\d一二三四五六七八九十]+\s*(个)?(工作)?日(内|前|以前|之前)|每(个)?(月|季度?|年|半年)[初末底]|月底|月末|年底|年末|之日起")
# 「能占多少股份有限制吗」 asks whether there is a limit: 「可以由出资各方协商约定」 answers it with no figure
_LIMITED = re.compile(r"[^，,。？?！!；;]{0,8}?(有|有没有|是否有|有无)[^，,。？?！!；;]{0,2}(限制|上限|限额|封顶)")
_DONE_TO = re.compile(r"(要不要|需不需要|用不用|该不该|应不应该|是否|能否|能不能)[^，,。？?！!]{0,6}[把将][^，,。？?！!]*$")
_YEAR = re.compile(r"\d{4}年")  # 「到2025年末」 dates a target; it is not the figure asked for
# A formula (「余额上限=一级资本净额×…」) states how a figure is reached: the answer to 「上限是怎么算的」.
# 「一次性奖励」 is a kind of award, not a count of one.
_COMPUTED_BOUND = re.compile(r"(?:超过|超出|高于|低于)[^，,。；;]{2,40}?(?:之和|总和|之差|之积)")
_FIGURE = re.compile(r"\d|(?!一次性)[一二两三四五六七八九十百千万]+(?:[个家所倍成项亿万人名户次天日年元岁亩米]|平方米|公顷)"
                     r"|[百千万]分之|[=＝×÷]")


# 「怎么申请」「要交哪些材料」「几个工作日办结」 ask for a procedure; a development policy rarely states one.
# 「手续有简化吗」 asks whether it was eased (「…外债账户开立等五项…便利化试点举措」), not what it is.
_ASKS_PROCEDURE = re.compile(r"怎么(申请|办理|操作|报名)|如何(申请|办理|操作)|(交|提交|带|准备)(哪些|什么)(材料|证件)"
                             r"|去哪(里|儿)?办|多久(能|可以)?办|几个工作日|流程|手续(?!费|[^，,。？?]{0,2}(简化|精简|便利|减少|优化))")
_ASKS_PERMISSION = re.compile(r"(行得通|行不行|可不可以|可以|允许|合法|合规|违规|有问题)吗?[？?。！!\s]*$")
_POINTING_BACK = 3  # characters of a clause that asks of the one before: 「这样」「这么做」
_PERMISSION_STATED = re.compile(r"不得|禁止|严禁|不准|不允许|可以|允许|准许|有权|应当|必须")
_STATES_PROCEDURE = re.compile(r"申请|办理|材料|提交|受理|工作日|程序|流程|手续(?!费)|证明|证件")
# 「申请信用修复要提交哪些材料」 asks what is handed in: 「可以…提出信用修复申请」 names the 申请 asked about and
# 「提供虚假材料的」 a wrong; neither lists what to hand in.
_ASKS_MATERIALS = re.compile(r"(交|提交|带|准备|提供)(哪些|什么|啥)(材料|证件|资料|文件)|(要|需要|得)带(哪些|什么|啥)(东西)?[？?。]*$")
# 「周六上午开门吗」「几点到几点」 ask a place's opening hours, which only a sentence naming days or hours states
_ASKS_HOURS = re.compile(r"(周[六日末]|星期[六日天]|节假日|假期|上午|下午|晚上)[^，,。？?]{0,8}(开门|营业|上班|开不开|对外|办公)"
                         r"|(开门|营业|上班|办公)[^，,。？?]{0,6}(几点|时间)|几点到几点")
_STATES_HOURS = re.compile(r"周[一二三四五六日末]|星期|节假日|双休日|休息日|营业时间|工作时间|办公时间|\d{1,2}\s*[:：时点]")
# 「走哪个系统」 asks which one: only a sentence naming a system, platform or site answers it
_ASKS_SYSTEM = re.compile(r"(哪个|哪一个|什么|啥)(系统|平台|网站|网址)")
_NAMES_SYSTEM = re.compile(r"系统|平台|网站|网址|基础设施")
# 「监管账户必须开在哪家银行」 asks which bank: only a sentence naming a bank (or the 金融机构 it is one of) answers it
_ASKS_BANK = re.compile(r"(哪家|哪个|哪一家|哪一个|什么)银行")
_NAMES_BANK = re.compile(r"银行|金融机构")
# 「凭证弄丢了，怎么补办？」 asks how a lost paper is replaced: a 查询申请 procedure is no answer (「要在多长时间内补办
# 备案」 asks a late filing, not a replacement)
_ASKS_REISSUE = re.compile(r"(丢|遗失|损坏|坏了|找不到)[^？?。]{0,12}(补办|补领|补发|重新办)")
_STATES_REISSUE = re.compile(r"补办|补发|补领|补换|挂失|重新(出具|开具|发放|核发|签发)")
# What a question asks for (opening hours, a system, a bank, a replacement) and what a sentence must say to answer it
_ASKED_AND_SAID = ((_ASKS_HOURS, _STATES_HOURS), (_ASKS_SYSTEM, _NAMES_SYSTEM), (_ASKS_BANK, _NAMES_BANK),
                   (_ASKS_REISSUE, _STATES_REISSUE))
# 「商户申请经营贷款，…提供哪些材料」 asks what is handed in for the 经营贷款: what a 市场 hands in for its 名称登记 is no
# answer. The head of what is applied for (贷款, 许可, 账户) is its last word.
# (「申请人」「申请书」 apply for nothing)
_APPLIED_FOR = re.compile(r"(?:申请|办理|开立|开设|开通|开办|办(?![理法公事]))(?![人书表])(?P<what>[^，,。？?、；;：:]{2,10}?)"
                          r"(?=[，,。；;：:]|$|要|需要|得|时|的时候|应当)")
_STATES_MATERIALS = re.compile(r"(提交|提供|出具|报送|携带|附送?|交验|下列|以下)[^。；;]{0,24}?(材料|资料|证明|证件|文件|执照|报告|申请书|证书|凭证)")
_RATIO = re.compile(r"(比例|比重)$")  # not 利率/费率: a percentage about something else is no rate
_RATE = re.compile(r"(利率|费率|税率)$")
_RATE_STATED = re.compile(r"\d\s*[%％‰]|[百千万]分之|个百分点|基点|倍|厘")
_PERCENT = re.compile(r"\d\s*[%％‰]|[百千万]分之|个百分点|[一二三四五六七八九十]成")
# A limit is stated as the amount it caps: 「单笔金额不应超过1000元人民币」 answers 「单笔限额是多少」.
_LIMIT = re.compile(r"(限额|上限|封顶额?|最高额)$")
# an amount asked of something named (「跨境汇款，达到多少金额」) is stated in money: 「…20万元以上…的跨境款项划转」
_SUM = re.compile(r"(金额|数额)$")
_IN_MONEY = re.compile(r"[\d一二两三四五六七八九十百千.]+\s*[万亿]?美?元")
_CAPPED = re.compile(r"(超过|高于|超出|最高|最多|封顶)[^，,。；;]{0,6}?[\d一二两三四五六七八九十百千万.]+\s*[万亿]?元")
# A length of time is stated as one: 「参保1年以上」 answers 「参保年限放宽到几年」.
_DURATION = re.compile(r"(年限|期限|时限)$")
# (「提前六十日前」 is a period; 「12月31日前」 a date, 「上一年度」 neither)
# (「不得少于十五日」: days after a bound are a period too)
_PERIOD = re.compile(r"(?<![上下本当同月\d一二两三四五六七八九十百])[\d一二两三四五六七八九十百]+\s*"
                     r"(个月|年(?!度)|个?工作日|天|日(以|之)?[内前]|小时)"
                     r"|(?:少于|多于|超过|低于|满|为期)[\d一二两三四五六七八九十百]+\s*日")
# 「多少天」「多少个工作日」: the unit after the ask says a length of time is counted
_SPAN_UNIT = re.compile(r"个?(天|日|月|年|小时|工作日|周|星期)")
# 「各派多少名协商代表」「最多几个人」: the unit after the ask says people are counted, stated as 「三至十五人」
_PERSON_UNIT = re.compile(r"[名位]|个?人(?!民)")
_HEADCOUNT = re.compile(r"(人数|名额)$")
_PERSONS = re.compile(r"[\d一二两三四五六七八九十百千万亿.]+\s*[名位人](?!民)")  # (「五万人次」 too)
_TIMED = re.compile(r"(期|限|时间|日)$")
# 「多长时间内办完」「要多久」 ask for a length of time
ASKS_SPAN = re.compile(r"多长时间|多久|几天|几日|多少天|多少日|几个月|多少个?工作日|多少年|几年(?!几月)")
_CLAUSE_BREAK = re.compile(r"[，,；;：:。]")
# 「备案的门槛」 asks for a figure stated with its bound.
_THRESHOLD = re.compile(r"门槛|起点")
_THRESHOLD_WORDS = ("以上", "达到", "超过", "不低于", "不少于", "起")
_IN_YUAN = re.compile(r"[万亿]?元")
# the threshold a case meets: 「5万元以上」「超过5万元」 from below, 「300人以下」「不足50万元」 from above, 「一至四年」
_AT_LEAST_AFTER = re.compile(r"(?:（含）|\(含\))?(?:及|或者?)?以上")
_AT_MOST_AFTER = re.compile(r"(?:（含）|\(含\))?(?:及|或者?)?(?:以下|以内)")
_AT_MOST_BEFORE = re.compile(r"(?:不超过|不高于)$")
_AT_LEAST_BEFORE = re.compile(r"(?:达到|不低于|不少于|满)$")
_BELOW = re.compile(r"(?<!不)(?:低于|少于)$|(?:不满|未满|不足|未达到)$")
_ABOVE = re.compile(r"(?<!不)(?:超过|高于|多于)$")
# 「两家投」 counts what 「投标人少于三个的」 does
_COUNTED = frozenset({"个", "家", "名", "人", "户", "位", "所"})
_RANGE_TO = re.compile(r"(?:至|到|-|－|～|~)")
_SANCTION = re.compile(r"罚款|罚金|处罚")
_MONEY = ("元", "美元")
_NUMERAL = re.compile(r"[\d.一二两三四五六七八九十百千万亿]+")
# Words that qualify the figure asked for rather than say whose it is (「上限」, 「现在」, 「分别按多少比例」).
_QUALIFIERS = frozenset({"上限", "下限", "最高", "最低", "最多", "最少", "至少", "起码", "最起码", "最长", "最短", "具体",
                         "大概", "一般", "大约", "现在", "目前", "标准", "要求", "目标", "百分之", "能贷", "最多能", "多久", "分别"})
# 「罚多少」「贷多少」「补多少」: the verb before the ask says what is measured.
_ASKED_BY_VERB = {"罚": ("罚款", "罚金"), "贷": ("贷款", "额度"), "补": ("补贴", "补助"), "赔": ("赔偿", "赔付")}
# What a figure can measure (费率, 注册资本, 押金, 期限…, and 「工作日内」 as jieba keeps it whole); 「计划搞几个」
# 「最多能贷多少」 name no such noun, and then any figure in the quote will do.
_RUN = 4  # characters of qualifiers (中央补助) between 「多少」 and the noun it counts
_MEASURE = re.compile(r"(率|比例|比重|权重|额|额度|资金|资本|资本金|押金|保证金|租金|违约金|定金|费|费用|利息|基点|期限|有效期|年限|人数|户数|数量|规模|倍数|补贴|报酬|"
                      r"贴息|价格|面积|成本|收入|余额|工作日|时限|奖励|奖金|罚款|罚金|参数|取值|系数|因子)(以?内)?$")


def unanswered(question: str, sentences: list[str], topic: list[str],
               synonyms: dict[str, tuple[str, ...]] | None = None, named: bool = False) -> bool:
    """The question asks for a figure or a procedure and the quoted wording does not state one.

    A figure or a procedure the policy does not give is how most near-domain questions fall
    outside it; quoting sentences without one would read as an answer without being one. In a document the
    question ``named``, the bound it asks for stated as such is its figure, though the sentence shares no other word
    with it: 「北京城市基础设施特许经营的期限最长能签多少年？到期想续…」 is answered by 「…但最长不得超过三十年」.
    Each question of a message asking a figure wants it stated: 「…期限最长多少年？能贷到评估值的几成？」 is not
    answered by the 期限 alone.
    """
    for asked in (question, *further_asks(question)):
        states = figure_asked(asked, topic, synonyms)
        bound = bound_asked(asked, limits=False) if named else None
        if states is not None and not any(states(s) or (bound is not None and bound(s)) for s in sentences):
            return True
    states = procedure_asked(question, synonyms)
    return states is not None and not any(map(states, sentences))


def permission_asked(question: str, topic: list[str],
                     synonyms: dict[str, tuple[str, ...]] | None = None) -> Callable[[str], bool] | None:
    """Whether a sentence says that what the question would do is allowed or forbidden; None when it asks no such
    thing. What is done is the last word it names before asking (担保 in 「…拿集体的厂房给民企的贷款做担保，这样
    行得通吗？」, answered by 「…不得以本集体资产为其他单位和个人的债务提供担保」)."""
    asks = _ASKS_PERMISSION.search(question)
    if not asks:
        return None
    # 「…，这样行得通吗」: a clause of nothing but the ask points back at the one before
    clause = _clause_start(question, asks.start())
    end = clause if asks.start() - clause <= _POINTING_BACK else asks.start()
    done = _last_before(question, [w for w in topic if not _ASKING.match(w) and w not in _QUALIFIERS], end)
    if not done:
        return None
    return lambda sentence: mentions(sentence, done, synonyms) and bool(_PERMISSION_STATED.search(sentence))


def procedure_asked(question: str, synonyms: dict[str, tuple[str, ...]] | None = None) -> Callable[[str], bool] | None:
    """Whether a sentence states a procedure (材料, 程序, 工作日…, opening hours, or the system or bank it goes through);
    None when the question asks for none. What is applied for may be named by the policy's word (低保 as 最低生活保障)."""
    stated = next((said for asks, said in _ASKED_AND_SAID if asks.search(question)), None)
    if stated is not None:
        return lambda sentence: bool(stated.search(sentence))
    if _ASKS_MATERIALS.search(question):
        applied = _APPLIED_FOR.search(question)
        what = applied.group("what") if applied else ""
        return partial(_states_materials, heads=(what[-2:], *(synonyms or {}).get(what, ())))
    return (lambda sentence: bool(_STATES_PROCEDURE.search(sentence))) if _ASKS_PROCEDURE.search(question) else None


def _states_materials(sentence: str, heads: tuple[str, ...] = ("",)) -> bool:
    """``heads``: the last two characters of what is applied for (贷款 of 「申请经营贷款」), or the policy's word for
    it, which the sentence names,
    unless it is a lead-in naming no other application (「申请人应当提交下列材料：」): 「…凭相关证明文件…申请市场名称登记」
    and 「…应当持有…出具的书面证明」 state other materials."""
    if not any("虚假" not in m.group() for m in _STATES_MATERIALS.finditer(sentence)):
        return False
    return any(h in sentence for h in heads) or sentence.endswith(("：", ":")) and _APPLIED_FOR.search(sentence) is None


def figure_asked(question: str, topic: list[str], synonyms: dict[str, tuple[str, ...]] | None = None,
                 named: bool = False) -> Callable[[str], bool] | None:
    """Whether a sentence states the figure the question asks for; None when it asks for none
    (or, with ``named``, when it does not say what the figure measures).

    A figure counts when a clause of the sentence states a number together with what the
    question measures (the topic word nearest before 「多少」, 担保费率 in 「担保费率上限是多少」)
    and the sentence shares another of the question's words: a number about something else
    (a year, another ratio, another body's capital) is no answer.
    """
    # 「备案的门槛是怎么定的」: a figure with 以上/达到… is the threshold. Only to choose sentences
    # (``named``): 「门槛有没有放低」 is answered without one, so no refusal may turn on it.
    if named and _THRESHOLD.search(question):
        others = [w for w in topic if w not in _QUALIFIERS and not _THRESHOLD.search(w)]
        return partial(_states_figure, measured=_THRESHOLD_WORDS, others=others)
    asks = next((m for m in _ASKS_FIGURE.finditer(question)
                 if not _WHEN.match(question, m.end()) and not _DONE_TO.search(question, 0, m.start())
                 and not _LIMITED.match(question, m.end())), None)
    if not asks:
        # Only to choose sentences (``named``): 「多久能办下来」 may be answered by a procedure with no period.
        unqualified = [w for w in topic if w not in _QUALIFIERS]
        if named and ASKS_SPAN.search(question):
            return partial(_states_figure, measured=("时限",), others=unqualified)
        # 「统计表每月什么时候报？」 is answered by 「应于每月初10日内将上月情况报送…」, a time the text sets.
        if named and _ASKS_WHEN.search(question):
            return partial(_states_when, others=unqualified)
        return None
    # 「多少个工作日」 names what it counts after the ask, and then that is what is counted: in
    # 「资金池业务，结算银行可以收多少手续费」 it is the 手续费, not the 资金 before
    # (「多少？查余额…」 has asked already: the 余额 is the next question's)
    # (「多少中央补助资金」: the noun the words after the ask run on to)
    after = [w for w in topic if _MEASURE.search(w) and asks.end() <= question.find(w) <= asks.end() + _RUN
             and not re.search(r"\W", question[asks.end():question.find(w)])]
    measured = next(iter(after), None) or _last_before(question, [w for w in topic if _MEASURE.search(w)], asks.start())
    verb = question[asks.start() - 1:asks.start()]
    # 「…金额加起来两万多，这种会被罚多少钱？」: the 金额 of an earlier clause is the case told; an ask that says what
    # it wants (罚多少, 多少钱) is of that
    if (not after and measured and question.rfind(measured, 0, asks.start()) < _clause_start(question, asks.start())
            and (verb in _ASKED_BY_VERB or question.startswith("钱", asks.end()))):
        measured = None
    # 「多少天内作出处理决定」 counts days whatever other noun came before (乱收费 is what was complained of);
    # a noun of time (「有效期是几年」) still says which length is asked
    spans = _SPAN_UNIT.match(question, asks.end()) or _SPAN_UNIT.fullmatch(asks.group(), 1)
    # 「几天内补正大额…报告」 is a time limit whatever noun follows: a span closed by 内 counts no 大额
    limit = spans is not None and _WITHIN_AFTER.match(question, spans.end())
    if (limit or not after and spans) and not (measured and _TIMED.search(measured)):
        measured = "时限"
    elif not after and not measured and _PERSON_UNIT.match(question, asks.end()):
        measured = "人数"
    # the policy's word counts as the question's (违规 is 违法 in 「违法所得不足五十万元的，处…罚款」)
    others = [t for w in topic if w != measured and w not in _QUALIFIERS for t in (w, *(synonyms or {}).get(w, ()))]
    # …and the policy's word for a phrase of the question that is no topic word (欺诈 for 「被…骗了」)
    # (only beside the words it already wants: a question naming nothing else wants nothing else)
    others += [t for t in expand(question, synonyms or {}) if others and t not in others and t not in (measured or "")]
    if not measured and question.startswith("钱", asks.end()):  # 「一年最多能领多少钱」: an amount, stated in 元
        return partial(_states_figure, measured=("元",), others=others)
    # 「保证金…不超过估算价的百分之几」「能贷到评估值的几成」: a percentage; 「合同估算价达到多少万元以上」: an amount. Either is of the
    # word before the ask, so a 罚款 of 五千元 or a share of the 合同金额 is no answer.
    ratio, money = asks.group().endswith(("分之几", "几成")), not measured and _IN_YUAN.match(question, asks.end())
    if ratio or money:
        of = _last_before(question, [w for w in topic if w not in _QUALIFIERS and w not in _THRESHOLD_WORDS],
                          asks.start()) or measured
        of_it = [of, *(synonyms or {}).get(of, ())] if of else []
        if ratio:
            return partial(_states_figure, measured=("比例",), others=others, qualifier=tuple(of_it))
        return partial(_states_figure, measured=("元",), others=of_it or others)
    if not measured and question.endswith("百分之", 0, asks.start()):  # 「衰减到百分之多少」: a percentage
        return partial(_states_figure, measured=("比例",), others=others)
    if not measured and verb in _ASKED_BY_VERB:  # 「机构本身要罚多少」 asks for a 罚款
        others = [w for w in others if not w.endswith(verb)]  # jieba's 「要罚」 is the asking, not a subject
        return partial(_states_figure, measured=_ASKED_BY_VERB[verb], others=others)
    if named and not measured:
        return None
    names = (measured, *(synonyms or {}).get(measured, ())) if measured else ()
    # 「投资额」 is stated as 「总投资二百万元以下」, 「有效期」 as 「五年内有效」
    if measured and len(measured) > 2 and measured.endswith(("额", "期")):
        names += (measured[:-1],)
    if measured and (within := _WITHIN.search(measured)):  # 「多少个工作日内」 is met by 「不得超过八个工作日」
        names += (measured[:within.start()],)
    # what the figure is of: 贴息 in 「财政贴息比例是多少」, 补偿 in 「补偿具体是多少比例」
    at = question.rfind(measured) if measured else -1
    # 「多大比例的股份」: the ratio is of the word it qualifies
    of = next((w for w in topic if at >= 0 and w not in _QUALIFIERS
               and question.startswith("的" + w, at + len(measured))), None)
    if not of and at > asks.start():  # (「达到多少金额」 asks the amount itself: 达到 is how a threshold is said)
        of = _last_before(question, [w for w in topic if w not in _QUALIFIERS and w not in _THRESHOLD_WORDS],
                          asks.start())
    elif not of:
        of = next((w for w in topic if w != measured and w not in _QUALIFIERS and at > 0 and question[:at].endswith(w)),
                  None)
    qualifier = (of, *(synonyms or {}).get(of, ())) if of else ()
    return partial(_states_figure, measured=names, others=others, qualifier=qualifier, rule=bool(asks.group("rule") or asks.group("standard")),
                   agreed=not _BOUND.search(question))


def _clause_start(question: str, end: int) -> int:
    """Where the clause holding position ``end`` of the question begins."""
    return max(question.rfind(p, 0, end) for p in "，,。；;") + 1


def _last_before(question: str, words: list[str], end: int) -> str | None:
    """Of ``words`` written before ``end``, the one the question writes last: what the ask there is of."""
    return max((w for w in words if 0 <= question.find(w) < end), key=question.rfind, default=None)


def wording(topic: list[str]) -> list[str]:
    """The words of ``topic`` that say what a case is about, not its figures (「8」「万」「三年」)."""
    return [w for w in topic if not _NUMERAL.fullmatch(w) and not quantities(w) and w not in _QUALIFIERS]


def figure_about(question: str, topic: list[str],
                 synonyms: dict[str, tuple[str, ...]] | None = None) -> Callable[[str], bool] | None:
    """:func:`figure_asked`, met only by a sentence that also holds one of the question's own words or the
    policy's word for its phrase: what makes a figure of a lower-ranked article worth quoting
    (「被商家以次充好骗了，最多能主张多少」 is answered by 「…有欺诈行为的，…价款…的三倍」)."""
    states = figure_asked(question, topic, synonyms)
    if states is None:
        return None
    words = [w for w in topic if w not in _QUALIFIERS] + expand(question, synonyms or {})
    return lambda sentence: states(sentence) and any(mentions(sentence, w, synonyms) for w in words)


# 「最长能做多少年」 asks for the bound itself: 「最长不超过30年」 states it, 「…不得超过…5年以及…最长贷款期限」 another.
# An upper bound is also said as what may not be exceeded (「不得超过两人」), a lower one as what may not be gone under.
_UPPER_BOUNDS = ("最长", "最高", "最多", "上限")
_LOWER_BOUNDS = ("最短", "最低", "最少", "下限")
_UPPER_STATED = ("不得超过", "不超过", "不得高于", "不高于", "不得多于", "不多于", "不应超过")
_LOWER_STATED = ("不得低于", "不低于", "不得少于", "不少于", "不应低于")
_AMOUNT = (r"[\d.]+\s*[%％‰]|[\d一二两三四五六七八九十百千万.]+\s*(?:个月|个?工作日|年|月|天|日|小时|周岁|岁|倍|万|亿|元|成|人|家|次)"
           r"|[百千万]?分之")
_ASKS_COUNT = re.compile(r"(?<![第哪])几[个名位家人项次]")  # 「最多能占几个席位」: a count, whatever it counts
_BOUND_REACH = 6  # characters between the bound's word and its figure (「最长不超过30年」)


def bound_asked(question: str, limits: bool = True) -> Callable[[str], bool] | None:
    """Whether a sentence states the figure as the bound the question asks for (its 最长, 上限… or, with ``limits``,
    不得超过… then the figure); None when the question asks for no figure or no bound.

    Without ``limits`` the bound is the question's own word: 「不得超过其净资产的八倍」 may cap anything, so it tells
    which sentence of an answer to quote, but is no answer to 「管理费最高能收多少」 by itself."""
    said = [b for bounds, stated in ((_UPPER_BOUNDS, _UPPER_STATED), (_LOWER_BOUNDS, _LOWER_STATED))
            if any(b in question for b in bounds) for b in (*bounds, *(stated if limits else ()))]
    if not said or not (_ASKS_FIGURE.search(question) or ASKS_SPAN.search(question) or _ASKS_COUNT.search(question)):
        return None
    stated = re.compile(rf"(?:{'|'.join(said)})[^，,。；;：:（(]{{0,{_BOUND_REACH}}}?(?:{_AMOUNT})")
    return lambda sentence: bool(stated.search(sentence))


def figures_given(question: str) -> Callable[[str], bool] | None:
    """Whether a sentence holds a figure the question itself gives; None when it gives none.

    「违法所得不到五十万的，罚多少」 turns on the clause 「违法所得不足50万元的，处…罚款」, not on the
    article's first fine. A year (「2021年的措施」) names a document rather than a case, and a lone
    numeral word (一般, 统一) is no figure.
    """
    given = _case_figures(question)
    if not given:
        return None
    return lambda sentence: any(k.value == q.value and (not q.unit or not k.unit or k.unit == q.unit)
                                for k in quantities(sentence) for q in given)


def case_met(question: str) -> Callable[[str], int] | None:
    """How closely a sentence's threshold takes in the case the question gives (a client drawing 「6万」 in cash):
    2 when a range holds its figure (「缴费时间一至四年的」 for 「交了三年」), 1 when an open threshold does
    (「每笔超过5万元的」 for 「打8万」), else 0; None when the question gives no figure.

    A sanction's range (「处一万元以上十万元以下的罚款」) is what follows from a case, not a case, and a bare amount
    (「8万」) is money.
    """
    given = _case_figures(question)
    if not given:
        return None
    return lambda sentence: max((_takes_in(clause, q) for clause in _CLAUSE_BREAK.split(sentence)
                                 if not _SANCTION.search(clause) for q in given), default=0)


def _takes_in(clause: str, given: Quantity) -> int:
    stated, at = quantities(clause), 0
    for k, following in zip(stated, [*stated[1:], None]):
        start = clause.find(k.text, at)
        at = start + len(k.text)
        after, before = clause[at:], clause[max(0, start - 4):start]
        ranged = following is not None and _RANGE_TO.match(after)
        unit = k.unit or (following.unit if ranged else "")
        if unit != given.unit and not (not given.unit and unit in _MONEY) and not {unit, given.unit} <= _COUNTED:
            continue
        if ranged and k.value <= given.value <= following.value:
            return 2
        # 「少于三个」 leaves three out, 「三个以下」 takes it in
        if (below := _BELOW.search(before)) or _AT_MOST_AFTER.match(after) or _AT_MOST_BEFORE.search(before):
            if given.value < k.value or (given.value == k.value and not below):
                return 1
        elif (above := _ABOVE.search(before)) or _AT_LEAST_AFTER.match(after) or _AT_LEAST_BEFORE.search(before):
            if given.value > k.value or (given.value == k.value and not above):
                return 1
    return 0


def _case_figures(question: str) -> list[Quantity]:
    """The figures the question gives as its case (not an ordinal, a year or a lone numeral word)."""
    return [q for q in quantities(question) if not q.ordinal and _given(q)]


def _given(q: Quantity) -> bool:
    if q.unit == "年" and q.value >= 1900:
        return False
    if q.numeral == "一" and q.unit in _COUNTED:  # 「设立一家融资担保公司」: an article, not a count
        return False
    return not q.chinese or bool(q.unit) or q.value >= 10


def _states_figure(sentence: str, measured: tuple[str, ...], others: list[str],
                   qualifier: tuple[str, ...] = (), rule: bool = False, agreed: bool = False) -> bool:
    """A clause of ``sentence`` gives a number for ``measured``, and the sentence is about the rest of
    the question too (「注册资本不得低于五千万元」 answers for 民间资金管理企业, not for a 基金).

    A percentage stands for a ratio, and 「1年」 for a 年限, only in a sentence that names what they are
    of: 「并处被骗取资金百分之二十以上百分之五十以下罚款」 is no 「财政贴息比例」."""
    parts = _CLAUSE_BREAK.split(sentence)
    # 「…单户授信额度上限，由100万元提高到500万元」: a clause naming what is measured may leave the figure
    # to the next one, so each figured clause is read together with the clause before it; and an item
    # with the lead-in that introduces it in the same sentence (「…约定奖励和报酬：（一）…不低于百分之七十」).
    clauses = [lead + prev + c for lead, prev, c in zip(_leads(sentence, parts), ["", *parts], parts)
               if _FIGURE.search(_YEAR.sub("", c))]
    if not measured:  # …or a bound computed from other amounts (「抵押价值不得超出…地价与…残值之和」)
        return bool(clauses) or bool(_COMPUTED_BOUND.search(sentence))
    # A ratio is stated as a percentage as often as by name (「按照管理费收入的10%计提」).
    # A rate is stated as a percentage (or a multiple, or basis points) of something: 「期限在一年以下…按…法定贷款利率
    # 计息」 names the 利率 beside a term, not its level. An amount is a number of 元: a table's 「单位：万元」 beside a 「附1」 states none.
    literal = any(m in c and (not _RATE.search(m) or _RATE_STATED.search(c)) and (m != "元" or _IN_MONEY.search(c))
                  for c in clauses for m in measured)
    by_form = any((_RATIO.search(m) and _PERCENT.search(c)) or (_DURATION.search(m) and _PERIOD.search(_YEAR.sub("", c)))
                  or (_LIMIT.search(m) and _CAPPED.search(c)) or (_SUM.search(m) and qualifier and _IN_MONEY.search(c))
                  or (_HEADCOUNT.search(m) and _PERSONS.search(c))
                  for c in clauses for m in measured)
    # 「出资比例」 asked is not met by 「净收入…的比例」: a ratio named literally is still of something.
    # 「…没有约定数额的，可以按照下列比例确定：（一）…不低于…净收入的20%」: items a lead-in announces as the ratios
    # (amounts…) asked about are of what its article sets, though they no longer name it
    of_it = not qualifier or any(q in sentence for q in qualifier) or any(
        m in lead for lead in _leads(sentence, parts) if lead for m in measured)
    ratio_of_it = of_it or not any(_RATIO.search(m) for m in measured)
    named = (literal and ratio_of_it) or (by_form and of_it)
    if rule and not named:  # a clause that says how the figure is set, with no number in it
        named = of_it and any(m in c and _SETS_FIGURE.search(c) for c in parts for m in measured)
    if agreed and not named:  # …or that leaves it to the parties
        named = ratio_of_it and any(m in c and _AGREED.search(c) for c in parts for m in measured)
    return named and (not others or any(w in sentence for w in others))


def _leads(sentence: str, parts: list[str]) -> list[str]:
    """For each clause of ``sentence``, the last clause before it that ends in a colon (a lead-in), or ""."""
    leads, lead = [], ""
    for part, mark in zip(parts, [*_CLAUSE_BREAK.findall(sentence), ""]):
        leads.append(lead)
        if mark in ("：", ":"):
            lead = part
    return leads


def _states_when(sentence: str, others: list[str]) -> bool:
    """The sentence sets a time (「每月初10日内」, 「之日起」) and is about the rest of the question too."""
    return bool(_WHEN_STATED.search(sentence)) and (not others or any(w in sentence for w in others))


def _save_atomic(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
    with os.fdopen(fd, "wb") as f:
        np.save(f, array)
    os.replace(tmp, path)
