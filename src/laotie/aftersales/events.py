"""What after-sales does when events come in (delivered by the outbox worker after commit, each
handler once per event): send the buyer's compensation, and apply the provider's answer to it; and
everything the domain registers (those handlers, its jobs, its ledger check)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.aftersales import service, tasks
from laotie.aftersales.credit import check_credit_payouts
from laotie.core.events import EventBus
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry
from laotie.events.aftersales import BuyerCreditPayoutRequested
from laotie.events.payments import PayoutFailed, PayoutPaid
from laotie.ledger import service as ledger


def register(bus: EventBus, jobs: JobRegistry, providers: ProviderRegistry) -> None:
    bus.subscribe(
        BuyerCreditPayoutRequested, on_credit_payout_requested, name="aftersales.send_credit_payout"
    )
    bus.subscribe(PayoutPaid, on_payout_paid, name="aftersales.credit_payout_paid")
    bus.subscribe(PayoutFailed, on_payout_failed, name="aftersales.credit_payout_failed")
    jobs.add("aftersales.timeouts", 60, tasks.timeouts)
    jobs.add("aftersales.send_credit_payouts", 60, tasks.send_credit_payouts)
    ledger.register_check("aftersales_credit", check_credit_payouts)


def on_credit_payout_requested(session: Session, ev: BuyerCreditPayoutRequested) -> None:
    # A provider that cannot be reached raises: the outbox retries, and the job sends what is left.
    service.send_credit_payout(session, ev.payout_id)


def on_payout_paid(session: Session, ev: PayoutPaid) -> None:
    service.apply_credit_payout_result(session, ev.payload(), paid=True)


def on_payout_failed(session: Session, ev: PayoutFailed) -> None:
    service.apply_credit_payout_result(session, ev.payload(), paid=False)
