"""Periodic work of the orders domain (scheduled by ``events.register``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.orders import fulfilment, paylater, service


def cancel_expired_orders(session: Session) -> None:
    service.cancel_expired(session)


def auto_confirm(session: Session) -> None:
    fulfilment.auto_confirm(session)


def settle_due(session: Session) -> None:
    fulfilment.settle_due(session)


def retry_pay_later_charges(session: Session) -> None:
    paylater.retry_due(session)
