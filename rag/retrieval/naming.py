"""Which documents a question names: by 文号, title, short title, place, issuer or type.

Staff name a document the way they heard it: 「国办发〔2019〕6号」, 「162号文」, 「资管新规」,
「湖州条例」, 「那个国办担保基金的文件」. Left to the retriever, the title words in such a
question match whichever notice header shares them, so the named document is never
searched. Everything here is read from the documents' identity, nothing is listed per
document:

- a 文号 matches by its sequence number, with its year or the issuer abbreviation before it
  (「国办6号文」 is 国办发〔2019〕6号; 「国务院令第722号」 the 令 whose number ends 第722号);
- a full title (with or without 《》) names its document;
- otherwise a document is named when the question refers to *a* document (its type word
  条例/意见/措施…, 新规, a demonstrative as in 「那个…的文件」) and carries enough of it: title words weighted by how few
  titles share them (a word only one title has counts 1), its place (湖州, 福建), or its 文号's
  issuer abbreviation (国办, 银发). A question about 「各个文件」 names none by title words:
  it asks across the library.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from rag.corpus.identity import lexicon
from rag.retrieval.lexical import ChineseTokenizer
from rag.types import DocumentInfo

_NUMBER = re.compile(r"(?P<prefix>[\u4e00-\u9fff]{0,8}?)\s*[〔\[［(（]?\s*(?P<year>(?:19|20)\d{2})?\s*[〕\]］)）]?\s*"
                     r"第?\s*(?P<seq>\d{1,4})\s*号(?P<wen>文(?!件))?")
_PLACE = re.compile(r"^([\u4e00-\u9fff]{2,3}?)(?:省|市|自治区|特别行政区)")
_TYPES = ("实施意见", "指导意见", "意见", "条例", "措施", "通知", "办法", "规定", "方案", "决定", "细则", "指引",
          "规划", "纲要", "公告", "批复", "函", "法")  # 「法」 last: a law (中小企业促进法), once no 办法 fits
# A demonstrative points at one document (「那个…的文件」); a bare 「文件里」 may mean any of them.
_POINTERS = ("这份", "那份", "这个", "那个", "这部", "那部", "该文件", "该文")
_POINTED = re.compile(rf"^.{{0,20}}?(文件|{'|'.join(t for t in _TYPES if t != '法')})")
_COUNTED = re.compile(rf"(两|二|三|四|五|几)(?:部|份|个)(?=[^，,。？?]{{0,12}}?(?:文件|{'|'.join(_TYPES)}))")
_COUNTS = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5}
_NICKNAMES = ("新规",)  # said of one document, always after its short title (资管新规)
# 「国家和广东对农业保险…」: the national documents are asked of alongside the place's own (not 「国家级开发区」)
_NATIONAL_TOO = re.compile(r"(国家|中央)(层面)?(和|与|及|以及|、|跟)|(和|与|及|以及|、|跟)(国家|中央)(?!级)")
_ACROSS = re.compile(r"各个?文件|哪些文件|这些文件|几个文件|库里|所有文件|各地|分别有哪些文件")
# 「天津市对…有什么规定」, 「四川省的…条例」, 「…的地方性规定」: the place's own rule is asked for, which no national
# document is either (「江苏的企业…」 asks of firms there, which national rules may cover).
# (「广东企业对香港签发的支票」: the firms there do something, the place rules on nothing)
_OWN_RULE = re.compile(r"^(?:省|市|自治区)?(?:(?:在|就|针对)?(?:(?!企业|公司|银行|机构|个人|客户)[^，。？]){0,3}?(?:对|出台|制定|发布)"
                       r"|的[^，。？]{0,16}?(?:条例|办法|规定|细则))")
_LOCAL_RULE = re.compile(r"地方性?(?:法规|规定|政策)|当地(?:的)?(?:规定|政策)")
# 台湾, 香港 and 澳门 name the investors and firms a policy is about (台湾同胞, 香港公司), not where a rule applies.
_NOT_A_JURISDICTION = frozenset({"台湾", "香港", "澳门"})
_TITLE_FRAME = re.compile(r"^.*?关于|^本[市省区县]|(的)?(通知|函)$")
_QUALIFIED = re.compile(r"[（(][^（）()]{1,12}[)）]$")  # 「…评价方案（试行）」, 「…条例（2019年修订）」
TITLE_WEIGHT = 0.9  # about one word that no other title has
RELATIVE = 0.5  # a described document also named must score at least this share of the best one
_CLAUSE = re.compile(r"[^，,。；;？?！!]+")
_FRAMED = re.compile(r"[^，,。；;？?！!]{0,16}关于$")
_CORE = 6  # characters of a framed title's subject that name it said alone (shorter, 「农业保险」 is a topic)
_SPAN = 24  # characters a description may run over; longer, its words are part of the question too
# Words that frame a title rather than say what it is about.
_FRAME_WORDS = frozenset({"关于", "印发", "进一步", "若干", "有关", "工作", "实施", "指导", "加快", "推进", "支持",
                          "做好", "当前", "今后", "一个", "时期", "发展", "切实", "有效", "更好"})


@dataclass(frozen=True)
class Naming:
    """The documents a question names (ids, in library order) and the question without its 文号."""

    documents: tuple[str, ...]
    text: str
    # The words that named them by place alone (山东, 国家): 「山东这边…」 confines the search to 山东's documents
    # and compares none.
    placed: tuple[str, ...] = ()
    # 「江苏省对电商平台…怎么规定的」: provinces the question names that no document is of, and the documents of
    # other places, which say nothing of them (the national ones still may).
    elsewhere: tuple[str, ...] = ()
    foreign: tuple[str, ...] = ()
    # 「上海产业园区里…用地占比…」: the place's documents, when its title words chose among them (用地 of 上海's
    # 工业用地 办法), for the question that the chosen ones leave unanswered (the 保障性租赁住房 意见 states it).
    wider: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.documents)


@dataclass(frozen=True)
class _Number:
    prefix: str
    year: str | None
    seq: str


@dataclass(frozen=True)
class _Entry:
    id: str
    title: str
    name: str  # the title without a closing （试行）: staff do not say it
    core: str  # the title without its issuers and its 「关于…的通知」 frame
    numbers: tuple[_Number, ...]  # its 文号, then the 令 numbers its header names (a revision's 第802号 of 第728号)
    parts: frozenset[str]  # title words, the parts that start or end one (融资担保 → 担保, not 资担), abbreviations
    places: tuple[str, ...]
    local: bool  # the place is the title's own (湖州市…条例), not only its issuer's
    abbreviation: str | None  # 国办, 银发, 沪府办: the 文号 prefix staff say for the issuer
    national: bool  # issued by a national body (国务院, a ministry, 人民银行)
    annexes: tuple[str, ...] = ()  # the titles of rules it attaches (「粤港港币支票联合结算业务外汇管理暂行办法」)


class DocumentNames:
    """Matches questions against the identities of one library's documents."""

    def __init__(self, documents: Sequence[DocumentInfo], tokenizer: ChineseTokenizer,
                 annexes: Mapping[str, Collection[str]] | None = None):
        """``annexes``: document id → the titles of the rules it attaches, each of which names it said whole."""
        self.tokenizer = tokenizer
        self.entries = [replace(self._entry(d), annexes=tuple(a for a in (annexes or {}).get(d.id, ()) if len(a) >= _CORE))
                        for d in documents]
        self._top = math.log((len(self.entries) + 1) / 1.5) or 1.0
        self._shared = Counter(p for e in self.entries for p in e.parts)
        self._by_id = {e.id: e for e in self.entries}
        # the framed titles whose subject is long enough, and no other title's, to name them said alone
        self._own_cores = {e.id for e in self.entries if e.core != e.name and len(e.core) >= _CORE
                           and sum(e.core in f.core for f in self.entries) == 1}
        # …and the names long enough without their type word, and in no other name, to name them so
        stems = {e.id: next((e.name[:-len(t)] for t in _TYPES if e.name.endswith(t)), "") for e in self.entries}
        self._own_stems = {i: stem for i, stem in stems.items() if len(stem) >= _CORE
                           and sum(stem in f.name for f in self.entries) == 1}
        # provinces no document's title or place is of: a question about one of them is about no document here
        self._uncovered = tuple(p.short for p in lexicon.provinces() if p.short not in _NOT_A_JURISDICTION
                                and not any(p.short in e.title or p.short in e.places for e in self.entries))

    def weight(self, word: str) -> float:
        """1 for a word only one title contains, less the more titles share it (about ¼ for half of them)."""
        return max(math.log((len(self.entries) + 1) / (self._shared[word] + 0.5)), 0.0) / self._top

    def _entry(self, d: DocumentInfo) -> _Entry:
        core = _TITLE_FRAME.sub("", d.title)
        for issuer in d.issuers:
            core = core.replace(issuer, "")
        ordered = self.tokenizer.words(core)
        parts = frozenset(self.tokenizer.keywords(core))
        number = _parse_number(d.number) if d.number else None
        history = (_parse_number(m.group(0)) for m in _NUMBER.finditer(d.header or "") if "令" in m.group("prefix"))
        numbers = tuple(dict.fromkeys(n for n in (number, *history) if n is not None))
        places = tuple(dict.fromkeys(m.group(1) for s in (d.title, d.notice_title or "", *d.issuers)
                                     if (m := _PLACE.match(s))))
        # The title's own place wins: 温州's 条例 is approved by 浙江省's congress, yet 「浙江的条例」 is not it.
        own_match = _PLACE.match(d.title) or _PLACE.match(d.notice_title or "")
        own = own_match.group(1) if own_match else self.tokenizer.leading_place(d.title)
        if own:
            places = (own,)
        abbreviation = number.prefix.removesuffix("发") if number and number.prefix.endswith("发") else None
        return _Entry(d.id, d.title, _QUALIFIED.sub("", d.title) or d.title, core, numbers, parts | _abbreviations(ordered, parts), places, own is not None,
                      abbreviation or None, d.region == "national")

    def find(self, question: str) -> Naming:
        explicit: set[str] = set()
        text = question
        # What names a document outright is blanked (offsets kept) before documents are described: in
        # 「青岛市金融发展促进条例对…融资性担保公司…」 the 条例 is the 青岛 title's, not a type word for 融资担保条例.
        named_at: list[tuple[int, int]] = []
        for m in _NUMBER.finditer(question):
            asked = _Number(m.group("prefix"), m.group("year"), m.group("seq"))
            hits = {e.id for e in self.entries if any(_same_number(n, asked, m.group("wen")) for n in e.numbers)}
            if hits:
                explicit |= hits
                # 「对比一下国办6号文」 keeps 「对比一下」: only the issuer abbreviation goes with the number.
                kept = next((asked.prefix[:-k] for k in range(len(asked.prefix), 1, -1)
                             if any(asked.prefix[-k:] in n.prefix for e in self.entries if e.id in hits
                                    for n in e.numbers)), asked.prefix)
                text = text.replace(m.group(0), kept, 1)
                named_at.append((m.start() + len(kept), m.end()))  # 「湖州条例和国办6号文」: 湖州条例 stays
        for e in self.entries:
            said_as = (e.name if e.name in question else next((a for a in e.annexes if a in question), None)
                       or self._core_said(e, question)
                       or (stem if (stem := self._own_stems.get(e.id, "")) and stem in question else None))
            if said_as:
                explicit.add(e.id)
                named_at += [(m.start(), m.end()) for m in re.finditer(re.escape(said_as), question)]
                for said in dict.fromkeys((e.title, e.name, said_as)):  # the whole title first, then without its （试行）
                    text = text.replace(f"《{said}》", "").replace(said, "")
        rest = question
        for a, b in named_at:
            rest = rest[:a] + "，" * (b - a) + rest[b:]
        words = self.tokenizer.words(rest)
        scores = {} if _ACROSS.search(question) else {e.id: self._described(e, rest, words) for e in self.entries}
        best, (start, end) = max(scores.values(), key=lambda s: s[0], default=(0.0, (0, 0)))
        # 「那个国办担保基金的文件」 describes one document well and another by one shared word; 「非法集资条例和温州
        # 民间融资条例」 names two, each by words of its own before its type word.
        described = {i for i, (v, (a, b)) in scores.items()
                     if v > 0 and (v >= RELATIVE * best or (a < b and (b <= start or a >= end)))}
        # 「北京外商投资条例」 names 北京's 外商投资 条例, not every 北京 条例: a document the question names by
        # nothing but a place that a better-described one shares is not meant.
        entry = self._by_id
        # (a title word said after its type word is asked, not named: 保障 of 「…条例…给了哪些保障措施」)
        said = {i: _named_by(entry[i], rest, words) for i in described}
        described -= {i for i in described if not said[i] and any(
            (scores[j][0] > scores[i][0] or said[j]) and set(entry[i].places) & set(entry[j].places)
            for j in described if j != i)}
        # The words that name a document say nothing about what is asked of it: left in, 「优化营商环境条例对…」
        # would be answered with the articles that repeat 「优化营商环境」.
        for i in sorted(described, key=lambda i: -scores[i][1][0]):
            start, end = scores[i][1]
            text = text.replace(question[start:end], "", 1)
        places: list[str] = []
        wider: tuple[str, ...] = ()
        elsewhere = tuple(p for p in self._uncovered if p in question)
        if not explicit and not described:
            # 「在浙江，民间借贷…」: a place alone, when nothing else is named, means that place's own documents.
            here = [e for e in self.entries if e.local and any(p in question for p in e.places)]
            # 「郑州航空港实验区的企业…」: of 郑州's documents, the one whose own title words the question also says.
            # (by the part that opens a word too: 建筑 of 建筑工程 is the 建筑 of 北京市建筑绿色发展条例; not the part
            # that ends one, its head: 企业 of 台资企业 is no 禁止非法增加企业负担条例)
            parts = words + sorted({t for t in self.tokenizer.tokenize(rest)
                                    if len(t) > 1 and any(w != t and w.startswith(t) for w in words)})
            titled = [e for e in here if sum(map(self.weight, _title_words(e, parts))) >= TITLE_WEIGHT]
            described = {e.id for e in titled or here}
            wider = tuple(e.id for e in here) if titled and len(titled) < len(here) else ()
            if not here and elsewhere:
                return self._elsewhere(question, text, elsewhere, everything=_own_rule(question, elsewhere))
            places = [p for e in here for p in e.places if p in question]
            if here and not titled and not _own_rule(question, places):
                # 「广东的进口企业想对香港签发港币支票…」 asks of firms there: a document of no place's own whose title
                # words it says, two at least (港币, 支票 of 《…粤港澳港币支票双向结算业务的通知》), is searched beside the
                # place's (「从境外借钱」 says one word of a title on 境外机构 accounts, and names nothing)
                described |= {e.id for e in self.entries if not e.local and len(said := _title_words(e, parts)) >= 2
                              and sum(map(self.weight, said)) >= TITLE_WEIGHT}
            national = _NATIONAL_TOO.search(question) if here else None
            if national:
                described |= {e.id for e in self.entries if e.national}
                places.append(national.group(1) or national.group(5))
            if len(titled) == 1:
                # its place and title words said in one run (「郑州航空港实验区」) are its name, not the question's;
                # title words without the place (「想再用公积金贷款买一套」) are what is asked
                said = sorted((*titled[0].places, *_title_words(titled[0], words)), key=len, reverse=True)
                run = max((r for r in re.findall(f"(?:{'|'.join(map(re.escape, said))}){{2,}}", text)
                           if any(p in r for p in titled[0].places)), key=len, default="")
                text = text.replace(run, "", 1) if run else text
        local = all(self._by_id[i].local for i in described)
        if not explicit and described and elsewhere and (local or _own_rule(question, elsewhere)) and not any(
                p in question for i in described for p in self._by_id[i].places):
            # 「四川省的台湾同胞投资保护条例…」 describes 重庆's 条例 by its words, yet asks 四川's, which is not here;
            # so does 「江苏省“不见面审批”改革…是怎么规定的」 浙江's 「最多跑一次」改革规定
            return self._elsewhere(question, text, elsewhere, everything=True)
        ids = tuple(e.id for e in self.entries if e.id in explicit | described)
        # 「两部社保条例里…」 counts the documents it means: one described is not both, and the library is searched
        counted = _COUNTED.search(question)
        if counted and not explicit and 0 < len(ids) < _COUNTS.get(counted.group(1), 2):
            return Naming((), question)
        return Naming(ids, _trim(text) or question, tuple(dict.fromkeys(places)) if len(ids) > 1 else (), wider=wider)

    def _core_said(self, e: _Entry, question: str) -> str | None:
        """Where the question says the whole of what a notice's title is about, as no other title does: 「取消企业
        银行账户许可后，…」 names 《中国人民银行关于取消企业银行账户许可的通知》 without its frame; 「北京市人大常委会关于
        加强市级预算审查监督的决定」 with its issuer as staff shorten it. None when it does not."""
        at = question.find(e.core) if e.id in self._own_cores else -1
        if at < 0:
            return None
        framed = _FRAMED.search(question, 0, at)
        return question[framed.start() if framed else at:at + len(e.core)]

    def _elsewhere(self, question: str, text: str, places: tuple[str, ...], everything: bool) -> Naming:
        """Naming no document: ``places`` no document is of. Other places' documents say nothing of them, and
        when their own rule is asked for (``everything``), neither do the national ones."""
        foreign = tuple(e.id for e in self.entries if everything or e.local)
        return Naming((), _trim(text) or question, elsewhere=places, foreign=foreign)

    def _described(self, e: _Entry, question: str, words: list[str]) -> tuple[float, tuple[int, int]]:
        """How well the question describes the document (0 when it does not name it), and where."""
        # 「法」 is a type only as the title ends (「…促进法」): the character is in 法律, 合法, 办法
        types = [t for t in (*_NICKNAMES, *(t for t in _TYPES if e.name.endswith(t)))
                 if t in question and (t != "法" or e.name[-3:] in question)]
        # 「那个国办担保基金的文件」 points at a document; 「这个有法律上的说法吗」 at a matter
        pointers = [c for c in _POINTERS if c in question and _POINTED.search(question[question.find(c):])]
        issuer = e.abbreviation if e.abbreviation and len(e.abbreviation) >= 2 and e.abbreviation in question else None
        if not (types or pointers or issuer):
            return 0.0, (0, 0)
        found = _title_words(e, words)
        places = [p for p in e.places if p in question]
        offset, clause = 0, question
        if pointers and not types:
            # 「那个融资担保公司的条例，明确禁止…哪几类业务」: the words after what is pointed at are the question's.
            offset = question.find(pointers[0])
            clause = question[offset:offset + _POINTED.search(question[offset:]).end()]
            found = [w for w in found if w in clause]
            places = [p for p in places if p in clause]
        if types:
            # A type word is described within its clause: 「地方政府真这么干了，条例后面…」 names no 地方金融条例, and
            # in 「…听企业意见？台州信用条例和浙江民营企业条例…」 the 企业 of 浙江民营企业条例 is the one after 台州.
            typed_clauses = [(m.start(), m.group()) for m in _CLAUSE.finditer(question) if any(t in m.group() for t in types)]
            offset, clause = max(typed_clauses, key=lambda oc: sum(self.weight(w) for w in found if w in oc[1])
                                 + sum(p in oc[1] for p in places))
            found = [w for w in found if w in clause]
            places = [p for p in places if p in clause]
        weight = sum(self.weight(w) for w in found)
        typed, pointed = bool(types), bool(pointers)
        # A place names the document when its type word follows (「福建的措施」), not when the place qualifies
        # something else after the type word (「有哪些措施是专门适用于福建自贸试验区的」).
        placed = any(question.find(t, question.find(p)) >= 0 for p in places for t in types)
        named = ((typed or pointed) and weight >= TITLE_WEIGHT) or (places and (placed or (pointed and weight > 0))) or (
            issuer and weight > 0)
        if not named:
            return 0.0, (0, 0)
        # A word said both in the question's subject and in the name (「华侨出国定居后…：广东华侨权益保护条例…」) is
        # marked where the name says it, the run that closes with the type word.
        anchor = min((clause.find(t) for t in types if t in clause), default=len(clause))
        marks = [(offset + (clause.rfind(w, 0, anchor) if w in clause[:anchor] else clause.find(w)), len(w))
                 for w in (*found, *places, *pointers, *([issuer] if issuer else [])) if w in clause]
        start = min(at for at, _ in marks)
        # The type word closes the description (「湖州的绿色金融条例」); its words after that are the question's:
        # 「北京外商投资条例对知识产权保护…」 describes no 知识产权保护条例.
        closing = [question.find(t, start) + len(t) for t in types if question.find(t, start) >= 0]
        if typed and not closing and not pointed and issuer is None:
            return 0.0, (0, 0)
        end = min(closing) if closing else max(at + n for at, n in marks)
        score = weight + len(places) + (issuer is not None) + 0.5 * typed
        return score, ((start, end) if end - start <= _SPAN else (0, 0))


def _own_rule(question: str, places: Sequence[str]) -> bool:
    """Whether ``question`` asks for one of ``places``' own rule, not of what happens there."""
    return bool(_LOCAL_RULE.search(question)) or any(
        _OWN_RULE.match(question[m.end():]) for p in places for m in re.finditer(re.escape(p), question))


def _named_by(e: _Entry, question: str, words: list[str]) -> list[str]:
    """The document's title words the question says before the last of its type words."""
    typed = max((question.rfind(t) for t in _TYPES if e.name.endswith(t)), default=-1)
    return [w for w in _title_words(e, words) if 0 <= question.find(w) < (typed if typed >= 0 else len(question))]


def _title_words(e: _Entry, words: list[str]) -> list[str]:
    """The question's words that are the document's own title words: not its place, its type or a frame word."""
    return [w for w in words if w in e.parts and w not in _TYPES and w not in _FRAME_WORDS and w not in e.places]


def _trim(text: str) -> str:
    """The question left after its document's name, without the particles that tied them (的, 里, 中)."""
    return re.sub(r"^[的里中，,、\s]+", "", text).strip()


def _abbreviations(words: list[str], parts: Collection[str]) -> frozenset[str]:
    """「资管」 for 资产管理: the first characters of two title words in a row, as staff shorten them; and a
    four-character word or part of one by the first characters of its halves (科学技术 → 科技, 电子商务 → 电商),
    the word also before the next title word (「上海科技进步条例」 for 上海市科学技术进步条例)."""
    halves = [w[0] + w[2] if len(w) == 4 else None for w in words]
    return frozenset({a[0] + b[0] for a, b in zip(words, words[1:])} | {p[0] + p[2] for p in parts if len(p) == 4}
                     | {h + b for h, b in zip(halves, words[1:]) if h})


def _parse_number(number: str) -> _Number | None:
    found = list(_NUMBER.finditer(number))
    if not found:
        return None
    m = found[-1]
    prefix = number[: m.start("seq")]
    prefix = re.sub(r"[〔\[［(（〕\]］)）\s第]|(?:19|20)\d{2}", "", prefix)
    return _Number(prefix, m.group("year"), m.group("seq"))


def _same_number(doc: _Number, asked: _Number, wen: str | None) -> bool:
    """Whether a number in a question is this document's 文号."""
    if doc.seq != asked.seq:
        return False
    if asked.year and doc.year and asked.year != doc.year:
        return False
    prefix = asked.prefix
    tail = next((prefix[-k:] for k in range(len(prefix), 1, -1) if prefix[-k:] in doc.prefix), None)
    if tail is not None:
        return True
    return bool(asked.year and doc.year) or (not prefix and bool(wen))
