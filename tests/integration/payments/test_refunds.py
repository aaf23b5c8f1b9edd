"""Refunds: partial and full, never above what was captured, idempotent, booked from where the caller says."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.ledger import service as ledger
from laotie.ledger.errors import UnbalancedPosting
from laotie.ledger.schemas import AccountKind as K
from laotie.ledger.schemas import Posting
from laotie.payments import service as payments
from tests.factories.payments import balance, booked, events, make_intent, pay, state


@pytest.fixture
def paid(db: Database, session: Session, client: TestClient) -> int:
    intent = make_intent(session, amount_fen=10000)
    assert pay(db, client, intent).status == "succeeded"
    return intent.id


def _refund_code(session: Session, *args: object, **kwargs: object) -> str:
    with pytest.raises(AppError) as caught:
        payments.refund(session, *args, **kwargs)  # type: ignore[arg-type]
    session.rollback()
    return caught.value.code


def test_partial_then_full_refund(db: Database, session: Session, paid: int) -> None:
    first = payments.refund(session, paid, 3000, "r1", "少发一件")
    session.commit()
    assert first.state == "succeeded" and first.provider_refund_ref.startswith("re_sbx_")
    assert state(db, paid).refunded_fen == 3000
    assert balance(db, K.PSP_CASH) == 7000 and balance(db, K.PLATFORM_CLEARING) == 7000
    payments.refund(session, paid, 7000, "r2", "退货退款")
    session.commit()
    assert state(db, paid).refunded_fen == 10000
    assert balance(db, K.PSP_CASH) == 0 and balance(db, K.PLATFORM_CLEARING) == 0
    refunded = events(db, "PaymentRefunded")
    assert [(e["refund_fen"], e["refunded_fen"], e["fully_refunded"]) for e in refunded] == [
        (3000, 3000, False),
        (7000, 10000, True),
    ]
    assert _refund_code(session, paid, 1, "r3", "again") == "REFUND_EXCEEDS_PAID"


def test_over_refund_is_refused_and_moves_nothing(db: Database, session: Session, paid: int) -> None:
    payments.refund(session, paid, 6000, "r1", "部分退款")
    session.commit()
    assert _refund_code(session, paid, 4001, "r2", "too much") == "REFUND_EXCEEDS_PAID"
    assert state(db, paid).refunded_fen == 6000 and balance(db, K.PSP_CASH) == 4000
    assert _refund_code(session, paid, 0, "r3", "zero") == "INVALID_AMOUNT"


def test_the_same_refund_key_refunds_once(db: Database, session: Session, paid: int) -> None:
    first = payments.refund(session, paid, 2500, "r1", "破损")
    again = payments.refund(session, paid, 2500, "r1", "破损")
    session.commit()
    assert again.id == first.id and again.replayed
    assert state(db, paid).refunded_fen == 2500 and balance(db, K.PSP_CASH) == 7500
    assert _refund_code(session, paid, 2600, "r1", "破损") == "IDEMPOTENCY_KEY_REUSED"


def test_an_unpaid_intent_has_nothing_to_refund(db: Database, session: Session) -> None:
    intent = make_intent(session)
    assert _refund_code(session, intent.id, 100, "r1", "x") == "PAYMENT_NOT_CAPTURED"
    assert _refund_code(session, 999_999, 100, "r1", "x") == "PAYMENT_NOT_FOUND"


def test_after_settlement_the_caller_names_where_the_money_comes_from(
    db: Database, session: Session, paid: int
) -> None:
    ref = state(db, paid).reference_id
    # What settlement (orders) will have done: clearing -> shop pending, less the platform fee.
    ledger.post(
        session,
        kind="settle",
        reference_type="order",
        reference_id=ref,
        postings=[
            Posting(K.PLATFORM_CLEARING, 10000),
            Posting(K.SHOP_PENDING, -9500, owner_id=3),
            Posting(K.PLATFORM_FEE_REVENUE, -500),
        ],
        idempotency_key="settle-test",
    )
    source = [Posting(K.SHOP_PENDING, 9500, owner_id=3), Posting(K.PLATFORM_FEE_REVENUE, 500)]
    payments.refund(session, paid, 10000, "r1", "退货退款", source=source)
    session.commit()
    assert ledger.balance(session, K.SHOP_PENDING, 3) == 0
    assert ledger.balance(session, K.PLATFORM_FEE_REVENUE) == 0 and ledger.balance(session, K.PSP_CASH) == 0
    session.rollback()
    assert {tx.kind for tx in booked(db, ref)} == {"payment_capture", "settle", "payment_refund"}
    with pytest.raises(UnbalancedPosting):  # legs that do not add up to the refund are a bug
        payments.refund(session, paid, 100, "r2", "x", source=[Posting(K.PLATFORM_CLEARING, 99)])
    session.rollback()
