"""The orders' part of `laotie ledger check`: each order's postings match its lines."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.ledger.schemas import LedgerCheck, TransactionKind
from laotie.orders.fulfilment import completion_postings
from laotie.orders.models import Checkout, Order, OrderStatus, PayMode

PAID_STATES = {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED}


def check_orders(session: Session, result: LedgerCheck) -> None:
    # Completed orders: what reached the shop, the fee and the growth fund follow from the lines.
    for order in session.scalars(select(Order).where(Order.status == OrderStatus.COMPLETED)):
        booked = next(
            (
                tx
                for tx in ledger.transactions_for(session, "order", order.id)
                if tx.kind == TransactionKind.ORDER_COMPLETED
            ),
            None,
        )
        expected = {
            (p.kind, p.owner_id): p.amount_fen for p in completion_postings(session, order) if p.amount_fen
        }
        if booked is None:
            result.problems.append(f"order {order.id} is completed but its completion is not booked")
        elif {(p.kind, p.owner_id): p.amount_fen for p in booked.postings} != expected:
            result.problems.append(
                f"order {order.id}: completion booked {booked.postings}, lines say {expected}"
            )
        net = ledger.net_for(session, "order", order.id)
        if order.settled_at is not None and net.get((K.SHOP_PENDING, order.shop_id), 0) != 0:
            result.problems.append(f"order {order.id} is settled but money is still pending")
    # Paid checkouts: the cash kept equals what the live orders are worth.
    for checkout in session.scalars(select(Checkout).where(Checkout.pay_mode == PayMode.PAY_NOW)):
        cash = ledger.net_for(session, "checkout", checkout.id).get((K.PSP_CASH, None), 0)
        orders = session.execute(
            select(Order.status, Order.payable_fen, Order.refunded_fen).where(
                Order.checkout_id == checkout.id
            )
        ).all()
        # After-sales refunds (and price protection) went back to the buyer from this payment.
        worth = sum(
            payable - refunded
            for status, payable, refunded in orders
            if status in PAID_STATES | {OrderStatus.CLOSED}
        )
        if cash != worth:
            result.problems.append(f"checkout {checkout.id}: {cash} fen held for orders worth {worth} fen")
