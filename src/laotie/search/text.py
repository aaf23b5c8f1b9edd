"""Chinese text for search: normalisation, segmentation with a product dictionary, pinyin keys.

Everything a query or a title goes through before it meets the index:

- ``normalize``: full-width to half-width (NFKC), traditional to simplified characters (OpenCC's
  ``t2s``, data shipped in the wheel, no network), lower case, control characters out, at most
  ``MAX_QUERY_CHARS`` characters.
- ``Segmenter``: jieba with its own dictionary instance (the global one is left alone) plus the
  product-domain words of ``data/words.txt`` (category tree and product vocabulary) and the synonym
  words. Queries are cut in precise mode; documents in search mode (every dictionary sub-word too),
  once as written and once with the spaces between Chinese characters removed, so that "打底 裤"
  and "打底裤" meet.
- Both sides cut without jieba's HMM guesser for unknown words, so a query and a title split an
  unknown word the same way (into its characters), and indexing is three times faster.
- Tokens are runs of ``[0-9a-z]`` and CJK ideographs only: quotes, ``*``, ``NEAR``-style syntax or
  emoji never reach the full-text engine as syntax (``OR`` becomes the plain word "or").
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data"
MAX_QUERY_CHARS = 100
MAX_TERMS = 12
MAX_TOKEN_CHARS = 30

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(f"[0-9a-z{_CJK}]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_CJK_GAP = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")
_ASCII_WORD = re.compile(r"^[a-z]+$")
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


@lru_cache(maxsize=1)
def _t2s() -> object:
    import opencc

    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """The one spelling a query and a title are compared in."""
    text = unicodedata.normalize("NFKC", text[: MAX_QUERY_CHARS * 4]).translate(_CONTROL)
    text = _t2s().convert(text)  # type: ignore[attr-defined]
    return " ".join(text.lower().split())[:MAX_QUERY_CHARS]


def tokens_of(text: str) -> list[str]:
    """The index-safe pieces of ``text`` (already normalised): letters, digits and ideographs."""
    return [t[:MAX_TOKEN_CHARS] for t in _TOKEN.findall(text)]


def is_cjk(token: str) -> bool:
    return bool(_CJK_CHAR.search(token))


def is_ascii_word(token: str) -> bool:
    return bool(_ASCII_WORD.match(token))


def cjk_chars(text: str) -> list[str]:
    return _CJK_CHAR.findall(text)


def join_cjk(text: str) -> str:
    """ "打底 裤" -> "打底裤": spaces between two Chinese characters are not word boundaries a buyer means."""
    return _CJK_GAP.sub("", text)


def _dictionary_lines() -> Iterable[tuple[str, int]]:
    for line in (DATA / "words.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, _, freq = line.partition(" ")
            yield word, int(freq or 500)
    for group in synonym_groups():
        for word in group:
            yield word, 800


@lru_cache(maxsize=1)
def synonym_groups() -> tuple[tuple[str, ...], ...]:
    groups = []
    for line in (DATA / "synonyms.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            groups.append(tuple(normalize(w) for w in line.split()))
    return tuple(groups)


@lru_cache(maxsize=1)
def domain_words() -> frozenset[str]:
    return frozenset(w for w, _ in _dictionary_lines())


class Segmenter:
    """A jieba tokenizer of our own with the product dictionary loaded (built once per process)."""

    def __init__(self) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        self._lock = threading.Lock()
        self._added: set[str] = set()
        for word, freq in _dictionary_lines():
            self._jieba.add_word(word, freq)
            self._added.add(word)

    def add_words(self, words: Iterable[str], freq: int = 2000) -> None:
        """Words learnt at run time (a category a merchant's goods were filed under)."""
        with self._lock:
            for word in words:
                if word and word not in self._added and len(word) <= MAX_TOKEN_CHARS:
                    self._jieba.add_word(word, freq)
                    self._added.add(word)

    def query_terms(self, text: str) -> list[str]:
        """The words of a (normalised) query, each to be found; long compounds split into the
        dictionary words that cover them ("碎花连衣裙" -> 碎花, 连衣裙) so that a title that says
        "碎花 雪纺 连衣裙" still matches."""
        seen: dict[str, None] = {}
        for piece in self._jieba.cut(join_cjk(text), HMM=False):
            for token in tokens_of(piece):
                for part in self._cover(token):
                    seen.setdefault(part, None)
        return list(seen)[:MAX_TERMS]

    def _cover(self, token: str) -> list[str]:
        if len(token) < 4 or not is_cjk(token):
            return [token]
        subwords = {w for w in self._jieba.cut_for_search(token, HMM=False) if w != token and len(w) >= 2}
        parts: list[str] = []
        i = 0
        while i < len(token):
            for size in range(min(len(token) - i, 6), 1, -1):
                if token[i : i + size] in subwords:
                    parts.append(token[i : i + size])
                    i += size
                    break
            else:
                return [token]
        return parts

    def doc_tokens(self, text: str) -> tuple[str, ...]:
        """Every token a document is found by: search-mode words of the text as written and with
        the gaps between Chinese characters closed. Category paths and shop names repeat across
        thousands of products: the last results are kept."""
        return self._doc_tokens(text)

    @lru_cache(maxsize=20_000)  # noqa: B019  (one segmenter per process, kept for its life)
    def _doc_tokens(self, text: str) -> tuple[str, ...]:
        found: dict[str, None] = {}
        joined = join_cjk(text)
        for variant in (text, joined) if joined != text else (text,):
            for piece in self._jieba.cut_for_search(variant, HMM=False):
                for token in tokens_of(piece):
                    found.setdefault(token, None)
        return tuple(found)

    def words(self, text: str) -> list[str]:
        """Precise-mode words (the vocabulary the index learns from titles)."""
        return [t for piece in self._jieba.cut(join_cjk(text), HMM=False) for t in tokens_of(piece)]


_segmenter: Segmenter | None = None
_segmenter_lock = threading.Lock()


def segmenter() -> Segmenter:
    """The process's segmenter; jieba's dictionary loads on first use (about a second)."""
    global _segmenter
    if _segmenter is None:
        with _segmenter_lock:
            if _segmenter is None:
                _segmenter = Segmenter()
    return _segmenter


MAX_READINGS = 8


@lru_cache(maxsize=50_000)
def pinyin_keys(word: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Toneless full pinyin and initials of a Chinese word, every reading of its polyphonic
    characters included (长裙: changqun and zhangqun), at most ``MAX_READINGS`` combinations."""
    from pypinyin import Style, pinyin

    if not word or not all(is_cjk(c) for c in word):
        return (), ()
    readings = pinyin(word, style=Style.NORMAL, heteronym=True, errors="ignore")
    if len(readings) != len(word):
        return (), ()
    phrase = pinyin(word, style=Style.NORMAL, heteronym=False, errors="ignore")
    combos = ["".join(p[0] for p in phrase)]
    for combo in itertools.islice(itertools.product(*[r[:3] for r in readings]), MAX_READINGS):
        joined = "".join(combo)
        if joined not in combos:
            combos.append(joined)
    fulls = tuple(c.replace("ü", "v") for c in combos)
    initials: dict[str, None] = {}
    for combo in itertools.islice(itertools.product(*[r[:3] for r in readings]), MAX_READINGS):
        initials.setdefault("".join(s[0] for s in combo), None)
    return fulls, tuple(initials)
