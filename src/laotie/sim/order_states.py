"""Orders in every state for the first demo buyer, so that a visitor who logs in as 13600000001 can
try 确认收货, 退货退款 and 去支付 at once, and the merchant of the first shop has one of each to
handle: 待付款, 待发货, 运输中 (with a tracking number), 已签收, 已完成, 售后中 and 已退款.

Each order goes through the real services: checkout, the sandbox PSP and its webhook, the merchant
shipping with a carrier's number, the carrier's 签收, the buyer's 确认收货 and 售后 cases. Checkouts
carry fixed idempotency keys: a second run finds them and moves nothing again.
"""

from __future__ import annotations

from datetime import timedelta

from laotie.aftersales import service as aftersales
from laotie.aftersales.schemas import CaseIn, CaseKind, CaseReason
from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.orders import service as orders
from laotie.orders.schemas import Attribution, OrderStatus
from laotie.sim.cashier import Cashier, at
from laotie.sim.commerce import MarketShop, stocked_sku
from laotie.sim.people import Shopper

# (key, where it ends); in the order they are placed, so that 我的订单 lists 待付款 first.
STATES = ("refunded", "aftersales", "completed", "delivered", "shipped", "paid", "pending")


def _ship(db: Database, shop: MarketShop, order_id: int, days_ago: float) -> None:
    with at(clock.now() - timedelta(days=days_ago)), unit_of_work(db) as session:
        orders.fulfilment.ship(session, shop.owner, shop.shop_id, order_id, "中通快递", f"7{order_id:013d}")
        session.commit()


def _deliver(db: Database, order_id: int, days_ago: float) -> None:
    with at(clock.now() - timedelta(days=days_ago)), unit_of_work(db) as session:
        orders.fulfilment.mark_delivered(session, order_id)
        session.commit()


def _case(db: Database, buyer: Shopper, order_id: int, kind: CaseKind, reason: CaseReason, key: str) -> None:
    body = CaseIn(order_id=order_id, kind=kind, reason=reason, description="演示：买家申请售后")
    with unit_of_work(db) as session:
        aftersales.open_case(session, buyer.principal, body, key)
        session.commit()


def _advance(
    db: Database, cashier: Cashier, shop: MarketShop, buyer: Shopper, state: str, order_id: int
) -> None:
    """Take a freshly paid order to ``state``, as the merchant, the carrier and the buyer would."""
    if state in ("shipped", "delivered", "completed", "aftersales"):
        _ship(db, shop, order_id, 0.2 if state == "shipped" else 3)
    if state in ("delivered", "completed", "aftersales"):
        _deliver(db, order_id, 1)
    if state == "completed":
        with unit_of_work(db) as session:
            orders.fulfilment.confirm_receipt(session, buyer.principal, order_id)
            session.commit()
    if state == "aftersales":
        _case(db, buyer, order_id, CaseKind.RETURN, CaseReason.NO_REASON, f"demo-state-case-{order_id}")
    if state == "refunded":  # 仅退款 before shipping: refunded at once, no merchant step
        _case(
            db, buyer, order_id, CaseKind.REFUND_ONLY, CaseReason.CHANGED_MIND, f"demo-state-case-{order_id}"
        )
    cashier.deliver()  # the refund's webhook
    cashier.settle()


def seed_order_states(db: Database, cashier: Cashier, shop: MarketShop, buyer: Shopper) -> bool:
    """One order of ``shop``'s first stocked product per state for ``buyer``; whether any was new."""
    with unit_of_work(db, read_only=True) as session:
        skus = [s for p in shop.products if (s := stocked_sku(catalog.get_listed(session, p.id), 20))]
    if not skus:
        return False
    changed = False
    for n, state in enumerate(STATES):
        sku = skus[n % len(skus)]
        key = f"demo-state-{shop.shop_id}-{buyer.principal.user_id}-{state}"
        with unit_of_work(db) as session:
            placed = cashier.place(
                session, buyer.principal, buyer.address_id, [(sku.id, 1, sku.price_fen)], Attribution(), key
            )
            # a repeated checkout answers with the stored placement: ask for the order as it is now
            now = orders.buyer_order(session, buyer.principal, placed.orders[0].id).status
            fresh = now == OrderStatus.PENDING_PAYMENT and state != "pending"
            session.commit()
        if not fresh:
            continue  # seeded before (or left unpaid on purpose)
        cashier.pay(buyer.principal, placed.checkout_id, f"{key}-pay")
        cashier.settle()  # the outbox marks the order paid
        _advance(db, cashier, shop, buyer, state, placed.orders[0].id)
        changed = True
    return changed
