"""From what a buyer typed to what the index is asked: terms with their alternatives, and corrections.

``plan`` normalises and segments the query; each word becomes a term whose alternatives are the word,
its synonyms, and (for Latin letters) the Chinese words it is the pinyin or initials of. A pinyin run
that is several words (``lianyiqunhongse``) becomes several terms. ``correct`` proposes another
query when a word is unknown: a homophone (连衣群 -> 连衣裙), a one-edit Latin word (iphnoe -> iphone)
or a mistyped pinyin (lianyiqn -> 连衣裙). The engine uses the correction when the query as typed
finds nothing ("已为您搜索…") and offers it as "did you mean" when it finds only a few.
"""

from __future__ import annotations

from dataclasses import dataclass

from laotie.search import text
from laotie.search.vocabulary import Vocabulary


@dataclass(frozen=True)
class Plan:
    raw: str
    normalized: str
    words: tuple[str, ...]
    terms: tuple[tuple[str, ...], ...]
    heads: tuple[bool, ...] = ()  # each term: a product type (the query's head noun)?

    @property
    def empty(self) -> bool:
        return not self.terms


def _expand(words: list[str], vocab: Vocabulary) -> tuple[list[str], list[tuple[str, ...]]]:
    out_words: list[str] = []
    terms: list[tuple[str, ...]] = []
    for word in words:
        if (
            text.is_ascii_word(word)
            and len(word) >= 6
            and not vocab.knows(word)
            and word not in vocab.by_pinyin
        ):
            parts = vocab.pinyin_split(word)
            if len(parts) > 1:
                for part in parts:
                    out_words.append(part)
                    terms.append(tuple(vocab.expansions(part)))
                continue
        out_words.append(word)
        terms.append(tuple(vocab.expansions(word)))
    return out_words, terms


def plan(raw: str, vocab: Vocabulary) -> Plan:
    normalized = text.normalize(raw)
    words = text.segmenter().query_terms(normalized)
    out_words, terms = _expand(words, vocab)
    return Plan(
        raw=raw, normalized=normalized, words=tuple(out_words), terms=tuple(terms), heads=_heads(terms, vocab)
    )


def _heads(terms: list[tuple[str, ...]], vocab: Vocabulary) -> tuple[bool, ...]:
    return tuple(any(vocab.is_type(a) for a in alts) for alts in terms)


def plan_words(words: list[str], vocab: Vocabulary) -> Plan:
    """A plan from words already chosen (a correction)."""
    out_words, terms = _expand(words, vocab)
    joined = " ".join(out_words)
    return Plan(
        raw=joined, normalized=joined, words=tuple(out_words), terms=tuple(terms), heads=_heads(terms, vocab)
    )


def _suspect(word: str, vocab: Vocabulary) -> bool:
    return text.is_cjk(word) and (len(word) == 1 or not vocab.knows(word))


def _fix_run(run: list[str], vocab: Vocabulary) -> list[str] | None:
    """Within consecutive Chinese words, replace the longest span holding a suspect word by a known
    word that sounds the same."""
    best: tuple[int, int, str] | None = None
    for start in range(len(run)):
        for end in range(len(run), start, -1):
            span = run[start:end]
            joined = "".join(span)
            if len(joined) < 2 or len(joined) > 8 or not any(_suspect(w, vocab) for w in span):
                continue
            if len(span) > 1 and vocab.knows(joined):
                word: str | None = joined  # the segmenter split a known word
            else:
                word = vocab.homophone(joined)
            if word and (best is None or end - start > best[1] - best[0]):
                best = (start, end, word)
    if best is None:
        return None
    start, end, word = best
    return [*run[:start], word, *run[end:]]


def correct(p: Plan, vocab: Vocabulary) -> list[str] | None:
    """Words of a likely intended query, or None when nothing looks mistyped."""
    words = list(p.words)
    out: list[str] = []
    changed = False
    i = 0
    while i < len(words):
        if text.is_cjk(words[i]):
            j = i
            while j < len(words) and text.is_cjk(words[j]):
                j += 1
            run = words[i:j]
            fixed = _fix_run(run, vocab)
            if fixed is not None:
                out.extend(fixed)
                changed = True
            else:
                out.extend(run)
            i = j
            continue
        word = words[i]
        if (
            text.is_ascii_word(word)
            and len(word) >= 4
            and not vocab.knows(word)
            and not vocab.from_pinyin(word)
        ):
            fixed_word = vocab.ascii_correction(word)
            if fixed_word:
                out.append(fixed_word)
                changed = True
                i += 1
                continue
        out.append(word)
        i += 1
    return out if changed else None
