"""The screening hook every live comment passes before anyone else sees it.

A first version: a banned-word list and patterns of off-platform contact (私下交易 / 导流: WeChat ids,
QQ numbers, phone numbers). The governance domain will replace ``screen`` with a stronger one; the
contract stays: text in, a verdict out, fast enough to run inline for every comment.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

BANNED_WORDS = (
    "加微信",
    "加我微信",
    "私聊下单",
    "线下交易",
    "私下交易",
    "刷单",
    "假货",
    "高仿",
    "赌博",
    "代开发票",
)
# Off-platform contact: a phone number, a QQ number or WeChat id next to its keyword.
_CONTACT = [
    re.compile(r"1[3-9]\d{9}"),  # mainland mobile number, after digits are normalised below
    re.compile(r"(?:微信|weixin|wechat|vx|v信|薇信|wx)[号:：\s]*[a-z][-_a-z0-9]{5,19}", re.IGNORECASE),
    re.compile(r"(?:qq|扣扣)[号:：\s]*\d{5,11}", re.IGNORECASE),
]
_DIGITS = str.maketrans("０１２３４５６７８９零一二三四五六七八九", "01234567890123456789")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""  # "banned_word" or "off_platform_contact"


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).translate(_DIGITS).lower()
    # People write "138 0013 8000" or "1-3-8…" to slip past filters: drop separators between digits.
    return re.sub(r"(?<=\d)[\s\-_.·,，]+(?=\d)", "", folded)


def screen(text: str) -> Verdict:
    flat = _normalise(text)
    for word in BANNED_WORDS:
        if word in flat:
            return Verdict(False, "banned_word")
    for pattern in _CONTACT:
        if pattern.search(flat):
            return Verdict(False, "off_platform_contact")
    return Verdict(True)
