"""Money is integer fen (1 yuan = 100 fen). Never a float."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, Strict

Fen = int
# Ten million yuan caps a single price: large enough for any listing, small enough to catch typos.
MAX_PRICE_FEN = 1_000_000_000
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
