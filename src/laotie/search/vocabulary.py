"""The words search knows, and what a query word may stand for.

A vocabulary is the product dictionary plus every word the index has learnt from titles
(``search_term``, with how many documents use it). From it come:

- pinyin: ``lianyiqun`` (full) and ``lyq`` (initials) -> 连衣裙, the most used words first;
  a run of pinyin without spaces is split into known syllable groups (``lianyiqunhongse``);
- synonyms: each word of a group in ``data/synonyms.txt`` finds the others (连衣裙 / 裙子);
- typos: a Chinese word not in the vocabulary is replaced by a known word that sounds the same
  (连衣群 -> 连衣裙), and a Latin-letter word one edit away from a known one is corrected
  (iphnoe -> iphone), through a table of one-deletion keys.

Each API process keeps one in memory, rebuilt when the term table changed (checked at most every
``REFRESH_SECONDS``), so several processes on PostgreSQL agree within that time.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from laotie.search import text

MAX_ALTERNATIVES = 6
REFRESH_SECONDS = 30.0


def _deletes(key: str) -> set[str]:
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


@dataclass
class Vocabulary:
    weights: dict[str, int] = field(default_factory=dict)
    by_pinyin: dict[str, list[str]] = field(default_factory=dict)
    by_initials: dict[str, list[str]] = field(default_factory=dict)
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    deletes: dict[str, set[str]] = field(default_factory=dict)
    sorted_words: list[str] = field(default_factory=list)
    sorted_pinyin: list[str] = field(default_factory=list)
    # Product types: category names and their synonyms. A query's type word is its head (连衣裙 in
    # 红色连衣裙); short initials (lyq) most often mean a type.
    types: frozenset[str] = frozenset()

    @classmethod
    def build(cls, learnt: Mapping[str, int], categories: Iterable[str] = ()) -> Vocabulary:
        vocab = cls()
        names = {text.normalize(c) for c in categories}
        weights: dict[str, int] = dict.fromkeys(text.domain_words(), 50)
        for word, df in learnt.items():
            weights[word] = weights.get(word, 0) + df
        vocab.weights = weights
        for group in text.synonym_groups():
            for word in group:
                vocab.synonyms[word] = group
        vocab.types = frozenset(
            names | {w for g in text.synonym_groups() if names.intersection(g) for w in g}
        )
        for name in names:
            weights.setdefault(name, 50)
        for word, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0])):  # ties: same order everywhere
            if text.is_cjk(word):
                fulls, initials = text.pinyin_keys(word)
                for key in fulls:
                    vocab.by_pinyin.setdefault(key, []).append(word)
                    vocab._add_deletes(key)
                if len(word) >= 2:
                    for key in initials:
                        vocab.by_initials.setdefault(key, []).append(word)
            elif text.is_ascii_word(word) and len(word) >= 3:
                vocab._add_deletes(word)
        vocab.sorted_words = sorted(weights)
        vocab.sorted_pinyin = sorted(vocab.by_pinyin)
        return vocab

    def _add_deletes(self, key: str) -> None:
        if len(key) >= 4:
            for d in _deletes(key):
                self.deletes.setdefault(d, set()).add(key)

    def knows(self, word: str) -> bool:
        return word in self.weights

    def weight(self, word: str) -> int:
        return self.weights.get(word, 0)

    def from_pinyin(self, key: str) -> list[str]:
        """Chinese words a Latin-letter query word may be the pinyin of, most used first."""
        words = list(self.by_pinyin.get(key, []))
        if not words and 2 <= len(key) <= 6:
            words = [w for w in self.by_initials.get(key, []) if len(w) == len(key)]
            kinds = [w for w in words if w in self.types]
            # Initials are ambiguous (jy: 酱油, 家用, 简约 …): when one reading is a product type,
            # that is what a shopper means; otherwise the few most used readings.
            return kinds[:1] if kinds else words[:3]
        return words[:MAX_ALTERNATIVES]

    def is_type(self, word: str) -> bool:
        return word in self.types

    def pinyin_split(self, key: str) -> list[str]:
        """The words of a pinyin run, when it is several words (for the query's terms)."""
        best: list[list[str] | None] = [None] * (len(key) + 1)
        best[0] = []
        for end in range(1, len(key) + 1):
            for start in range(max(0, end - 24), end):
                prev = best[start]
                piece = key[start:end]
                if prev is not None and piece in self.by_pinyin and (len(piece) >= 4 or piece == key):
                    candidate = [*prev, self.by_pinyin[piece][0]]
                    current = best[end]
                    if current is None or len(candidate) < len(current):
                        best[end] = candidate
        return best[len(key)] or []

    def expansions(self, term: str) -> list[str]:
        """What else finds the same goods as ``term``: its synonyms, or the words it is pinyin for."""
        found: dict[str, None] = {term: None}
        for word in self.synonyms.get(term, ()):
            found.setdefault(word, None)
        if text.is_ascii_word(term) and len(term) >= 2:
            for word in self.from_pinyin(term):
                found.setdefault(word, None)
                for syn in self.synonyms.get(word, ()):
                    found.setdefault(syn, None)
        return list(found)[: MAX_ALTERNATIVES + 4]

    def homophone(self, chinese: str) -> str | None:
        """A known word that sounds like ``chinese`` (连衣群 -> 连衣裙), or one pinyin edit away."""
        fulls, _ = text.pinyin_keys(chinese)
        for key in fulls:
            for word in self.by_pinyin.get(key, []):
                if word != chinese and len(word) == len(chinese):
                    return word
        for key in fulls[:1]:
            near = self.near_keys(key)
            for other in near:
                for word in self.by_pinyin.get(other, []):
                    if len(word) == len(chinese):
                        return word
        return None

    def near_keys(self, key: str) -> list[str]:
        """Known keys one insertion, deletion or substitution (or swap) from ``key``."""
        if len(key) < 4:
            return []
        found: set[str] = set(self.deletes.get(key, set()))  # key is a known key with one letter lost
        for d in _deletes(key):
            if d in self.by_pinyin or d in self.weights:
                found.add(d)
            found |= self.deletes.get(d, set())
        found.discard(key)
        return sorted(found, key=lambda k: (-self._key_weight(k), k))

    def _key_weight(self, key: str) -> int:
        words = self.by_pinyin.get(key) or ([key] if key in self.weights else [])
        return max((self.weight(w) for w in words), default=0)

    def ascii_correction(self, word: str) -> str | None:
        for key in self.near_keys(word):
            if key in self.weights:
                return key
            if key in self.by_pinyin:
                return self.by_pinyin[key][0]
        return None

    def completions(self, prefix: str, limit: int = 10) -> list[str]:
        """Known words starting with ``prefix`` (Chinese or pinyin), most used first."""
        found: dict[str, None] = {}
        if text.is_ascii_word(prefix):
            i = bisect_left(self.sorted_pinyin, prefix)
            while (
                i < len(self.sorted_pinyin) and self.sorted_pinyin[i].startswith(prefix) and len(found) < 200
            ):
                for word in self.by_pinyin[self.sorted_pinyin[i]][:2]:
                    found.setdefault(word, None)
                i += 1
            for word in self.by_initials.get(prefix, [])[:5]:
                found.setdefault(word, None)
        i = bisect_left(self.sorted_words, prefix)
        while i < len(self.sorted_words) and self.sorted_words[i].startswith(prefix) and len(found) < 400:
            found.setdefault(self.sorted_words[i], None)
            i += 1
        ranked = sorted(found, key=lambda w: (-self.weight(w), len(w), w))
        return [w for w in ranked if w != prefix][:limit]


class VocabularyCache:
    """One vocabulary per process, rebuilt when the learnt terms changed (``stamp`` differs)."""

    def __init__(self) -> None:
        self._vocab: Vocabulary | None = None
        self._stamp: object = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def current(
        self,
        stamp: Callable[[], object],
        terms: Callable[[], Iterable[tuple[str, int]]],
        *,
        force: bool = False,
        build: Callable[[list[tuple[str, int]]], Vocabulary] | None = None,
    ) -> Vocabulary:
        now = time.monotonic()
        if self._vocab is not None and not force and now - self._checked < REFRESH_SECONDS:
            return self._vocab
        with self._lock:
            latest = stamp()
            if self._vocab is None or force or latest != self._stamp:
                pairs = list(terms())
                self._vocab = build(pairs) if build else Vocabulary.build(dict(pairs))
                self._stamp = latest
            self._checked = time.monotonic()
            return self._vocab

    def clear(self) -> None:
        with self._lock:
            self._vocab = None
            self._stamp = None
