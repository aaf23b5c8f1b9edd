"""Every formula against an example computed by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import pytest

from laotie.scores import formulas as f


def test_dsr_needs_the_minimum_sample_and_leans_to_the_category() -> None:
    assert f.dsr_x100(15, 3, 4.6) is None  # 3 reviews: 暂无评分, never 5.0
    # five 5-star reviews: (20 × 4.6 + 25) / (20 + 5) = 117 / 25 = 4.68
    assert f.dsr_x100(25, 5, 4.6) == 468
    # five 1-star reviews: (92 + 5) / 25 = 3.88, not 1.0
    assert f.dsr_x100(5, 5, 4.6) == 388
    # 200 reviews averaging 4.9 against a 4.5 category: (20 × 4.5 + 980) / 220 = 4.8636…
    assert f.dsr_x100(980, 200, 4.5) == 486


def test_category_mean_is_smoothed_toward_the_default() -> None:
    assert f.category_mean(0, 0) == pytest.approx(4.6)  # no reviews yet: the default, not 0/0
    # 100 reviews averaging 4.5: (50 × 4.6 + 450) / 150 = 4.5333…
    assert f.category_mean(450, 100) == pytest.approx(680 / 150)


def test_plain_average() -> None:
    assert f.average_x100(0, 0) is None
    assert f.average_x100(14, 3) == 467  # 4.666…


def test_quality_return_rate() -> None:
    assert f.quality_return_bp(1, 9) is None  # fewer than 10 delivered lines
    assert f.quality_return_bp(2, 40) == 500  # 5 %
    assert f.quality_return_bp(0, 10) == 0
    assert f.quality_return_bp(30, 10) == 10_000  # never above 100 %
    # smoothed: (1 + 0.01 × 50) / (50 + 50) = 0.015
    assert f.smoothed_qrr(1, 50) == pytest.approx(0.015)


def test_product_score_by_hand() -> None:
    good = f.ProductInputs(reviews=10, product_star_sum=50, delivered=50, category_prior=4.6)
    # rating (10 × 4.6 + 50) / 20 = 4.8 -> (4.8 - 1) / 4 = 0.95
    # 品退 (0 + 0.5) / 100 = 0.005 -> 1 - 0.005 / 0.10 = 0.95; complaints 1; violations 1
    # 50 × 0.95 + 25 × 0.95 + 15 + 10 = 96.25
    assert f.product_parts(good) == pytest.approx(
        {"reviews": 0.95, "quality_returns": 0.95, "complaints": 1.0, "violations": 1.0}
    )
    assert f.product_score(good) == 96
    # five quality returns: (5 + 0.5) / 100 = 0.055 -> 0.45; 47.5 + 11.25 + 25 = 83.75
    assert f.product_score(f.ProductInputs(10, 50, 50, 5, 0, 0, 4.6)) == 84
    # one upheld complaint: 1 / (50 + 50) = 0.01 -> 1 - 0.5; 6 violation points -> 0.5
    # 47.5 + 23.75 + 7.5 + 5 = 83.75
    assert f.product_score(f.ProductInputs(10, 50, 50, 0, 1, 6, 4.6)) == 84


def test_product_score_without_evidence_is_none() -> None:
    assert f.product_score(f.ProductInputs(reviews=2, product_star_sum=10, delivered=9)) is None
    assert f.product_score(f.ProductInputs(complaints=1)) is not None  # a complaint is evidence


def test_experience_score_and_band_by_hand() -> None:
    shop = f.ShopInputs(
        reviews=20,
        description_sum=100,
        service_sum=100,
        logistics_sum=100,
        prior=4.6,
        delivered=100,
        quality_returns=1,
        answered=4,
        answer_hours_sum=24,
        shipped=100,
        shipped_late=2,
        disputes_lost=0,
    )
    # DSR (92 + 100) / 40 = 4.8 -> 0.8; 品退 (1 + 0.5) / 150 = 0.01 -> 1 - 0.01 / 0.05 = 0.8
    # answer (60 + 24) / 9 = 9.3 h -> 1; on time (19 + 98) / 120 = 0.975 -> 0.875; disputes 1
    # 35 × 0.8 + 25 × 0.8 + 15 + 15 × 0.875 + 10 = 86.125
    assert f.experience_parts(shop) == pytest.approx(
        {"dsr": 0.8, "quality_returns": 0.8, "aftersales_speed": 1.0, "shipping": 0.875, "disputes": 1.0}
    )
    assert f.experience(shop) == 86
    assert f.band(86) == "excellent" and f.BAND_LABELS["excellent"] == "优秀"
    assert [f.band(s) for s in (85, 84, 70, 69, 55, 54, 0)] == [
        "excellent",
        "good",
        "good",
        "fair",
        "fair",
        "poor",
        "poor",
    ]
    assert f.band(None) is None


def test_experience_slow_answers_and_lost_disputes() -> None:
    # answers (60 + 4 × 60) / 9 = 33.3 h -> 1 - (33.3 - 12) / 36 = 0.4074; lost 1 / 150 -> 1 - 0.667
    shop = f.ShopInputs(reviews=0, delivered=100, answered=4, answer_hours_sum=240, disputes_lost=1)
    parts = f.experience_parts(shop)
    assert parts["aftersales_speed"] == pytest.approx(1 - (300 / 9 - 12) / 36)
    assert parts["disputes"] == pytest.approx(1 - (1 / 150) / 0.01)
    assert parts["shipping"] == pytest.approx(0.75)  # no shipments yet: the prior 0.95 -> 0.75


def test_new_shop_has_no_experience_score() -> None:
    assert f.experience(f.ShopInputs(reviews=4, delivered=19)) is None


def test_integrity_by_hand() -> None:
    creator = f.PromoterInputs(delivered=50, quality_returns=2, complaints=1, reviews=30, bad_reviews=3)
    # 品退 (2 + 0.5) / 100 = 0.025 -> 0.5; complaints 1 / 100 = 0.01 -> 0.5
    # bad share (20 × 0.05 + 3) / 50 = 0.08 -> 1 - 0.03 / 0.25 = 0.88; 25 + 15 + 17.6 = 57.6
    assert f.integrity(creator) == 58
    assert f.integrity(f.PromoterInputs(delivered=9)) is None


def test_equivalent_goods_and_price_index() -> None:
    attrs = frozenset({"红色", "XL"})
    peers = [
        (9_000, frozenset({"红色", "XL"})),
        (11_000, frozenset({"红色", "XL"})),
        (12_000, frozenset({"红色"})),  # similarity 1/2: close
        (50_000, frozenset({"红色", "XL"})),  # outside the price band (> 3 ×)
        (8_000, frozenset({"蓝色"})),  # not close
    ]
    assert f.peer_reference(10_000, attrs, peers) == 11_000  # median of 9,000 / 11,000 / 12,000
    # too few close peers: every peer in the band counts (8,000 9,000 11,000 12,000 -> 10,000)
    assert f.peer_reference(10_000, frozenset({"绿色"}), peers) == 10_000
    assert f.peer_reference(10_000, attrs, peers[:2]) is None
    assert f.price_index_bp(10_000, 11_000) == 9_091
    assert f.price_index_bp(10_000, None) is None


def test_overpriced_needs_both_references() -> None:
    assert f.overpriced(13_000, 11_500)
    assert not f.overpriced(13_000, 11_499)
    assert not f.overpriced(12_999, 20_000)
    assert not f.overpriced(None, 20_000)
    assert not f.overpriced(20_000, None)
    assert [f.price_label(b) for b in (9_000, 10_500, 12_000, 12_001)] == ["优秀", "良好", "一般", "较差"]
