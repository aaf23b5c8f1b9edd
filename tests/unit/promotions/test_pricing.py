"""The pure pricing function: stacking order, who funds what, exact allocation, and its bounds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from laotie.promotions.pricing import (
    PLATFORM,
    SHOP,
    CampaignPrice,
    CartLine,
    CouponOffer,
    DealOffer,
    MultiBuyOffer,
    Offers,
    SubsidyOffer,
    allocate,
    price,
)


def _line(sku: int, shop: int, unit: int, qty: int, product: int | None = None) -> CartLine:
    return CartLine(sku, product or sku, shop, unit, qty)


def _shop_coupon(
    bc: int, shop: int, threshold: int, cut: int = 0, bp: int = 0, cap: int | None = None
) -> CouponOffer:
    return CouponOffer(bc, 100 + bc, shop, SHOP, threshold, cut, bp, cap)


def _platform_coupon(bc: int, threshold: int, cut: int, budget_left: int | None = None) -> CouponOffer:
    return CouponOffer(
        bc, 200 + bc, None, PLATFORM, threshold, cut, 0, None, 9 if budget_left else None, budget_left
    )


def test_no_offers_is_list_price() -> None:
    out = price([_line(1, 1, 9900, 2)], Offers())
    assert [p.final_fen for p in out.lines] == [19800]
    assert out.discount_fen == 0


def test_allocate_is_exact_and_largest_remainder() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(10, [5, 3, 2]) == [5, 3, 2]
    assert sum(allocate(999, [7, 13, 101, 1])) == 999
    assert allocate(0, [3, 4]) == [0, 0]


def test_threshold_cut_spreads_pro_rata_and_names_the_shop() -> None:
    # 满199减20 on 150 + 100 = 250: the cut splits by headroom (14999 / 9999 fen of 24998)
    cart = [_line(1, 7, 15000, 1), _line(2, 7, 10000, 1)]
    out = price(cart, Offers(coupons=[_shop_coupon(1, 7, 19900, cut=2000)]))
    cuts = [p.discounts[0].amount_fen for p in out.lines]
    assert sum(cuts) == 2000
    assert cuts == [1200, 800]
    assert all(d.funded_by == SHOP and d.kind == "shop_coupon" for p in out.lines for d in p.discounts)
    assert out.final_fen == 23000


def test_below_threshold_the_coupon_is_unused() -> None:
    out = price([_line(1, 7, 10000, 1)], Offers(coupons=[_shop_coupon(1, 7, 19900, cut=2000)]))
    assert out.discount_fen == 0
    assert out.unused_coupons == [1]


def test_percentage_coupon_with_cap() -> None:
    out = price([_line(1, 7, 50000, 1)], Offers(coupons=[_shop_coupon(1, 7, 0, bp=2000, cap=5000)]))
    assert out.discount_fen == 5000  # 20% of 500 = 100, capped at 50


def test_stacking_order_campaign_subsidy_multibuy_shop_then_platform_coupon() -> None:
    cart = [_line(1, 7, 10000, 2), _line(2, 7, 5000, 1), _line(3, 8, 8000, 1)]
    offers = Offers(
        campaign={1: CampaignPrice(item_id=11, campaign_id=5, price_fen=9000)},
        subsidy={1: SubsidyOffer(21, 1000, "百亿补贴", 3, None)},
        multibuys=[MultiBuyOffer(31, 7, SHOP, ((2, 1000), (3, 2000)), None)],
        coupons=[_shop_coupon(1, 7, 10000, cut=1000), _platform_coupon(2, 10000, 500)],
    )
    out = price(cart, offers)
    first = out.lines[0]
    assert [d.kind for d in first.discounts] == [
        "campaign",
        "subsidy",
        "multibuy",
        "shop_coupon",
        "platform_coupon",
    ]
    assert first.discounts[0].amount_fen == 2000  # (100 - 90) x 2, shop-funded
    assert first.discounts[1].amount_fen == 2000 and first.discounts[1].funded_by == PLATFORM
    # shop 7 has 3 pieces: 20% off (16000 + 5000) = 4200, spread by headroom
    assert sum(d.amount_fen for p in out.lines[:2] for d in p.discounts if d.kind == "multibuy") == 4200
    assert sum(d.amount_fen for p in out.lines for d in p.discounts if d.kind == "platform_coupon") == 500
    assert out.lines[2].discounts[-1].kind == "platform_coupon"  # spread over both shops
    assert out.final_fen == out.list_fen - out.discount_fen
    assert out.funded(PLATFORM) == 2000 + 500


def test_multibuy_only_on_chosen_products_and_best_tier() -> None:
    cart = [_line(1, 7, 1000, 2, product=1), _line(2, 7, 1000, 5, product=2)]
    mb = MultiBuyOffer(31, 7, SHOP, ((2, 1000), (3, 2000)), frozenset({1}))
    out = price(cart, Offers(multibuys=[mb]))
    assert out.lines[0].discount_fen == 200  # 2 pieces: 10%
    assert out.lines[1].discount_fen == 0


def test_subsidy_over_the_remaining_budget_is_not_offered() -> None:
    cart = [_line(1, 7, 10000, 3)]
    out = price(cart, Offers(subsidy={1: SubsidyOffer(21, 1000, "百亿补贴", 3, 2999)}))
    assert out.discount_fen == 0
    out = price(cart, Offers(subsidy={1: SubsidyOffer(21, 1000, "百亿补贴", 3, 3000)}))
    assert out.discount_fen == 3000


def test_one_yuan_deal_stacks_with_nothing() -> None:
    cart = [_line(1, 7, 2990, 1), _line(2, 7, 10000, 2)]
    offers = Offers(
        deals={1: DealOffer(41, 100)},
        multibuys=[MultiBuyOffer(31, 7, SHOP, ((2, 1000),), None)],
        coupons=[_platform_coupon(2, 0, 500)],
    )
    out = price(cart, offers)
    deal = out.lines[0]
    assert deal.final_fen == 100 and [d.kind for d in deal.discounts] == ["new_buyer_deal"]
    assert deal.discounts[0].funded_by == PLATFORM
    assert {d.kind for d in out.lines[1].discounts} == {"multibuy", "platform_coupon"}


def test_no_line_goes_below_one_fen() -> None:
    cart = [_line(1, 7, 1, 1), _line(2, 7, 300, 1)]
    out = price(cart, Offers(coupons=[_shop_coupon(1, 7, 0, cut=10_000)]))
    assert [p.final_fen for p in out.lines] == [1, 1]
    assert out.discount_fen == 299


# Property: for any basket and promotions, 1 fen per line <= what is paid <= list total, and the parts
# add up exactly to the whole.

units = st.integers(min_value=1, max_value=200_000)
lines_st = st.lists(
    st.tuples(st.integers(1, 6), st.integers(1, 3), units, st.integers(1, 5)),
    min_size=1,
    max_size=10,
    unique_by=lambda t: t[0],
)


@st.composite
def offers_st(draw: st.DrawFn) -> Offers:
    skus = range(1, 7)
    campaign = {s: CampaignPrice(s, 1, draw(st.integers(1, 200_000))) for s in skus if draw(st.booleans())}
    subsidy = {
        s: SubsidyOffer(
            s, draw(st.integers(1, 50_000)), "百亿补贴", 1, draw(st.none() | st.integers(0, 10**6))
        )
        for s in skus
        if draw(st.booleans())
    }
    multibuys = [
        MultiBuyOffer(
            i,
            shop,
            draw(st.sampled_from([SHOP, PLATFORM])),
            ((2, draw(st.integers(1, 5000))), (3, 6000)),
            None,
        )
        for i, shop in enumerate(draw(st.lists(st.integers(1, 3), max_size=3)))
    ]
    coupons = [
        CouponOffer(
            i,
            i,
            shop,
            SHOP if shop else PLATFORM,
            draw(st.integers(0, 300_000)),
            cut,
            0 if cut else draw(st.integers(1, 9000)),
            draw(st.none() | st.integers(1, 100_000)),
        )
        for i, (shop, cut) in enumerate(
            draw(st.lists(st.tuples(st.none() | st.integers(1, 3), st.integers(0, 400_000)), max_size=4)),
            start=1,
        )
    ]
    deals = {s: DealOffer(s, draw(st.integers(1, 500))) for s in skus if draw(st.integers(0, 9)) == 0}
    return Offers(campaign, subsidy, multibuys, coupons, deals)


@settings(max_examples=300, deadline=None)
@given(lines_st, offers_st())
def test_buyer_never_pays_below_one_fen_per_line_nor_above_list(
    raw: list[tuple[int, int, int, int]], offers: Offers
) -> None:
    cart = [CartLine(sku, sku, shop, unit, qty) for sku, shop, unit, qty in raw]
    out = price(cart, offers)
    assert len(out.lines) >= 1
    for p in out.lines:
        assert all(d.amount_fen > 0 for d in p.discounts)
        assert 1 <= p.final_fen <= p.list_fen
        assert p.final_fen == p.list_fen - sum(d.amount_fen for d in p.discounts)
        assert p.funded(SHOP) + p.funded(PLATFORM) == p.discount_fen
        if p.deal:
            assert [d.kind for d in p.discounts] == ["new_buyer_deal"]
        kinds = [d.kind for d in p.discounts]
        assert kinds.count("shop_coupon") <= 1 and kinds.count("platform_coupon") <= 1
    assert out.final_fen == out.list_fen - out.discount_fen
    assert 0 <= out.final_fen <= out.list_fen
