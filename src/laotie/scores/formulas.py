"""Every score's formula and every weight, in one module (docs/scores.md explains them with examples).

The functions are pure: they take window sums (what the aggregates hold) and return the score, so
the unit tests check them by hand and the recompute path, the rebuild and the merchant page's
explanation all call the same code. Nothing here divides by a count that can be zero: a sample too
small gives None (暂无评分), and the smoothed figures add a prior to numerator and denominator.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

# Windows (days, today included).
DSR_DAYS = 90  # DSR and the product's rating: rolling 90 days
RATE_DAYS = 30  # 品退率, complaints, after-sales speed, shipping on time, disputes
VIOLATION_DAYS = 90

# DSR: a Bayesian mean toward the category's average; too few reviews show 暂无评分.
DSR_MIN_REVIEWS = 5
DSR_PRIOR_WEIGHT = 20  # the category's average counts as this many reviews
DEFAULT_PRIOR = 4.6  # a category with no reviews yet (the platform's DSR target in the seeds)
CATEGORY_PRIOR_WEIGHT = 50  # a category's own average is smoothed toward DEFAULT_PRIOR the same way
LOW_STARS = 2  # a product rating of 1 or 2 stars is a bad review (差评)

# 品退率: returns and refunds for a quality fault over delivered lines.
QUALITY_REASONS = frozenset({"quality", "damaged"})  # 质量问题, 破损 (not 发错货, not 七天无理由)
QRR_MIN_LINES = 10
QRR_PRIOR = 0.01
QRR_PRIOR_WEIGHT = 50

# 商品分 (0..100): the weights of its parts, and the line below which consequences apply.
PRODUCT_WEIGHTS = {"reviews": 50, "quality_returns": 25, "complaints": 15, "violations": 10}
PRODUCT_RATING_PRIOR_WEIGHT = 10
PRODUCT_MIN_REVIEWS = 3
PRODUCT_MIN_LINES = 10
PRODUCT_QRR_BAD = 0.10  # a smoothed 品退率 of 10 % takes the whole part
COMPLAINT_RATE_BAD = 0.02  # 2 upheld complaints per 100 delivered lines take the whole part
COMPLAINT_PRIOR_LINES = 50
VIOLATION_POINTS_BAD = 12
PRODUCT_SCORE_LINE = 60

# 价格力: price against equivalent goods and against its own recent prices.
PRICE_OWN_DAYS = 30
PRICE_PEERS_MIN = 3
PRICE_BAND = 3.0  # peers cost between a third and three times the product's price
ATTRIBUTE_CLOSE = 0.5  # Jaccard similarity of attribute values for "close attributes"
OVER_PEERS = 1.30  # 溢价: at least 30 % above equivalent goods …
OVER_OWN = 1.15  # … and at least 15 % above its own median price of the last 30 days
PRICE_LABELS = ((9_000, "优秀"), (10_500, "良好"), (12_000, "一般"))  # index ≤ bp -> label; else 较差

# 商家体验分 (0..100) and its band.
EXPERIENCE_WEIGHTS = {
    "dsr": 35,
    "quality_returns": 25,
    "aftersales_speed": 15,
    "shipping": 15,
    "disputes": 10,
}
EXPERIENCE_MIN_LINES = 20
SHOP_QRR_BAD = 0.05
ANSWER_PRIOR_HOURS = 12.0
ANSWER_PRIOR_WEIGHT = 5
ANSWER_GOOD_HOURS = 12.0
ANSWER_BAD_HOURS = 48.0
ON_TIME_PRIOR = 0.95
ON_TIME_PRIOR_WEIGHT = 20
ON_TIME_BAD = 0.80
DISPUTE_RATE_BAD = 0.01  # one lost dispute per 100 delivered lines takes the whole part
BANDS = (("excellent", 85), ("good", 70), ("fair", 55), ("poor", 0))
BAND_LABELS = {"excellent": "优秀", "good": "良好", "fair": "一般", "poor": "较差"}
# A shop's band sets its traffic weight (basis points of normal exposure); 良好 is normal.
BAND_WEIGHT_BP = {"excellent": 12_000, "good": 10_000, "fair": 8_500, "poor": 5_000}

# 推广者诚信 (0..100) of an anchor or creator, from what they sold.
INTEGRITY_WEIGHTS = {"quality_returns": 50, "complaints": 30, "bad_reviews": 20}
INTEGRITY_MIN_LINES = 10
INTEGRITY_LINE = 60
CREATOR_QRR_BAD = 0.05
BAD_REVIEW_PRIOR = 0.05
BAD_REVIEW_PRIOR_WEIGHT = 20
BAD_REVIEW_SPAN = 0.25

# Lines that raise ``scores.threshold_crossed`` (direction "below" / "recovered").
DSR_LINE_X100 = 440
SHOP_QRR_LINE_BP = 500
PRODUCT_QRR_LINE_BP = 1_000


def clamp(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else x


def smoothed(total: float, n: float, prior: float, weight: float) -> float:
    """(weight × prior + total) / (weight + n): the Bayesian mean used everywhere; never 0/0."""
    return (weight * prior + total) / (weight + n)


def category_mean(star_sum: int, reviews: int) -> float:
    """A category's average rating (the DSR prior), itself smoothed toward DEFAULT_PRIOR."""
    return smoothed(star_sum, reviews, DEFAULT_PRIOR, CATEGORY_PRIOR_WEIGHT)


def dsr_mean(star_sum: int, reviews: int, prior: float) -> float:
    return smoothed(star_sum, reviews, prior, DSR_PRIOR_WEIGHT)


def dsr_x100(star_sum: int, reviews: int, prior: float) -> int | None:
    """One DSR dimension ×100 (468 = 4.68), or None below the minimum sample (暂无评分)."""
    if reviews < DSR_MIN_REVIEWS:
        return None
    return round(100 * dsr_mean(star_sum, reviews, prior))


def average_x100(star_sum: int, reviews: int) -> int | None:
    """The plain average a product page shows beside its count (4.8 分, 126 条评价)."""
    return round(100 * star_sum / reviews) if reviews else None


def quality_return_bp(returns: int, delivered: int) -> int | None:
    """品退率 in basis points (250 = 2.5 %), or None with fewer than QRR_MIN_LINES delivered lines."""
    if delivered < QRR_MIN_LINES:
        return None
    return round(10_000 * min(returns / delivered, 1.0))


def smoothed_qrr(returns: int, delivered: int) -> float:
    return smoothed(returns, delivered, QRR_PRIOR, QRR_PRIOR_WEIGHT)


@dataclass(frozen=True)
class ProductInputs:
    reviews: int = 0
    product_star_sum: int = 0
    delivered: int = 0
    quality_returns: int = 0
    complaints: int = 0
    violation_points: int = 0
    category_prior: float = DEFAULT_PRIOR


def product_parts(i: ProductInputs) -> dict[str, float]:
    rating = smoothed(i.product_star_sum, i.reviews, i.category_prior, PRODUCT_RATING_PRIOR_WEIGHT)
    complaint_rate = i.complaints / (i.delivered + COMPLAINT_PRIOR_LINES)
    return {
        "reviews": clamp((rating - 1) / 4),
        "quality_returns": 1 - clamp(smoothed_qrr(i.quality_returns, i.delivered) / PRODUCT_QRR_BAD),
        "complaints": 1 - clamp(complaint_rate / COMPLAINT_RATE_BAD),
        "violations": 1 - clamp(i.violation_points / VIOLATION_POINTS_BAD),
    }


def weighted(parts: dict[str, float], weights: dict[str, int]) -> int:
    total = sum(weights.values())
    return round(100 * sum(weights[k] * parts[k] for k in weights) / total)


def product_score(i: ProductInputs) -> int | None:
    """商品分 0..100, or None when the product has no evidence yet (too few reviews and deliveries,
    no complaint, no violation)."""
    evidence = (
        i.reviews >= PRODUCT_MIN_REVIEWS
        or i.delivered >= PRODUCT_MIN_LINES
        or i.complaints > 0
        or i.violation_points > 0
    )
    return weighted(product_parts(i), PRODUCT_WEIGHTS) if evidence else None


@dataclass(frozen=True)
class ShopInputs:
    reviews: int = 0
    description_sum: int = 0
    service_sum: int = 0
    logistics_sum: int = 0
    prior: float = DEFAULT_PRIOR
    delivered: int = 0
    quality_returns: int = 0
    answered: int = 0
    answer_hours_sum: float = 0.0
    shipped: int = 0
    shipped_late: int = 0
    disputes_lost: int = 0


def experience_parts(i: ShopInputs) -> dict[str, float]:
    means = [dsr_mean(s, i.reviews, i.prior) for s in (i.description_sum, i.service_sum, i.logistics_sum)]
    hours = smoothed(i.answer_hours_sum, i.answered, ANSWER_PRIOR_HOURS, ANSWER_PRIOR_WEIGHT)
    on_time = smoothed(i.shipped - i.shipped_late, i.shipped, ON_TIME_PRIOR, ON_TIME_PRIOR_WEIGHT)
    lost_rate = i.disputes_lost / (i.delivered + COMPLAINT_PRIOR_LINES)
    return {
        "dsr": clamp(sum(means) / 3 - 4.0),
        "quality_returns": 1 - clamp(smoothed_qrr(i.quality_returns, i.delivered) / SHOP_QRR_BAD),
        "aftersales_speed": 1 - clamp((hours - ANSWER_GOOD_HOURS) / (ANSWER_BAD_HOURS - ANSWER_GOOD_HOURS)),
        "shipping": clamp((on_time - ON_TIME_BAD) / (1 - ON_TIME_BAD)),
        "disputes": 1 - clamp(lost_rate / DISPUTE_RATE_BAD),
    }


def experience(i: ShopInputs) -> int | None:
    """商家体验分 0..100, or None for a shop with too few reviews and deliveries (暂无评分)."""
    if i.reviews < DSR_MIN_REVIEWS and i.delivered < EXPERIENCE_MIN_LINES:
        return None
    return weighted(experience_parts(i), EXPERIENCE_WEIGHTS)


def band(score: int | None) -> str | None:
    if score is None:
        return None
    return next(name for name, floor in BANDS if score >= floor)


@dataclass(frozen=True)
class PromoterInputs:
    delivered: int = 0
    quality_returns: int = 0
    complaints: int = 0
    reviews: int = 0
    bad_reviews: int = 0


def integrity_parts(i: PromoterInputs) -> dict[str, float]:
    bad_share = smoothed(i.bad_reviews, i.reviews, BAD_REVIEW_PRIOR, BAD_REVIEW_PRIOR_WEIGHT)
    complaint_rate = i.complaints / (i.delivered + COMPLAINT_PRIOR_LINES)
    return {
        "quality_returns": 1 - clamp(smoothed_qrr(i.quality_returns, i.delivered) / CREATOR_QRR_BAD),
        "complaints": 1 - clamp(complaint_rate / COMPLAINT_RATE_BAD),
        "bad_reviews": 1 - clamp((bad_share - BAD_REVIEW_PRIOR) / BAD_REVIEW_SPAN),
    }


def integrity(i: PromoterInputs) -> int | None:
    """推广者诚信分 0..100 of an anchor or creator, or None before INTEGRITY_MIN_LINES sold lines."""
    if i.delivered < INTEGRITY_MIN_LINES and i.complaints == 0:
        return None
    return weighted(integrity_parts(i), INTEGRITY_WEIGHTS)


def attribute_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two products' attribute values (1.0 when neither has any)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def peer_reference(
    price_fen: int, attrs: frozenset[str], peers: list[tuple[int, frozenset[str]]]
) -> int | None:
    """The median price of equivalent goods: peers (same leaf category, the caller's list) within
    the price band; those with close attributes when there are enough of them, else all in the band;
    None with fewer than PRICE_PEERS_MIN."""
    in_band = [(p, a) for p, a in peers if price_fen / PRICE_BAND <= p <= price_fen * PRICE_BAND]
    close = [p for p, a in in_band if attribute_similarity(attrs, a) >= ATTRIBUTE_CLOSE]
    chosen = close if len(close) >= PRICE_PEERS_MIN else [p for p, _ in in_band]
    if len(chosen) < PRICE_PEERS_MIN:
        return None
    return round(statistics.median(chosen))


def price_index_bp(price_fen: int, reference_fen: int | None) -> int | None:
    if reference_fen is None or reference_fen <= 0:
        return None
    return round(10_000 * price_fen / reference_fen)


def overpriced(peer_bp: int | None, own_bp: int | None) -> bool:
    """溢价: well above equivalent goods AND well above its own recent prices (a product with no
    earlier price cannot be judged against itself, so is never flagged on the first day)."""
    if peer_bp is None or own_bp is None:
        return False
    return peer_bp >= OVER_PEERS * 10_000 and own_bp >= OVER_OWN * 10_000


def price_label(peer_bp: int | None) -> str | None:
    if peer_bp is None:
        return None
    return next((label for limit, label in PRICE_LABELS if peer_bp <= limit), "较差")
