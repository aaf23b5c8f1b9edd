"""Traffic policies: chosen by name, weights in one place; the cap, the mix and the scoring rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from laotie.core.errors import AppError
from laotie.feed.newshops import NewShopStatus
from laotie.feed.policy import POLICIES, get_policy
from laotie.feed.recommend import Candidate, capped, mix, score
from laotie.search.schemas import DocView

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


def doc(ref_id: int, shop_id: int, kind: str = "product", **over: object) -> DocView:
    base: dict[str, object] = {
        "kind": kind,
        "ref_id": ref_id,
        "shop_id": shop_id,
        "author_id": None,
        "category_id": 1,
        "title": "好货",
        "subtitle": "店",
        "cover_url": None,
        "price_fen": 9900,
        "original_price_fen": 9900,
        "sales": 10,
        "orders": 2,
        "impressions": 100,
        "popularity": 10,
        "in_stock": True,
        "free_shipping": False,
        "pay_later": False,
        "distributed": True,
        "boosted": True,
        "weight_bp": 10_000,
        "product_score": 80,
        "price_index_bp": 10_000,
        "overpriced": False,
        "dsr_x100": 470,
        "shop_band": None,
        "shop_opened_at": NOW - timedelta(days=400),
        "rank_bp": 5000,
        "published_at": NOW - timedelta(days=1),
    }
    return DocView(**{**base, **over})  # type: ignore[arg-type]


OLD = NewShopStatus(new=False, promising=False)


def scored(c: Candidate, policy: str = "laotie", status: NewShopStatus = OLD, damped: bool = False) -> float:
    score(c, get_policy(policy), status, None, damped, NOW)
    return c.score


def test_policies_are_chosen_by_name() -> None:
    assert set(POLICIES) >= {"laotie", "gmv"}
    assert get_policy().name == "laotie" and get_policy("gmv").name == "gmv"
    with pytest.raises(AppError) as refused:
        get_policy("random")
    assert refused.value.code == "UNKNOWN_POLICY"


def test_new_and_promising_merchants_are_lifted_under_laotie_only() -> None:
    new = NewShopStatus(new=True, promising=False)
    promising = NewShopStatus(new=True, promising=True, reason="early_gmv")
    base = scored(Candidate(doc(1, 1)))
    assert scored(Candidate(doc(1, 1)), status=new) > base
    assert scored(Candidate(doc(1, 1)), status=promising) > scored(Candidate(doc(1, 1)), status=new)
    assert scored(Candidate(doc(1, 1)), "gmv", status=promising) == scored(Candidate(doc(1, 1)), "gmv")
    c = Candidate(doc(1, 1))
    scored(c, status=promising)
    assert [r.code for r in c.reasons][:2] == ["new_merchant", "promising"]


def test_free_shipping_and_pay_later_lift_and_say_so() -> None:
    plain = scored(Candidate(doc(1, 1)))
    c = Candidate(doc(1, 1, free_shipping=True, pay_later=True))
    assert scored(c) > plain
    assert {"free_shipping", "pay_later"} <= {r.code for r in c.reasons}


def test_consequences_throttle_under_laotie() -> None:
    plain = scored(Candidate(doc(1, 1)))
    assert scored(Candidate(doc(1, 1, weight_bp=2000))) == pytest.approx(plain * 0.2)
    sunk = Candidate(doc(1, 1, boosted=False, free_shipping=True))
    assert scored(sunk) < plain * 0.6 and "free_shipping" not in {r.code for r in sunk.reasons}
    assert scored(Candidate(doc(1, 1)), damped=True) == pytest.approx(plain * get_policy().exposure_damping)


def test_gmv_ranks_by_expected_gmv_alone() -> None:
    cheap = scored(Candidate(doc(1, 1, price_fen=990, product_score=99)), "gmv")
    dear = scored(Candidate(doc(2, 1, price_fen=99000, product_score=20)), "gmv")
    assert dear > cheap


def test_follows_lead_with_their_reason() -> None:
    c = Candidate(doc(1, 1), sources={"follow"})
    assert scored(c) > scored(Candidate(doc(1, 1)))
    assert c.reasons[0].label == "你关注的店铺或主播"


def test_cap_limits_a_shop_per_page_and_fills_when_nothing_else_is_left() -> None:
    ranked = [Candidate(doc(i, 1)) for i in range(8)] + [Candidate(doc(100 + i, 2 + i)) for i in range(4)]
    pages = capped(ranked, 5, 0.2)
    first = [c.doc.shop_id for c in pages[:5]]
    assert first.count(1) == 1 and len(first) == 5
    assert len(pages) == len(ranked)
    assert [c.doc.shop_id for c in capped([Candidate(doc(i, 1)) for i in range(3)], 5, 0.2)] == [1, 1, 1]
    assert capped(ranked, 5, 1.0) == ranked


def test_mix_puts_live_and_video_in_their_slots() -> None:
    p = [Candidate(doc(i, i)) for i in range(8)]
    lv = [Candidate(doc(50, 50, "live"))]
    vd = [Candidate(doc(60, 60, "video")), Candidate(doc(61, 61, "video"))]
    kinds = [c.doc.kind for c in mix(p, lv, vd)]
    assert kinds[:5] == ["product", "product", "live", "product", "video"]
    assert kinds.count("video") == 2 and len(kinds) == 11
