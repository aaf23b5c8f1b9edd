"""How search ranks: text relevance times one number that holds everything else (``rank_bp``).

``rank_bp`` is computed when a document is indexed or one of its signals changes (a score event, a
consequence, a sale, impressions), so a query only multiplies two numbers per match. Its parts, all
in one place (``WEIGHTS``):

- quality in [0, 1]: product score (商品分), price competitiveness (价格力: price against equivalent
  goods), sales, the shop's DSR, conversion (orders per impression, with a prior so that a product
  nobody has seen yet is not zero);
- ``text_floor``: the share of the multiplier that relevance keeps whatever the quality, so a
  perfect match of a new product still beats a poor match of a best seller;
- consequences (``standing``): DISTRIBUTION_STOPPED hides (rank 0, and queries skip it), NO_BOOST
  sinks (``no_boost_factor``), TRAFFIC_WEIGHT scales (``weight_bp``); an over-priced product sinks
  too (``overpriced_factor``) even before a consequence stops it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FULL_BP = 10_000


@dataclass(frozen=True)
class RankingWeights:
    text_floor: float = 0.35
    product_score: float = 0.30
    price: float = 0.20
    sales: float = 0.20
    dsr: float = 0.15
    conversion: float = 0.15
    no_boost_factor: float = 0.5
    overpriced_factor: float = 0.25
    sales_saturation: int = 5_000  # units at which sales count fully
    conversion_prior_orders: float = 0.4  # 2% of a 20-impression prior
    conversion_prior_impressions: float = 20.0
    conversion_full: float = 0.05  # 5% of impressions ordering counts fully
    # What an absent score counts as (暂无评分): a little below the middle.
    neutral_score: float = 0.6
    neutral_price: float = 0.5
    neutral_dsr: float = 0.6


WEIGHTS = RankingWeights()


@dataclass(frozen=True)
class Signals:
    """What ranking reads of one document."""

    product_score: int | None = None
    price_index_bp: int | None = None
    overpriced: bool = False
    sales: int = 0
    orders: int = 0
    impressions: int = 0
    dsr_x100: int | None = None
    distributed: bool = True
    boosted: bool = True
    weight_bp: int = FULL_BP


def _clamp(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else x


def parts(s: Signals, w: RankingWeights = WEIGHTS) -> dict[str, float]:
    """Each quality part in [0, 1] (also what the feed explains itself with)."""
    conversion = (s.orders + w.conversion_prior_orders) / (s.impressions + w.conversion_prior_impressions)
    return {
        "product_score": w.neutral_score if s.product_score is None else _clamp(s.product_score / 100),
        "price": w.neutral_price
        if s.price_index_bp is None
        else _clamp((15_000 - s.price_index_bp) / FULL_BP),
        "sales": _clamp(math.log1p(max(s.sales, 0)) / math.log1p(w.sales_saturation)),
        "dsr": w.neutral_dsr if s.dsr_x100 is None else _clamp((s.dsr_x100 - 350) / 150),
        "conversion": _clamp(conversion / w.conversion_full),
    }


def quality(s: Signals, w: RankingWeights = WEIGHTS) -> float:
    p = parts(s, w)
    total = w.product_score + w.price + w.sales + w.dsr + w.conversion
    return (
        w.product_score * p["product_score"]
        + w.price * p["price"]
        + w.sales * p["sales"]
        + w.dsr * p["dsr"]
        + w.conversion * p["conversion"]
    ) / total


def rank_bp(s: Signals, w: RankingWeights = WEIGHTS) -> int:
    """The multiplier of text relevance, in basis points; 0 when distribution is stopped."""
    if not s.distributed:
        return 0
    value = w.text_floor + (1 - w.text_floor) * quality(s, w)
    value *= s.weight_bp / FULL_BP
    if not s.boosted:
        value *= w.no_boost_factor
    if s.overpriced:
        value *= w.overpriced_factor
    return max(1, round(value * FULL_BP))
