"""Text as the detectors read it, with a way back to the original characters.

People who divert buyers write ``ⓥⓧ：ⓐⓑⓒ①②③``, ``薇 芯 ： s h u a n g 9 9``, ``幺三八 洞洞幺二…`` or
``1️⃣3️⃣8️⃣`` to slip past word lists. Every character goes through, once and cached:

- Unicode NFKC (full-width forms, circled and parenthesised digits ``①⑴``, mathematical letters,
  compatibility ideographs), then lower case;
- the enclosed forms NFKC leaves alone (``❶ 🅥 🅧 ➊``): their Unicode character names say which
  digit or letter they enclose (``unicodedata.name``);
- combining marks, variation selectors, the emoji keycap (``1️⃣`` is ``1`` + U+FE0F + U+20E3),
  zero-width and direction marks (format characters) are dropped; lone surrogates become spaces;
- traditional characters become simplified through OpenCC's ``t2s`` conversion (one character at
  a time, so that positions stay put).

Two views come out, each with the original offset of every character:

- ``text``: the folded text, separators kept (for links, e-mail addresses and word boundaries);
- ``flat``: the folded text without separators (spaces, punctuation, symbols, emoji), so that
  ``加 . 微 . 信`` reads ``加微信`` and ``138-0013-8000`` reads ``13800138000``. In a run of four
  or more digits and spoken numerals (cn2an's numeral table plus 洞 拐 for 0 and 7, as people say
  phone numbers), the numerals become digits: ``幺三八零零`` reads ``13800``. Shorter runs stay as
  they are, so ``两件`` or ``一下`` keep their meaning.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import opencc
from cn2an import conf as cn2an_conf

_T2S = opencc.OpenCC("t2s")

# cn2an's numeral table (零〇一壹幺二贰两…九玖) plus the radio-operator digits people use for phone
# numbers: 洞 (0) and 拐 (7). Their traditional forms (貳 參 陸 …) reach this table simplified.
SPOKEN_DIGITS: dict[str, str] = {k: str(v) for k, v in cn2an_conf.NUMBER_CN2AN.items()}
SPOKEN_DIGITS.update({"洞": "0", "拐": "7", "〇": "0"})
_DIGIT_RUN = re.compile("[0-9" + "".join(SPOKEN_DIGITS) + "]{4,}")
_DIGIT_TABLE = str.maketrans(SPOKEN_DIGITS)

# Symbols that carry meaning in contact details: "+v" (add WeChat), "@" (e-mail, handles),
# "$ ¥ ₤" (Taobao share tokens ￥AbC123￥ and prices), "%" and "#" (obfuscated e-mail "a#qq.com").
KEPT_SYMBOLS = frozenset("+@$¥₤#%")
_PLUS_LIKE = {"➕": "+", "✚": "+", "✙": "+", "﹢": "+", "＋": "+"}
# Emoji that stand for a name the filters know: 🐧 QQ's penguin, 🛰 卫星 (WeChat), 🟢💚 the green
# app (WeChat), ✈ the paper plane (Telegram). No library maps these; the table is small.
EMOJI_WORDS = {"🐧": "企鹅", "🛰": "卫星", "🟢": "绿", "💚": "绿", "✈": "飞机", "🛩": "飞机"}
_ENCLOSED = re.compile(
    r"(?:CIRCLED|SQUARED|PARENTHESIZED|NEGATIVE|DINGBAT|REGIONAL INDICATOR).*?"
    r"(?:DIGIT (ZERO|ONE|TWO|THREE|FOUR|FIVE|SIX|SEVEN|EIGHT|NINE)|LETTER ([A-Z]))$"
)
_DIGIT_NAMES = {
    n: str(i)
    for i, n in enumerate(("ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"))
}
_DROPPED_CATEGORIES = frozenset({"Mn", "Me", "Cf", "Cc"})
_CACHE_LIMIT = 200_000
# Matches kept per pattern and text: a verdict needs a few spans, not thousands (a 10,000-character
# line of "有没有" would otherwise spend its time building them).
MAX_MATCHES = 50
_fold_cache: dict[str, str] = {}


def _enclosed(ch: str) -> str | None:
    match = _ENCLOSED.search(unicodedata.name(ch, ""))
    if match is None:
        return None
    digit, letter = match.groups()
    return _DIGIT_NAMES[digit] if digit else letter.lower()


def _fold_uncached(ch: str) -> str:
    category = unicodedata.category(ch)
    if category == "Cs":  # a lone surrogate (from bytes that were not UTF-8): a separator
        return " "
    if ch in _PLUS_LIKE:
        return "+"
    if ch in EMOJI_WORDS:
        return EMOJI_WORDS[ch]
    if ch in ("\n", "\t", "\r"):
        return " "
    folded = unicodedata.normalize("NFKC", ch)
    if folded == ch and category in ("So", "No"):
        folded = _enclosed(ch) or ch
    out = []
    for c in folded:
        if unicodedata.category(c) in _DROPPED_CATEGORIES:
            continue
        if "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" or "\U00020000" <= c <= "\U0003ffff":
            c = _T2S.convert(c) or c
        out.append(c.lower())
    return "".join(out)


def fold_char(ch: str) -> str:
    """One character as the detectors read it (possibly empty, possibly several characters)."""
    got = _fold_cache.get(ch)
    if got is None:
        got = _fold_uncached(ch)
        if len(_fold_cache) < _CACHE_LIMIT:
            _fold_cache[ch] = got
    return got


def _is_kept(c: str) -> bool:
    """Letters, digits, ideographs and the meaningful symbols stay in the flat view."""
    if c.isalnum():
        return True
    return c in KEPT_SYMBOLS


_kept_cache: dict[str, bool] = {}


def is_kept(c: str) -> bool:
    got = _kept_cache.get(c)
    if got is None:
        got = _is_kept(c)
        if len(_kept_cache) < _CACHE_LIMIT:
            _kept_cache[c] = got
    return got


@dataclass(frozen=True)
class Normalised:
    """``text``/``flat`` with ``text_at``/``flat_at``: the original index of each of their characters."""

    original: str
    text: str
    text_at: tuple[int, ...]
    flat: str
    flat_at: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of flat[start:end]."""
        return self._map(self.flat_at, start, end)

    def text_span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of text[start:end]."""
        return self._map(self.text_at, start, end)

    def _map(self, at: tuple[int, ...], start: int, end: int) -> tuple[int, int]:
        if not at or end <= start:
            return (0, 0)
        return (at[start], at[end - 1] + 1)

    def gap_before(self, i: int) -> bool:
        """Something (a separator, an invisible character) stood before flat[i] in the original."""
        if i <= 0 or i >= len(self.flat_at):
            return i <= 0
        return self.flat_at[i] - self.flat_at[i - 1] > 1


def normalise(original: str) -> Normalised:
    text_chars: list[str] = []
    text_at: list[int] = []
    flat_chars: list[str] = []
    flat_at: list[int] = []
    for i, ch in enumerate(original):
        if ch.isascii():  # the common fast path: ASCII letters, digits, punctuation, controls
            if ch.isalnum() or ch in KEPT_SYMBOLS:
                c = ch.lower()
                flat_chars.append(c)
                flat_at.append(i)
            else:
                c = ch if ch.isprintable() else " "
            text_chars.append(c)
            text_at.append(i)
            continue
        for c in fold_char(ch):
            text_chars.append(c)
            text_at.append(i)
            if is_kept(c):
                flat_chars.append(c)
                flat_at.append(i)
    flat = "".join(flat_chars)
    if len(flat) >= 4:
        flat = _DIGIT_RUN.sub(lambda m: m.group(0).translate(_DIGIT_TABLE), flat)
    return Normalised(original, "".join(text_chars), tuple(text_at), flat, tuple(flat_at))
