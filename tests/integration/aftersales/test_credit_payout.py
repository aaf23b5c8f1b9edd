"""Return shipping the merchant owes (BUYER_CREDIT) is paid out to the buyer when the case refunds:
the buyer's credit is back to zero at once, the transfer goes out once through the sandbox payout
rail (even when the job runs twice at the same moment), and a refused transfer makes the amount owed
again, exactly. The books are checked after every test (conftest)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.aftersales import service as aftersales
from laotie.aftersales.models import CaseKind, CaseReason, CreditPayout
from laotie.aftersales.schemas import ShipBackIn
from laotie.core import clock
from laotie.core.db import Database
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.ledger.schemas import Posting
from laotie.payments import gateway
from laotie.payments.interfaces import ProviderError
from laotie.payments.sandbox.models import SandboxPayout
from tests.factories.aftersales import Bought, delivered, open_case, paid_order
from tests.factories.races import race
from tests.factories.settlement import round_trip

REF = "aftersales_credit_payout"


def _refunded_fault_return(session: Session, bought: Bought, reason: CaseReason, shipping_fen: int) -> int:
    delivered(session, bought)
    with clock.travel(timedelta(days=3)):
        case = open_case(session, bought, CaseKind.RETURN, reason)
        aftersales.approve(session, bought.owner, case.id)
        aftersales.ship_back(
            session,
            bought.buyer.principal,
            case.id,
            ShipBackIn(carrier="顺丰速运", tracking_no="SF2026120601", shipping_fen=shipping_fen),
        )
        aftersales.receive(session, bought.owner, case.id)
        aftersales.refund_received(session, bought.owner, case.id)
        session.commit()
    return case.id


def _round_trip(db: Database, client: TestClient, session: Session) -> None:
    """Outbox, sandbox webhooks, outbox: at the time the case refunded (its events are due then)."""
    with clock.travel(timedelta(days=3, minutes=1)):
        round_trip(db, client, session)


def _payout(session: Session, case_id: int) -> CreditPayout:
    session.expire_all()
    row = session.scalar(select(CreditPayout).where(CreditPayout.case_id == case_id))
    assert row is not None
    return row


def _sandbox_payouts(session: Session, payout_id: int) -> int:
    key = f"laotie-buyer-credit-{payout_id}"
    count = session.scalar(
        select(func.count()).select_from(SandboxPayout).where(SandboxPayout.idempotency_key == key)
    )
    return int(count or 0)


def test_compensation_is_paid_to_the_buyer_when_the_case_refunds(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=15000)
    case_id = _refunded_fault_return(session, bought, CaseReason.WRONG_ITEM, 1800)
    payout = _payout(session, case_id)
    assert (payout.status, payout.amount_fen, payout.buyer_id) == ("requested", 1800, bought.buyer.user_id)
    # Owed and paid out in the same step: nothing stays owed to the buyer.
    assert ledger.balance(session, K.BUYER_CREDIT, bought.buyer.user_id) == 0
    assert ledger.net_for(session, REF, payout.id) == {
        (K.BUYER_CREDIT, bought.buyer.user_id): 1800,
        (K.PSP_CASH, None): -1800,
    }
    _round_trip(db, client, session)  # the outbox sends it, the sandbox answers, the answer applies
    payout = _payout(session, case_id)
    assert payout.status == "paid" and payout.provider_payout_ref
    assert _sandbox_payouts(session, payout.id) == 1
    sandbox = session.scalar(
        select(SandboxPayout).where(SandboxPayout.provider_payout_ref == payout.provider_payout_ref)
    )
    assert (
        sandbox is not None
        and sandbox.amount_fen == 1800
        and sandbox.meta["aftersales_credit_payout_id"] == str(payout.id)
    )
    case = aftersales.get_case(session, bought.buyer.principal, case_id)
    assert [e.kind for e in case.events][-2:] == ["credit_sent", "credit_paid"]
    # The job and the outbox again: nothing is sent twice.
    assert aftersales.send_due_credit_payouts(session) == []
    session.commit()
    _round_trip(db, client, session)
    assert (
        _sandbox_payouts(session, payout.id) == 1
        and ledger.balance(session, K.BUYER_CREDIT, bought.buyer.user_id) == 0
    )


def test_no_reason_return_owes_no_compensation(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=15000)
    case_id = _refunded_fault_return(session, bought, CaseReason.NO_REASON, 1800)
    assert session.scalar(select(CreditPayout).where(CreditPayout.case_id == case_id)) is None
    assert ledger.balance(session, K.BUYER_CREDIT, bought.buyer.user_id) == 0


def test_two_job_runs_at_once_send_it_once(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=15000)
    case_id = _refunded_fault_return(session, bought, CaseReason.DAMAGED, 1200)
    payout_id = _payout(session, case_id).id
    session.rollback()  # SQLite: the read above would hold the write lock the runners need
    sent: list[list[int]] = []
    assert race(db, [lambda s: sent.append(aftersales.send_due_credit_payouts(s))] * 2) == ["ok", "ok"]
    assert sorted(sent) == [[], [payout_id]]
    assert _sandbox_payouts(session, payout_id) == 1
    assert _payout(session, case_id).status == "processing"
    session.rollback()
    _round_trip(db, client, session)  # the outbox's own send finds it sent; the answer applies once
    assert _sandbox_payouts(session, payout_id) == 1
    assert _payout(session, case_id).status == "paid"
    assert ledger.balance(session, K.BUYER_CREDIT, bought.buyer.user_id) == 0


def test_a_refused_transfer_makes_the_amount_owed_again(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=15000)
    case_id = _refunded_fault_return(session, bought, CaseReason.QUALITY, 900)
    payout = _payout(session, case_id)
    # A result that does not match (another amount) is not applied.
    wrong = {
        "metadata": {"aftersales_credit_payout_id": str(payout.id)},
        "provider_payout_ref": "po_x",
        "amount_fen": 1,
    }
    aftersales.apply_credit_payout_result(session, wrong, paid=False)
    session.commit()
    assert _payout(session, case_id).status == "requested"
    # The provider refuses it (its answer may come before our record of sending commits).
    refused = {**wrong, "amount_fen": 900, "failure_reason": "account_closed"}
    aftersales.apply_credit_payout_result(session, refused, paid=False)
    aftersales.apply_credit_payout_result(session, refused, paid=False)  # a duplicate changes nothing
    session.commit()
    payout = _payout(session, case_id)
    assert payout.status == "failed" and payout.failure_reason == "account_closed"
    assert ledger.balance(session, K.BUYER_CREDIT, bought.buyer.user_id) == 900  # owed to the buyer again
    assert ledger.net_for(session, REF, payout.id) == {}
    # Nothing is sent for a failed transfer, by the job or the outbox.
    assert aftersales.send_due_credit_payouts(session) == []
    session.commit()
    _round_trip(db, client, session)
    assert _sandbox_payouts(session, payout.id) == 0
    # Results of other payouts (a shop's withdrawal) are not ours.
    aftersales.apply_credit_payout_result(session, {"metadata": {"settlement_withdrawal_id": "1"}}, paid=True)
    assert _payout(session, case_id).status == "failed"


def test_the_ledger_check_sees_a_payout_booked_wrong(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=15000)
    case_id = _refunded_fault_return(session, bought, CaseReason.QUALITY, 700)
    payout = _payout(session, case_id)
    assert ledger.check(session).ok
    ledger.post(
        session,
        kind="probe",
        reference_type=REF,
        reference_id=payout.id,
        postings=[Posting(K.BUYER_CREDIT, 1, owner_id=bought.buyer.user_id), Posting(K.PSP_CASH, -1)],
        idempotency_key="probe-credit-payout",
    )
    problems = ledger.check(session).problems
    assert any(f"buyer credit payout {payout.id} (requested) has booked" in p for p in problems)
    session.rollback()


def test_a_provider_outage_leaves_it_owed_to_send_later(
    client: TestClient, app: FastAPI, db: Database, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    bought = paid_order(client, app, db, session, price_fen=15000)
    case_id = _refunded_fault_return(session, bought, CaseReason.QUALITY, 1500)
    payout_id = _payout(session, case_id).id

    class Down:
        name = "down"

        def send_payout(self, **_: Any) -> Any:
            raise ProviderError("connection reset")

    real = gateway.get_payout_provider
    monkeypatch.setattr(gateway, "get_payout_provider", lambda s: Down())
    assert aftersales.send_due_credit_payouts(session) == []  # refused by the provider: still owed
    session.commit()
    _round_trip(db, client, session)
    payout = _payout(session, case_id)
    assert payout.status == "requested" and payout.provider_payout_ref is None
    assert _sandbox_payouts(session, payout_id) == 0
    monkeypatch.setattr(gateway, "get_payout_provider", real)
    assert aftersales.send_due_credit_payouts(session) == [payout_id]  # the job, once it is back
    session.commit()
    _round_trip(db, client, session)
    assert _payout(session, case_id).status == "paid" and _sandbox_payouts(session, payout_id) == 1
