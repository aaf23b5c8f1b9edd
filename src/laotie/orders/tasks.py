"""Periodic work of the orders domain."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.jobs import jobs
from laotie.orders import fulfilment, paylater, service


@jobs.every(5, name="orders.cancel_expired")
def cancel_expired_orders(session: Session) -> None:
    service.cancel_expired(session)


@jobs.every(300, name="orders.auto_confirm")
def auto_confirm(session: Session) -> None:
    fulfilment.auto_confirm(session)


@jobs.every(300, name="orders.settle_due")
def settle_due(session: Session) -> None:
    fulfilment.settle_due(session)


@jobs.every(300, name="orders.retry_pay_later_charges")
def retry_pay_later_charges(session: Session) -> None:
    paylater.retry_due(session)
