"""Bad input: a stable code, a reason the buyer can read, and nothing moved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.errors import AppError
from laotie.orders import service as orders
from laotie.orders.models import Order
from laotie.promotions import service as promotions
from laotie.promotions.models import Budget, BuyerCoupon, Coupon
from tests.factories.addresses import make_address
from tests.factories.orders import OnSale, checkout_body, key, make_buyer, make_on_sale
from tests.factories.promotions import claim, deal, platform_coupon, shop_coupon, subsidy


def _refused(session: Session, buyer, body, code: str) -> AppError:  # type: ignore[no-untyped-def]
    with pytest.raises(AppError) as caught:
        orders.checkout(session, buyer.principal, body, key())
    assert caught.value.code == code, caught.value
    assert caught.value.message("zh") and "{" not in caught.value.message("zh")
    session.rollback()
    return caught.value


def _nothing_moved(session: Session, sale: OnSale, stock: int = 100) -> None:
    assert session.scalar(select(func.count()).select_from(Order)) == 0
    assert catalog.skus_for_sale(session, [sale.sku_id])[sale.sku_id].stock == stock


def test_coupon_past_validity(session: Session) -> None:
    sale = make_on_sale(session)
    buyer = make_buyer(session)
    wallet = claim(session, buyer.principal, shop_coupon(session, sale.shop_id, cut_fen=500, days=1).id)
    body = checkout_body(buyer, (sale, 1)).model_copy(update={"coupon_ids": [wallet.id]})
    with clock.travel(timedelta(days=2)):
        _refused(session, buyer, body, "COUPON_EXPIRED")
    _nothing_moved(session, sale)
    assert session.get(BuyerCoupon, wallet.id).status == "available"  # type: ignore[union-attr]


def test_coupon_not_yours(session: Session) -> None:
    sale = make_on_sale(session)
    owner, thief = make_buyer(session), make_buyer(session)
    wallet = claim(session, owner.principal, shop_coupon(session, sale.shop_id, cut_fen=500).id)
    body = checkout_body(thief, (sale, 1)).model_copy(update={"coupon_ids": [wallet.id]})
    _refused(session, thief, body, "COUPON_NOT_YOURS")
    _nothing_moved(session, sale)


def test_coupon_below_threshold_and_for_another_shop(session: Session) -> None:
    sale = make_on_sale(session, price_fen=9900)
    other = make_on_sale(session)
    buyer = make_buyer(session)
    wallet = claim(
        session, buyer.principal, shop_coupon(session, sale.shop_id, threshold_fen=19900, cut_fen=2000).id
    )
    body = checkout_body(buyer, (sale, 1)).model_copy(update={"coupon_ids": [wallet.id]})
    err = _refused(session, buyer, body, "COUPON_THRESHOLD_NOT_MET")
    assert "¥199" in err.message("zh") and err.details["threshold_fen"] == 19900
    body = checkout_body(buyer, (other, 1)).model_copy(update={"coupon_ids": [wallet.id]})
    _refused(session, buyer, body, "COUPON_NOT_APPLICABLE")
    _nothing_moved(session, sale)


def test_coupon_used_twice_and_two_of_one_funder(session: Session) -> None:
    sale = make_on_sale(session)
    buyer = make_buyer(session)
    first = claim(session, buyer.principal, shop_coupon(session, sale.shop_id, cut_fen=500).id)
    second = claim(session, buyer.principal, shop_coupon(session, sale.shop_id, cut_fen=800).id)
    body = checkout_body(buyer, (sale, 1)).model_copy(update={"coupon_ids": [first.id, second.id]})
    _refused(session, buyer, body, "COUPON_STACKING")
    body = checkout_body(buyer, (sale, 1)).model_copy(update={"coupon_ids": [first.id]})
    orders.checkout(session, buyer.principal, body, key())
    session.commit()
    _refused(session, buyer, body, "COUPON_ALREADY_USED")
    assert session.scalar(select(func.count()).select_from(Order)) == 1


def test_claim_over_the_per_buyer_limit_and_total(session: Session) -> None:
    sale = make_on_sale(session)
    buyer, late = make_buyer(session), make_buyer(session)
    coupon = shop_coupon(session, sale.shop_id, cut_fen=500, total=2, per_buyer=2)
    claim(session, buyer.principal, coupon.id)
    claim(session, buyer.principal, coupon.id)
    for who, code in ((buyer, "COUPON_LIMIT_REACHED"), (late, "COUPON_SOLD_OUT")):
        with pytest.raises(AppError) as caught:
            promotions.claim(session, who.principal, coupon.id)
        assert caught.value.code == code
        session.rollback()
    assert session.get(Coupon, coupon.id).issued_count == 2  # type: ignore[union-attr]
    assert session.scalar(select(func.count()).select_from(BuyerCoupon)) == 2


def test_subsidy_over_budget_refuses_and_moves_nothing(session: Session) -> None:
    sale = make_on_sale(session, price_fen=10000)
    buyer = make_buyer(session)
    sub = subsidy(session, sale.sku_id, per_unit_fen=1000, budget_fen=2500)
    pc = claim(session, buyer.principal, platform_coupon(session, 0, 100, budget_fen=100_000).id)
    # The quote for 3 pieces no longer offers the subsidy (3000 > 2500): a checkout racing a quote
    # that did is refused at claim time; here the pricing simply leaves it out.
    body = checkout_body(buyer, (sale, 3)).model_copy(update={"coupon_ids": [pc.id]})
    placed = orders.checkout(session, buyer.principal, body, key())
    assert placed.orders[0].payable_fen == 30000 - 100
    session.rollback()
    # Spend the budget down behind pricing's back, then a checkout relying on it is refused.
    from laotie.promotions import claims
    from laotie.promotions.offers import load_book
    from laotie.promotions.pricing import CartLine

    book = load_book(session, [sale.sku_id], [sale.shop_id], clock.now())
    priced = promotions.price_cart(
        session,
        book,
        buyer.user_id,
        [CartLine(sale.sku_id, sale.product_id, sale.shop_id, 10000, 2)],
        [pc.id],
        None,
        False,
        clock.now(),
    )
    session.execute(Budget.__table__.update().where(Budget.id == sub.budget_id).values(spent_fen=2000))  # type: ignore[attr-defined]
    with pytest.raises(AppError) as caught:
        claims.reserve(session, buyer.user_id, {}, priced, clock.now())
    assert caught.value.code == "SUBSIDY_BUDGET_EXHAUSTED"
    assert session.get(BuyerCoupon, pc.id).status == "available"  # type: ignore[union-attr]
    session.rollback()
    assert session.get(Budget, sub.budget_id).spent_fen == 0  # type: ignore[union-attr]


def test_one_yuan_deal_first_order_only_and_one_per_address_or_phone(session: Session) -> None:
    sale = make_on_sale(session, price_fen=2990)
    deal(session, sale.sku_id)
    first = make_buyer(session)
    placed = orders.checkout(session, first.principal, checkout_body(first, (sale, 1)), key())
    session.commit()
    assert placed.orders[0].payable_fen == 100
    # A second order of the same buyer is no longer a first order: full price, no error.
    again = orders.checkout(session, first.principal, checkout_body(first, (sale, 1)), key())
    session.commit()
    assert again.orders[0].payable_fen == 2990
    # A new account shipping to the same address (typed differently) is refused.
    twin = make_buyer(session)
    snapshot = orders.buyer_order(session, first.principal, placed.orders[0].id).address
    same_place = make_address(
        session,
        twin.user_id,
        phone="13912345678",
        detail=" " + str(snapshot["detail"]).replace("号", " 号") + "。",
    )
    session.commit()
    body = checkout_body(twin, (sale, 1)).model_copy(update={"address_id": same_place.id})
    err = _refused(session, twin, body, "NEW_BUYER_DEAL_REFUSED")
    assert "一元购" in err.message("zh") or "限" in err.message("zh")
    # The same phone at another address is refused too.
    other = make_buyer(session)
    elsewhere = make_address(session, other.user_id, phone=str(snapshot["phone"]), detail="另一条街88号")
    session.commit()
    body = checkout_body(other, (sale, 1)).model_copy(update={"address_id": elsewhere.id})
    _refused(session, other, body, "NEW_BUYER_DEAL_REFUSED")
