"""After payment: shipping, delivery, receipt, and what each step books in the ledger.

Money (house rule 4, the spine in ARCHITECTURE.md):
- pay now: the buyer's payment sits in platform clearing (booked by payments, per checkout);
- pay after use: when the goods ship the platform fronts the money, Dr pay-later receivable /
  Cr clearing, and charges the buyer after receipt; the merchant is paid either way;
- completion: clearing -> the shop's pending balance, less the platform fee (by category), of which
  the growth-fund share is set aside for merchants;
- settlement, once the return window has passed: pending -> available.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from laotie.addresses import service as addresses
from laotie.addresses.schemas import AddressSnapshot
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.money import share_of
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.ledger.schemas import Posting, TransactionKind
from laotie.logistics import service as logistics
from laotie.orders import access, attribution, lifecycle, paylater
from laotie.orders.models import Order, OrderEventKind, OrderLine, OrderStatus, PayMode
from laotie.settings import get_settings

S = OrderStatus


def shipping_label(session: Session, principal: Principal, shop_id: int, order_id: int) -> AddressSnapshot:
    """The full address, for printing a label: every call is written to the audit log."""
    order = access.shop_order(session, principal, shop_id, order_id)
    return addresses.reveal_for_shipping(
        session,
        order.address,
        actor_user_id=principal.user_id,
        shop_id=shop_id,
        order_ref=f"order:{order.id}",
    )


def ship(
    session: Session, principal: Principal, shop_id: int, order_id: int, carrier: str, tracking_no: str
) -> None:
    order = access.shop_order(session, principal, shop_id, order_id)
    carrier, tracking_no = logistics.check_waybill(carrier, tracking_no)  # bad input moves nothing
    lifecycle.move(
        session,
        order.id,
        S.SHIPPED,
        principal.user_id,
        OrderEventKind.SHIPPED,
        f"{logistics.carrier_name(carrier)} {tracking_no}",
        {"carrier": carrier, "tracking_no": tracking_no},
    )
    logistics.create_shipment(
        session,
        order_id=order.id,
        shop_id=order.shop_id,
        buyer_id=order.buyer_id,
        carrier=carrier,
        tracking_no=tracking_no,
        address=order.address,
    )
    credit = order.payable_fen - order.refunded_fen  # price protection given before shipping
    if order.pay_mode == PayMode.PAY_LATER and credit > 0:
        ledger.post(
            session,
            kind=TransactionKind.PAY_LATER_CREDIT,
            reference_type="order",
            reference_id=order.id,
            postings=[
                Posting(K.PAY_LATER_RECEIVABLE, credit),
                Posting(K.PLATFORM_CLEARING, -credit),
            ],
            idempotency_key=f"orders:pay-later-credit:{order.id}",
            memo="先用后付：平台垫付",
        )


def _shop_funded(discounts: list[dict[str, object]] | None) -> int:
    return sum(int(d["amount_fen"]) for d in discounts or [] if d.get("funded_by") == "shop")  # type: ignore[call-overload]


def platform_fee(session: Session, order_id: int) -> int:
    """The fee is on what the merchant sells at: line totals less the discounts the shop funds
    (platform-funded discounts are paid to the merchant, so the fee is due on them too)."""
    lines = session.execute(
        select(OrderLine.line_total_fen, OrderLine.discounts, OrderLine.fee_rate_bp).where(
            OrderLine.order_id == order_id
        )
    ).all()
    return sum(share_of(total - _shop_funded(discounts), rate) for total, discounts, rate in lines)


def completion_postings(session: Session, order: Order) -> list[Posting]:
    """The legs of an order's completion, a plain list (after-sales reverses them pro rata,
    affiliate adds a commission leg):
    Dr clearing (what the buyer paid) + Dr subsidy expense (what the platform funded)
    = Cr shop pending (both, less the fee) + Cr fee revenue + Cr growth fund."""
    fee = platform_fee(session, order.id)
    growth = share_of(fee, get_settings().growth_fund_share_bp)
    subsidy = order.subsidy_fen
    commission = attribution.commission_fen(
        session, order.id, order.creator_id
    )  # 好物联盟, 0 without a creator
    return [
        Posting(K.PLATFORM_CLEARING, order.payable_fen),
        Posting(K.SUBSIDY_EXPENSE, subsidy),
        Posting(K.SHOP_PENDING, -(order.payable_fen + subsidy - fee - commission), owner_id=order.shop_id),
        Posting(K.PLATFORM_FEE_REVENUE, -(fee - growth)),
        Posting(K.GROWTH_FUND, -growth),
        *attribution.commission_postings(order, commission),  # creator commission, from the shop's share
    ]


def _completed(session: Session, order_id: int) -> None:
    order = lifecycle.load(session, order_id)
    ledger.post(
        session,
        kind=TransactionKind.ORDER_COMPLETED,
        reference_type="order",
        reference_id=order.id,
        postings=completion_postings(session, order),
        idempotency_key=f"orders:completed:{order.id}",
        memo="确认收货：货款进入待结算",
    )
    if order.refunded_fen:
        # Refunds made before completion came out of clearing; take the same share back out of what
        # completion just distributed, so clearing holds nothing for the order (same transaction).
        net = ledger.net_for(session, "order", order.id)
        ledger.post(
            session,
            kind=TransactionKind.REFUND_REVERSAL,
            reference_type="order",
            reference_id=order.id,
            postings=[
                *ledger.reversal_postings(net, order.refunded_fen),
                Posting(K.PLATFORM_CLEARING, -order.refunded_fen),
            ],
            idempotency_key=f"orders:completed-refunds:{order.id}",
            memo="确认收货前已退款部分冲回",
        )
    if order.pay_mode == PayMode.PAY_LATER:
        paylater.charge(session, order)


def confirm_receipt(session: Session, buyer: Principal, order_id: int) -> None:
    order = access.own_order(session, buyer, order_id)
    lifecycle.move(session, order.id, S.COMPLETED, buyer.user_id, OrderEventKind.RECEIPT_CONFIRMED)
    _completed(session, order.id)


def mark_delivered(session: Session, order_id: int) -> bool:
    """The carrier reported 签收 (``ShipmentDelivered`` from logistics): idempotent."""
    return lifecycle.move(
        session, order_id, S.DELIVERED, None, OrderEventKind.DELIVERED, "承运商签收", strict=False
    )


def deliver_shipped(session: Session, limit: int = 500) -> list[int]:
    """Poll the carriers now and mark the orders they delivered (the ``ShipmentDelivered`` handler
    does the same after commit; whichever comes first wins, the other changes nothing)."""
    return [i for i in logistics.poll_tracking(session, limit) if mark_delivered(session, i)]


def auto_confirm(session: Session, limit: int = 500) -> list[int]:
    """Delivered orders the buyer never confirmed complete themselves after ``auto_confirm_days``."""
    cutoff = clock.now() - timedelta(days=get_settings().auto_confirm_days)
    ids = session.scalars(
        select(Order.id)
        .where(Order.status == S.DELIVERED, Order.delivered_at <= cutoff)
        .order_by(Order.id)
        .limit(limit)
    ).all()
    done = []
    for order_id in ids:
        if lifecycle.move(
            session,
            order_id,
            S.COMPLETED,
            None,
            OrderEventKind.AUTO_CONFIRMED,
            "超时自动确认收货",
            strict=False,
        ):
            _completed(session, order_id)
            done.append(order_id)
    return done


def settle_due(session: Session, limit: int = 500) -> list[int]:
    """Once the return window has passed, a completed order's money becomes available to its shop."""
    cutoff = clock.now() - timedelta(days=get_settings().return_window_days)
    rows = session.execute(
        select(Order.id, Order.shop_id, Order.creator_id)
        .where(
            Order.status == S.COMPLETED,
            Order.settled_at.is_(None),
            func.coalesce(Order.delivered_at, Order.completed_at) <= cutoff,
        )
        .order_by(Order.id)
        .limit(limit)
    ).all()
    settled = []
    for order_id, shop_id, creator_id in rows:
        won = session.execute(
            update(Order)
            .where(Order.id == order_id, Order.settled_at.is_(None))
            .values(settled_at=clock.now())
        )
        if won.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another runner settled it
        # What is pending for the order now, read from the ledger: completion less any refund reversed
        # since (the shop's share, and the creator's commission, each reversed pro rata).
        nets = ledger.net_for(session, "order", order_id)
        net = -nets.get((K.SHOP_PENDING, shop_id), 0)
        commission = -nets.get((K.COMMISSION_PAYABLE, creator_id), 0) if creator_id is not None else 0
        if net <= 0 and commission <= 0:
            continue
        ledger.post(
            session,
            kind=TransactionKind.ORDER_SETTLED,
            reference_type="order",
            reference_id=order_id,
            postings=[
                *(
                    [
                        Posting(K.SHOP_PENDING, net, owner_id=shop_id),
                        Posting(K.SHOP_AVAILABLE, -net, owner_id=shop_id),
                    ]
                    if net > 0
                    else []
                ),
                *attribution.settlement_postings(creator_id, max(commission, 0)),
            ],
            idempotency_key=f"orders:settled:{order_id}",
            memo="售后期结束：转入可提现",
        )
        lifecycle.record(
            session,
            order_id,
            OrderEventKind.SETTLED,
            None,
            S.COMPLETED.value,
            S.COMPLETED.value,
            f"{net} fen available",
        )
        settled.append(order_id)
    return settled
