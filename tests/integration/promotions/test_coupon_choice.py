"""The buyer's coupons sorted for a cart: usable ones, the others with why not, and the combination
that saves most, which is not always the biggest shop coupon (the platform coupon's threshold is
measured after the shop coupons)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.orders import service as orders
from laotie.promotions import service as promotions
from laotie.promotions.models import Coupon
from laotie.promotions.pricing import CartLine, CouponOffer, Offers
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale
from tests.factories.promotions import claim, platform_coupon, shop_coupon


def test_best_combination_gives_up_the_bigger_shop_coupon_to_keep_the_platform_one(session: Session) -> None:
    sale = make_on_sale(session, price_fen=20000)
    other = make_on_sale(session, price_fen=5000)
    buyer = make_buyer(session)
    big = claim(session, buyer.principal, shop_coupon(session, sale.shop_id, 10000, cut_fen=3000).id)
    small = claim(session, buyer.principal, shop_coupon(session, sale.shop_id, 10000, cut_fen=1000).id)
    plat = claim(session, buyer.principal, platform_coupon(session, 18000, 5000, budget_fen=100_000).id)
    far = claim(session, buyer.principal, shop_coupon(session, sale.shop_id, 50000, cut_fen=5000).id)
    elsewhere = claim(session, buyer.principal, shop_coupon(session, other.shop_id, 0, cut_fen=500).id)
    gone = claim(session, buyer.principal, shop_coupon(session, sale.shop_id, 0, cut_fen=800).id)
    session.execute(
        update(Coupon)
        .where(Coupon.id == gone.coupon.id)
        .values(valid_until=clock.now() - timedelta(minutes=1))
    )
    session.flush()
    cart = [CartLine(sale.sku_id, sale.product_id, sale.shop_id, 20000, 1)]

    choices = promotions.coupon_choices(session, buyer.user_id, cart, clock.now())

    # 30 off alone leaves 170 < 180: the platform coupon is lost, 170 payable; 10 off keeps it: 140.
    assert choices.best == sorted([small.id, plat.id])
    assert choices.best_payable_fen == 14000
    assert sorted(choices.usable) == sorted([big.id, small.id, plat.id])
    why = {u.buyer_coupon_id: u for u in choices.unusable}
    assert why[far.id].reason == "short" and why[far.id].short_fen == 30000
    assert why[elsewhere.id].reason == "other_shop" and why[elsewhere.id].shop_id == other.shop_id
    assert why[gone.id].reason == "expired"
    assert choices.scope[plat.id] is None and choices.scope[small.id] == sale.shop_id

    # What the page proposes is what the order charges.
    body = checkout_body(buyer, (sale, 1)).model_copy(update={"coupon_ids": choices.best})
    placed = orders.checkout(session, buyer.principal, body, key())
    assert placed.orders[0].payable_fen == 14000


def test_not_yet_valid_and_nothing_in_the_wallet(session: Session) -> None:
    sale = make_on_sale(session, price_fen=3000)
    buyer = make_buyer(session)
    cart = [CartLine(sale.sku_id, sale.product_id, sale.shop_id, 3000, 2)]
    empty = promotions.coupon_choices(session, buyer.user_id, cart, clock.now())
    assert empty.best == [] and empty.usable == [] and empty.best_payable_fen == 6000
    later = claim(session, buyer.principal, shop_coupon(session, sale.shop_id, 0, cut_fen=500).id)
    starts = clock.now() + timedelta(days=2)
    session.execute(update(Coupon).where(Coupon.id == later.coupon.id).values(valid_from=starts))
    session.flush()
    choices = promotions.coupon_choices(session, buyer.user_id, cart, clock.now())
    assert [(u.buyer_coupon_id, u.reason) for u in choices.unusable] == [(later.id, "not_yet")]
    assert choices.best == [] and choices.best_payable_fen == 6000


def _coupon(bc: int, shop: int | None, threshold: int, cut: int) -> CouponOffer:
    return CouponOffer(bc, bc, shop, "shop" if shop else "platform", threshold, cut, 0, None)


def test_best_combination_is_one_per_shop_and_one_platform_and_never_worse_than_greedy() -> None:
    cart = [CartLine(1, 1, 7, 6000, 1), CartLine(2, 2, 8, 4000, 1)]
    usable = [
        _coupon(1, 7, 5000, 1000),
        _coupon(2, 7, 0, 600),
        _coupon(3, 8, 3000, 700),
        _coupon(4, None, 8500, 1500),
        _coupon(5, None, 0, 200),
    ]
    ids, payable = promotions.best_combination(cart, Offers(), usable)
    # Greedy (1, 3) leaves 8300 < 8500 and only the 2-fen platform coupon fits: 8100.
    # (2, 3, 4): 10000 - 600 - 700 = 8700 >= 8500, less 1500 = 7200. (1, 4) = 7500, (2, 4) = 7900.
    assert (ids, payable) == ([2, 3, 4], 7200)
    assert promotions.best_combination(cart, Offers(), []) == ([], 10000)
