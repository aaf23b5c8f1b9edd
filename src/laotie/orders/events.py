"""What orders do when payments report back (delivered by the outbox worker, after commit)."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core.events import Event, bus
from laotie.orders import fulfilment, lifecycle, paylater
from laotie.orders.models import Order, OrderEventKind, OrderStatus
from laotie.payments import service as payments

log = logging.getLogger(__name__)


def _settle_checkout_payment(session: Session, ev: Event) -> None:
    """Mark a paid checkout's orders paid; refund any order that was cancelled before the money came."""
    if ev.payload.get("reference_type") != "checkout":
        return
    checkout_id = int(ev.payload["reference_id"])
    intent_id = int(ev.payload["intent_id"])
    orders = session.execute(
        select(Order.id, Order.payable_fen).where(Order.checkout_id == checkout_id).order_by(Order.id)
    ).all()
    for order_id, payable_fen in orders:
        if lifecycle.move(
            session,
            order_id,
            OrderStatus.PAID,
            None,
            OrderEventKind.PAID,
            f"payment {intent_id}",
            strict=False,
        ):
            continue
        status = session.scalar(select(Order.status).where(Order.id == order_id))
        if status == OrderStatus.CANCELLED:
            # The buyer paid after the order had already been cancelled: the money goes back.
            payments.refund(
                session,
                intent_id,
                payable_fen,
                f"orders:cancelled-before-payment:{order_id}",
                "订单已取消，退回付款",
            )
            lifecycle.record(
                session,
                order_id,
                OrderEventKind.REFUNDED_LATE_PAYMENT,
                None,
                OrderStatus.CANCELLED.value,
                OrderStatus.CANCELLED.value,
                f"payment {intent_id} refunded",
            )


@bus.subscribe("PaymentSucceeded", name="orders.mark_paid")
def on_payment_succeeded(session: Session, ev: Event) -> None:
    _settle_checkout_payment(session, ev)


@bus.subscribe("PaymentSucceededLate", name="orders.mark_paid_late")
def on_payment_succeeded_late(session: Session, ev: Event) -> None:
    _settle_checkout_payment(session, ev)


@bus.subscribe("PaymentSucceeded", name="orders.pay_later_charged")
def on_pay_later_charged(session: Session, ev: Event) -> None:
    if ev.payload.get("reference_type") == "order" and ev.payload.get("kind") == "pay_later":
        paylater.charge_succeeded(session, int(ev.payload["reference_id"]))


def _pay_later_failed(session: Session, ev: Event) -> None:
    if ev.payload.get("reference_type") == "order" and ev.payload.get("kind") == "pay_later":
        paylater.charge_failed(session, int(ev.payload["reference_id"]), str(ev.payload.get("reason", "")))


bus.subscribe("PaymentFailed", name="orders.pay_later_failed")(_pay_later_failed)
bus.subscribe("PaymentExpired", name="orders.pay_later_expired")(_pay_later_failed)


@bus.subscribe("ShipmentDelivered", name="orders.shipment_delivered")
def on_shipment_delivered(session: Session, ev: Event) -> None:
    """签收 on the carrier's timeline: the order is delivered (auto-confirm counts from here)."""
    fulfilment.mark_delivered(session, int(ev.payload["order_id"]))
