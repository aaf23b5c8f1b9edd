"""The unpaid-order timeout asks the payment side first (issue 9 item 3).

A buyer who paid inside the window keeps the order however late the webhook: the timeout finds the
money at the provider and marks the order paid; the webhook, when it lands, changes nothing. A
payment the buyer never confirmed is stopped at the provider before the order is cancelled, so it
cannot be paid afterwards; one the provider is still working on, or a provider out of reach, keeps
the order until the provider has said no money can come."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.orders import service as orders
from laotie.payments.interfaces import ProviderError
from laotie.payments.models import PaymentRefund
from laotie.payments.sandbox.models import SandboxCharge
from laotie.payments.sandbox.provider import SandboxProvider
from laotie.payments.schemas import IntentOut
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale
from tests.factories.payments import confirm, deliver

LATE = timedelta(minutes=16)  # past the 15-minute payment window


def _placed(session: Session) -> tuple[orders.PlacedCheckout, IntentOut, object]:
    buyer = make_buyer(session)
    sale = make_on_sale(session, price_fen=6900)
    placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (sale, 1)), key())
    intent = orders.pay(session, buyer.principal, placed.checkout_id, key())
    session.commit()
    return placed, IntentOut.model_validate(intent.model_dump()), buyer


def _status(session: Session, placed: orders.PlacedCheckout) -> str:
    session.rollback()
    status = str(orders.order_view(session, placed.orders[0].id).status)
    session.rollback()  # on SQLite an open transaction holds the write lock the webhook needs
    return status


def _charge(session: Session, intent: IntentOut) -> str:
    session.rollback()
    status = session.scalar(
        select(SandboxCharge.status).where(SandboxCharge.provider_ref == intent.provider_ref)
    )
    session.rollback()
    return str(status)


def test_paid_in_time_with_a_late_webhook_keeps_the_order(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    placed, intent, _ = _placed(session)
    assert confirm(client, intent).status_code == 202  # paid in time; the webhook is not sent yet
    with clock.travel(LATE):
        assert orders.cancel_expired(session) == []
        session.commit()
        assert _status(session, placed) == "paid"
        deliver(db, client)  # the webhook, minutes late
        app.state.outbox_worker.run_until_idle()
    assert _status(session, placed) == "paid"
    assert session.scalars(select(PaymentRefund)).all() == []
    assert ledger.balance(session, K.PSP_CASH) == 6900


def test_an_unconfirmed_payment_is_stopped_at_the_provider_before_the_order_is_cancelled(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    placed, intent, _ = _placed(session)
    with clock.travel(LATE):
        assert orders.cancel_expired(session) == [placed.orders[0].id]
        session.commit()
        # The intent's own 15 minutes ran out at the provider too: it can no longer be paid.
        assert _charge(session, intent) == "expired"
        refused = confirm(client, intent)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "INTENT_EXPIRED"
    assert _status(session, placed) == "cancelled"


def test_a_payment_still_processing_keeps_the_order_until_the_grace_ends(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    placed, intent, _ = _placed(session)
    assert confirm(client, intent, "tok_timeout").status_code == 202
    with clock.travel(LATE):
        assert orders.cancel_expired(session) == []
        session.commit()
    assert _status(session, placed) == "pending_payment"
    with clock.travel(LATE + timedelta(minutes=11)):
        assert orders.cancel_expired(session) == [placed.orders[0].id]
        session.commit()
        assert _charge(session, intent) == "canceled"


def test_an_unreachable_provider_keeps_the_order_until_it_answers(
    client: TestClient, app: FastAPI, db: Database, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    placed, intent, _ = _placed(session)
    assert confirm(client, intent).status_code == 202

    def down(self: SandboxProvider, provider_ref: str) -> object:
        raise ProviderError("provider down")

    with clock.travel(timedelta(hours=2)):
        with monkeypatch.context() as patched:
            patched.setattr(SandboxProvider, "retrieve_intent", down)
            assert orders.cancel_expired(session) == []
            session.commit()
        assert _status(session, placed) == "pending_payment"
        assert orders.cancel_expired(session) == []  # reachable again: the money is there
        session.commit()
    assert _status(session, placed) == "paid"


def test_a_buyer_cancelling_stops_the_payment_at_the_provider(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    placed, intent, buyer = _placed(session)
    orders.cancel_by_buyer(session, buyer.principal, placed.orders[0].id, "不想要了")  # type: ignore[attr-defined]
    session.commit()
    assert _charge(session, intent) == "canceled"
    refused = confirm(client, intent)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "INTENT_CANCELED"


def test_a_buyer_cannot_cancel_an_order_whose_payment_was_taken(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    from laotie.core.errors import AppError

    placed, intent, buyer = _placed(session)
    assert confirm(client, intent).status_code == 202
    with pytest.raises(AppError) as caught:
        orders.cancel_by_buyer(session, buyer.principal, placed.orders[0].id, "不想要了")  # type: ignore[attr-defined]
    assert caught.value.code == "ALREADY_PAID"
    session.rollback()
    deliver(db, client)
    app.state.outbox_worker.run_until_idle()
    assert _status(session, placed) == "paid"
