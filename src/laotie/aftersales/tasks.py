"""Periodic work of after-sales: the 48-hour rules (auto-approve a return, refund a refund-only
claim the merchant ignored, confirm a return that arrived, refund one the merchant sits on), and
paying out return-shipping compensation that is still waiting to be sent (scheduled by
``events.register``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.aftersales import service


def timeouts(session: Session) -> None:
    service.run_timeouts(session)


def send_credit_payouts(session: Session) -> None:
    service.send_due_credit_payouts(session)
