"""What after-sales does when events come in (delivered by the outbox worker after commit, each
handler once per event): send the buyer's return-shipping compensation, and apply the provider's
answer to it.

Emitted by after-sales: ``aftersales.case_status_changed`` each time a case opens or changes state
({case_id, order_id, shop_id, buyer_id, kind, reason, from_status, to_status, party, lines, opened_at,
at}; scores counts quality returns and answer times from it), ``DisputeDecided``,
``BuyerCreditPayoutRequested``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.aftersales import service
from laotie.core.events import Event, bus


@bus.subscribe("BuyerCreditPayoutRequested", name="aftersales.send_credit_payout")
def on_credit_payout_requested(session: Session, ev: Event) -> None:
    # A provider that cannot be reached raises: the outbox retries, and the job sends what is left.
    service.send_credit_payout(session, int(ev.payload["payout_id"]))


@bus.subscribe("PayoutPaid", name="aftersales.credit_payout_paid")
def on_payout_paid(session: Session, ev: Event) -> None:
    service.apply_credit_payout_result(session, ev.payload, paid=True)


@bus.subscribe("PayoutFailed", name="aftersales.credit_payout_failed")
def on_payout_failed(session: Session, ev: Event) -> None:
    service.apply_credit_payout_result(session, ev.payload, paid=False)
