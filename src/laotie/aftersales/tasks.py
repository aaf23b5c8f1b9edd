"""Periodic work of after-sales: the 48-hour rules (auto-approve a return, refund a refund-only
claim the merchant ignored, confirm a return that arrived, refund one the merchant sits on), and
paying out return-shipping compensation that is still waiting to be sent."""

from __future__ import annotations

from sqlalchemy.orm import Session

# Imported for its outbox subscriptions: the app loads this module, so the handlers come with it.
from laotie.aftersales import events as events
from laotie.aftersales import service
from laotie.core.jobs import jobs


@jobs.every(60, name="aftersales.timeouts")
def timeouts(session: Session) -> None:
    service.run_timeouts(session)


@jobs.every(60, name="aftersales.send_credit_payouts")
def send_credit_payouts(session: Session) -> None:
    service.send_due_credit_payouts(session)
