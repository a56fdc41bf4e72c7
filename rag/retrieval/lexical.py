"""Lexical retrieval: jieba with the domain dictionary, and BM25 (bm25s) over chunks."""

from __future__ import annotations

import hashlib
import inspect
import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import bm25s
import jieba
import jieba.posseg
import numpy as np

from rag.data import DATA_DIR

_WORD = re.compile(r"[\w\u3400-\u9fff]")
# Ⅰ Ⅱ Ⅲ (or I II III typed): jieba cuts them off the 类 they number
_NUMERALS = {"i": "Ⅰ", "ii": "Ⅱ", "iii": "Ⅲ", **{chr(c).lower(): chr(c) for c in range(0x2160, 0x2170)}}
_CAPITAL = str.maketrans({chr(c).lower(): chr(c) for c in range(0x2160, 0x2170)})  # lower() makes Ⅱ ⅱ


def _lower(token: str) -> str:
    return token.strip().lower().translate(_CAPITAL)


def _classes(tokens: list[str]) -> list[str]:
    """Tokens with 「Ⅱ」「类户」 read as 「Ⅱ类」: Ⅰ/Ⅱ/Ⅲ类账户 differ in their limits only by that numeral."""
    out: list[str] = []
    for token in tokens:
        if out and out[-1].lower() in _NUMERALS and token.startswith("类"):
            out[-1] = _NUMERALS[out[-1].lower()] + "类"
            token = token[1:]
        if token:
            out.append(token)
    return out


@dataclass(frozen=True)
class Dictionary:
    """The domain user dictionary and stop-word list, kept as data files."""

    userdict: Path = DATA_DIR / "userdict.txt"
    stopwords: Path = DATA_DIR / "stopwords.txt"

    def fingerprint(self) -> str:
        """The word lists and the code that cuts passages into tokens: an index built with either other is stale."""
        h = hashlib.sha256()
        for p in (self.userdict, self.stopwords):
            h.update(p.read_bytes())
        for code in (_lower, _classes, ChineseTokenizer.tokenize):
            h.update(inspect.getsource(code).encode())
        return h.hexdigest()[:16]


class ChineseTokenizer:
    """jieba search-mode tokens with the domain words, stop words and punctuation removed."""

    def __init__(self, dictionary: Dictionary | None = None):
        self.dictionary = dictionary or Dictionary()
        jieba.setLogLevel(logging.WARNING)  # its INFO lines on stderr would bury a CLI's one-line errors
        self._jieba = jieba.Tokenizer()
        self._jieba.load_userdict(str(self.dictionary.userdict))
        words = self.dictionary.stopwords.read_text(encoding="utf-8").split()
        self._stop = frozenset(words)
        self._pos: jieba.posseg.POSTokenizer | None = None

    def words(self, text: str) -> list[str]:
        """Content words in precise mode, in order, once each: what a question is about."""
        tokens = map(_lower, _classes(list(self._jieba.cut(text))))
        return list(dict.fromkeys(t for t in tokens if len(t) >= 2 and t not in self._stop and _WORD.search(t)))

    def leading_place(self, title: str) -> str | None:
        """The place a title opens with when it carries no 省/市 (「郑州航空港经济综合实验区条例」 → 郑州), or
        names it in the 「中国（重庆）自由贸易试验区」 way; None for a national title."""
        if title.startswith("中华人民共和国"):
            return None
        if self._pos is None:
            self._pos = jieba.posseg.POSTokenizer(self._jieba)
        # 「深圳经济特区…条例」: jieba reads 深圳经济特区 as one organisation name; the zone is its city's
        first = next(iter(self._pos.cut(re.sub(r"^中国[（(]?|(?<=^..)经济特区", "", title))), None)
        return first.word if first is not None and first.flag == "ns" and len(first.word) >= 2 else None

    def phrase_after(self, text: str, marks: frozenset[str], most: int = 3) -> list[str]:
        """The content words of a short phrase that ends the text after one of ``marks``, when its last word
        is a content word: 「哪些规范要求？」 gives 规范, 要求; 「哪些激励或便利措施」 and a longer phrase, none."""
        tokens = [t.strip().lower() for t in self._jieba.cut(text)]
        tokens = [t for t in tokens if _WORD.search(t)]
        last = max((i for i, t in enumerate(tokens) if t in marks), default=None)
        if last is None:
            return []
        phrase = tokens[last + 1:]
        while phrase and len(phrase[-1]) < 2:  # 吗, 呢
            phrase.pop()
        if not phrase or len(phrase) > most or phrase[-1] in self._stop:
            return []
        return [t for t in phrase if len(t) >= 2 and t not in self._stop]

    def keywords(self, text: str) -> tuple[str, ...]:
        """The text's content words with the search-mode parts that start or end one, longest first.

        Besides the whole words (科技型企业) it keeps the parts that start or end one
        (科技, 企业), since a policy rarely repeats a question's exact compound; a part from
        the middle (型企) is a character bigram, not a word, and would mark half of 成长型企业.
        Longest first because a highlighter builds a regex alternation, which takes the
        first branch that matches: 科技型企业 must win over 科技.
        """
        words = set(self.words(text))
        parts = {t for t in self.tokenize(text) if len(t) >= 2
                 and any(w.startswith(t) or w.endswith(t) for w in words)}
        return tuple(sorted(words | parts, key=lambda w: (-len(w), w)))

    def tokenize(self, text: str) -> list[str]:
        # Search mode adds the parts of long words (投贷联动 → 投贷, 联动), and the
        # character bigrams of longer words catch paraphrases that jieba segments
        # differently (登记手续 / 注销登记).
        tokens = map(_lower, _classes(list(self._jieba.cut_for_search(text))))
        words = [t for t in tokens if t and t not in self._stop and _WORD.search(t)]
        return words + [w[i:i + 2] for w in words if len(w) > 2 for i in range(len(w) - 1)]


class BM25Index:
    """BM25 over tokenised chunks; saves as plain .npy/.json via bm25s (no pickle)."""

    K1 = 1.2
    B = 0.75

    def __init__(self, model: bm25s.BM25):
        self._model = model
        self._vocab = model.vocab_dict

    @classmethod
    def build(cls, token_lists: list[list[str]]) -> BM25Index:
        model = bm25s.BM25(k1=cls.K1, b=cls.B)
        model.index(token_lists, show_progress=False)
        return cls(model)

    def scores(self, tokens: list[str]) -> np.ndarray:
        known = [t for t in tokens if t in self._vocab]
        if not known:
            return np.zeros(self._model.scores["num_docs"], dtype=np.float32)
        return self._model.get_scores(known).astype(np.float32)

    @classmethod
    def term_weights(cls, tokens: list[str], avgdl: float) -> dict[str, float]:
        """A passage's own part of each of its tokens' weight: tf / (tf + k1·(1 − b + b·dl/avgdl)).

        bm25s (method lucene) stores this times the token's idf. Kept apart from the idf, it
        depends on the passage and ``avgdl`` only, so it stays valid while documents come and go.
        """
        norm = cls.K1 * (1 - cls.B + cls.B * len(tokens) / avgdl) if tokens else 0.0
        return {t: tf / (tf + norm) for t, tf in Counter(tokens).items()}

    @staticmethod
    def idf(df: np.ndarray, n: int) -> np.ndarray:
        """bm25s's lucene idf, log(1 + (N − df + 0.5) / (df + 0.5)), in float32; 0 where ``df`` is 0."""
        df = np.asarray(df, dtype=np.float64)
        return np.where(df > 0, np.log(1 + (n - df + 0.5) / (df + 0.5)), 0.0).astype(np.float32)

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        return cls(bm25s.BM25.load(str(folder), show_progress=False))
