"""Money is integer fen (1 yuan = 100 fen). Never a float."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, Strict

Fen = int
# Ten million yuan caps a single price: large enough for any listing, small enough to catch typos.
MAX_PRICE_FEN = 1_000_000_000
_PLAIN_DECIMAL = re.compile(r"(\d{1,15})(?:\.(\d{1,2}))?")
# A JSON integer only (``true``, ``"1"``, ``1.0`` are refused): see ``core.numbers``.
PriceFen = Annotated[int, Strict(), Field(gt=0, le=MAX_PRICE_FEN, description="price in fen (分), > 0")]


def format_yuan(amount_fen: Fen) -> str:
    """``123456`` -> ``"¥1,234.56"``; negative amounts keep their sign."""
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(amount_fen), 100)
    return f"{sign}¥{yuan:,}.{fen:02d}"


def share_of(amount_fen: Fen, rate_bp: int) -> Fen:
    """``amount_fen`` × ``rate_bp``/10,000, rounded half up to whole fen: the one place rates round."""
    from decimal import ROUND_HALF_UP, Decimal

    exact = Decimal(amount_fen) * Decimal(rate_bp) / Decimal(10_000)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _trimmed(units: int, places: int = 2) -> str:
    """``units`` hundredths (places=2) as a short decimal: 1250 -> "12.5", 1200 -> "12"."""
    sign = "-" if units < 0 else ""
    whole, part = divmod(abs(units), 10**places)
    tail = f"{part:0{places}d}".rstrip("0")
    return f"{sign}{whole}" + (f".{tail}" if tail else "")


def plain_hundredths(units: int) -> str:
    """Hundredths as a short decimal for a form field: 1250 -> "12.5" (fen -> yuan, bp -> %)."""
    return _trimmed(units, 2)


def yuan_short(amount_fen: Fen) -> str:
    """Yuan without the sign and trailing zeros, for labels: ``1000`` -> "10", ``1250`` -> "12.5"."""
    return _trimmed(amount_fen, 2)


def discount_label(percent_off_bp: int) -> str:
    """A discount in basis points as shoppers say it: 1,000 bp off -> "9折", 1,500 -> "8.5折"."""
    return f"{_trimmed(10_000 - percent_off_bp, 3)}折"


def percent_label(rate_bp: int) -> str:
    """A rate in basis points as a percentage: 1,500 -> "15%", 1,250 -> "12.5%"."""
    return f"{_trimmed(rate_bp, 2)}%"


def parse_hundredths(text: str) -> int | None:
    """A typed decimal with at most two places, in hundredths: "12.5" -> 1250 (yuan -> fen, % -> bp).

    Exact (no float); None for anything else: empty, words, signs, exponents, three decimals."""
    match = _PLAIN_DECIMAL.fullmatch(text.strip())
    if match is None:
        return None
    whole, part = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(part)
