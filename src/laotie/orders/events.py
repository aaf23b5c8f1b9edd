"""What orders do when payments and parcels report back (delivered by the outbox worker, after
commit), and everything the domain registers: those handlers, its jobs, its ledger check."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core.events import EventBus
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry
from laotie.events.logistics import ShipmentDelivered
from laotie.events.payments import (
    IntentEvent,
    PaymentExpired,
    PaymentFailed,
    PaymentSucceeded,
    PaymentSucceededLate,
)
from laotie.ledger import service as ledger
from laotie.orders import fulfilment, lifecycle, paylater, tasks
from laotie.orders.ledger_check import check_orders
from laotie.orders.models import Order, OrderEventKind, OrderStatus
from laotie.payments import service as payments

log = logging.getLogger(__name__)


def register(bus: EventBus, jobs: JobRegistry, providers: ProviderRegistry) -> None:
    bus.subscribe_many(PaymentSucceeded, on_payments_succeeded, name="orders.mark_paid")
    bus.subscribe(PaymentSucceededLate, on_payment_succeeded_late, name="orders.mark_paid_late")
    bus.subscribe_many(PaymentSucceeded, on_pay_later_charges, name="orders.pay_later_charged")
    bus.subscribe(PaymentFailed, on_pay_later_failed, name="orders.pay_later_failed")
    bus.subscribe(PaymentExpired, on_pay_later_failed, name="orders.pay_later_expired")
    bus.subscribe(ShipmentDelivered, on_shipment_delivered, name="orders.shipment_delivered")
    # The buyer's orders become paid in the webhook's own transaction; orders.mark_paid above stays
    # for what that step leaves (an order cancelled meanwhile is refunded there) and finds it done.
    payments.on_captured("checkout", mark_checkout_paid, many=mark_checkouts_paid)
    jobs.add("orders.cancel_expired", 5, tasks.cancel_expired_orders)
    jobs.add("orders.auto_confirm", 300, tasks.auto_confirm)
    jobs.add("orders.settle_due", 300, tasks.settle_due)
    jobs.add("orders.retry_pay_later_charges", 300, tasks.retry_pay_later_charges)
    ledger.register_check("orders", check_orders)


def _settle_checkout_payment(session: Session, ev: IntentEvent) -> None:
    """Mark a paid checkout's orders paid; refund any order that was cancelled before the money came."""
    if ev.reference_type != "checkout":
        return
    checkout_id = int(ev.reference_id)
    intent_id = ev.intent_id
    orders = session.execute(
        select(Order.id, Order.payable_fen, Order.status)
        .where(Order.checkout_id == checkout_id)
        .order_by(Order.id)
    ).all()
    payable = lifecycle.TRANSITIONS.entered_from(OrderStatus.PAID)
    for order_id, payable_fen, status in orders:
        if status not in payable and status != OrderStatus.CANCELLED:
            # Already paid (in the capturing webhook's transaction, ``mark_checkout_paid``) or
            # further on: nothing to move and nothing to refund, so no statement for it.
            continue
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
        current = session.scalar(select(Order.status).where(Order.id == order_id))
        if current == OrderStatus.CANCELLED:
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


def mark_checkout_paid(session: Session, intent_id: int, checkout_id: str) -> None:
    """Move the checkout's unpaid orders to paid, in the capture's transaction. An order that is no
    longer pending (cancelled meanwhile) is left to ``orders.mark_paid``, which refunds it."""
    lifecycle.pay_checkout(session, int(checkout_id), f"payment {intent_id}")


def mark_checkouts_paid(session: Session, captures: list[tuple[int, str]]) -> None:
    """``mark_checkout_paid`` for every (intent id, checkout id) the webhook batch captured, at once."""
    lifecycle.pay_checkouts(
        session,
        {int(checkout_id): f"payment {intent_id}" for intent_id, checkout_id in captures},
        # The batch's statements are Core and its session starts each item empty: no Order object
        # to keep in step, and evaluating the UPDATE's criteria against the identity map costs.
        synchronize_session=False,
    )


def on_payments_succeeded(session: Session, evs: list[PaymentSucceeded]) -> None:
    """A run of captured payments. Their checkouts' orders were almost always marked paid in the
    capturing webhook's transaction (``mark_checkout_paid``): one read for the whole run finds the
    checkouts that still have an order to pay or to refund, and only their events are settled, in
    order, as one at a time would (an order never goes back to pending or leaves cancelled, so a
    checkout with none at the start of the run has none at the end)."""
    checkout_ids = {int(ev.reference_id) for ev in evs if ev.reference_type == "checkout"}
    if not checkout_ids:
        return
    open_states = [*lifecycle.TRANSITIONS.entered_from(OrderStatus.PAID), OrderStatus.CANCELLED]
    unsettled = set(
        session.scalars(
            select(Order.checkout_id)
            .where(Order.checkout_id.in_(sorted(checkout_ids)), Order.status.in_(open_states))
            .distinct()
        )
    )
    for ev in evs:
        if ev.reference_type == "checkout" and int(ev.reference_id) in unsettled:
            _settle_checkout_payment(session, ev)


def on_payment_succeeded_late(session: Session, ev: PaymentSucceededLate) -> None:
    _settle_checkout_payment(session, ev)


def on_pay_later_charges(session: Session, evs: list[PaymentSucceeded]) -> None:
    """Only pay-after-use charges concern it: a run of checkout payments costs no statement."""
    for ev in evs:
        if ev.reference_type == "order" and ev.kind == "pay_later":
            paylater.charge_succeeded(session, int(ev.reference_id))


def on_pay_later_failed(session: Session, ev: PaymentFailed | PaymentExpired) -> None:
    if ev.reference_type == "order" and ev.kind == "pay_later":
        paylater.charge_failed(session, int(ev.reference_id), ev.reason)


def on_shipment_delivered(session: Session, ev: ShipmentDelivered) -> None:
    """签收 on the carrier's timeline: the order is delivered (auto-confirm counts from here)."""
    fulfilment.mark_delivered(session, ev.order_id)
