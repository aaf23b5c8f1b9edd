"""Made-up but well-formed unified social credit codes (统一社会信用代码) for demo shops."""

from __future__ import annotations

import random

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# GB 32100-2015 weighs position i by 3**i modulo 31.
_WEIGHTS = [pow(3, i, 31) for i in range(17)]
# Administrative divisions of a few industry-belt cities (义乌, 杭州, 广州, 晋江, 阿克苏, 延边 ...).
DIVISIONS = ("330782", "330106", "440104", "350582", "652901", "222401", "441900", "130606")


def _check(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code(rng: random.Random, entity_type: str) -> str:
    """``91…`` for a company, ``92…`` for an individual business, with a valid check character."""
    prefix = "91" if entity_type == "company" else "92"
    body = "".join(rng.choice(ALPHABET) for _ in range(9))
    first17 = f"{prefix}{rng.choice(DIVISIONS)}{body}"
    return first17 + _check(first17)
