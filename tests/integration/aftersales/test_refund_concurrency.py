"""Parallel refunds of one order never give back more than was paid (both databases; on
PostgreSQL the threads truly overlap): the order's conditional UPDATE lets the first through and
refuses the rest, and a case approved twice at once pays once."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.aftersales import service as aftersales
from laotie.aftersales.models import Case, CaseKind, CaseReason
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.db import Database
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.orders import service as orders
from tests.factories.aftersales import completed, open_case, paid_order, photo, psp_cash
from tests.factories.races import race


def _race(db: Database, merchant: Principal, case_ids: list[int]) -> list[str]:
    return race(db, [lambda s, c=c: aftersales.approve(s, merchant, c) for c in case_ids], ok="refunded")


def _twin(session: Session, case_id: int, n: int) -> int:
    """A second open case on the same order, as two concurrent requests could have made it (the
    one-open-case check is a courtesy; the order's own guard is what holds the money)."""
    original = session.get(Case, case_id)
    assert original is not None
    copy = Case(
        **{
            c.name: getattr(original, c.name)
            for c in Case.__table__.columns
            if c.name not in ("id", "idempotency_key")
        },
        idempotency_key=f"twin-{case_id}-{n}",
    )
    session.add(copy)
    session.commit()
    return copy.id


def test_parallel_refunds_of_one_order_never_overdraw(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=10000)
    completed(session, bought)
    with clock.travel(timedelta(days=4)):
        case = open_case(
            session,
            bought,
            CaseKind.REFUND_ONLY,
            CaseReason.QUALITY,
            amount_fen=6000,
            evidence_ids=[photo(session, app.state.storage, bought.buyer)],
        )
    ids = [case.id, case.id, _twin(session, case.id, 1), _twin(session, case.id, 2)]
    cash = psp_cash(session)
    session.rollback()
    outcomes = _race(db, bought.owner, ids)
    assert sorted(outcomes).count("refunded") == 1, outcomes
    assert set(outcomes) <= {"refunded", "REFUND_EXCEEDS_PAYABLE", "AFTERSALES_INVALID_STATE"}
    session.rollback()
    assert orders.refundable_order(session, bought.order_id).refunded_fen == 6000
    assert psp_cash(session) == cash - 6000
    refunded = session.scalars(select(Case.refunded_fen).where(Case.order_id == bought.order_id)).all()
    assert sorted(refunded) == [0, 0, 6000]
    assert ledger.check(session).ok
    assert -ledger.net_for(session, "order", bought.order_id)[(K.SHOP_PENDING, bought.sale.shop_id)] < 10000
