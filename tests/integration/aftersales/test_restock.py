"""Returned goods go back on sale: a received 七天无理由 return restocks its units once, atomically,
however many receipts race; a fault return, or one the merchant marks damaged, restocks nothing."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.aftersales import service as aftersales
from laotie.aftersales.models import CaseKind, CaseReason
from laotie.aftersales.schemas import ShipBackIn
from laotie.catalog.models import Product, Sku
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from tests.factories.aftersales import Bought, delivered, open_case, paid_order, photo
from tests.factories.orders import key
from tests.factories.races import race

RET = CaseKind.RETURN


def _stock(session: Session, bought: Bought) -> tuple[int, int]:
    session.expire_all()
    sku = session.scalar(select(Sku.stock).where(Sku.id == bought.sale.sku_id))
    product = session.scalar(select(Product.total_stock).where(Product.id == bought.sale.product_id))
    session.rollback()  # SQLite: a read holds the write lock other sessions (threads, HTTP) need
    return int(sku or 0), int(product or 0)


def _returning(session: Session, bought: Bought, reason: CaseReason, units: int, evidence: list[int]) -> int:
    delivered(session, bought)
    with clock.travel(timedelta(days=3)):
        case = open_case(session, bought, RET, reason, quantity=units, evidence_ids=evidence)
        aftersales.approve(session, bought.owner, case.id)
        session.commit()
        aftersales.ship_back(
            session,
            bought.buyer.principal,
            case.id,
            ShipBackIn(carrier="圆通速递", tracking_no="YT20261206", shipping_fen=800),
        )
        session.commit()
    return case.id


def test_received_no_reason_return_goes_back_on_sale_once(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=5000, quantity=3)
    case_id = _returning(session, bought, CaseReason.NO_REASON, 2, [])
    before = _stock(session, bought)
    with clock.travel(timedelta(days=4)):
        out = aftersales.receive(session, bought.owner, case_id)
        session.commit()
    assert _stock(session, bought) == (before[0] + 2, before[1] + 2)
    restocked = [e for e in out.events if e.kind == "restocked"]
    assert len(restocked) == 1 and restocked[0].data == {"units": {str(bought.sale.sku_id): 2}}
    # Confirming again is refused and puts nothing back a second time.
    with clock.travel(timedelta(days=4)):
        try:
            aftersales.receive(session, bought.owner, case_id)
            raise AssertionError("a second receipt must be refused")
        except AppError as exc:
            assert exc.code == "AFTERSALES_INVALID_STATE"
        session.rollback()
    assert _stock(session, bought) == (before[0] + 2, before[1] + 2)
    # The refund afterwards does not restock again either.
    with clock.travel(timedelta(days=4, hours=1)):
        aftersales.refund_received(session, bought.owner, case_id)
        session.commit()
    assert _stock(session, bought) == (before[0] + 2, before[1] + 2)


def test_automatic_receipt_restocks_too(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=5000, quantity=1)
    case_id = _returning(session, bought, CaseReason.NO_REASON, 1, [])
    before = _stock(session, bought)
    with clock.travel(timedelta(days=30)):
        assert aftersales.run_timeouts(session)["received"] == [case_id]
        session.commit()
        assert aftersales.run_timeouts(session)["received"] == []
        session.commit()
    assert _stock(session, bought) == (before[0] + 1, before[1] + 1)


def test_damaged_return_and_fault_return_are_not_restocked(
    client: TestClient, app: FastAPI, db: Database, session: Session, settings: object
) -> None:
    bought = paid_order(client, app, db, session, price_fen=5000, quantity=1)
    case_id = _returning(session, bought, CaseReason.NO_REASON, 1, [])
    before = _stock(session, bought)
    with clock.travel(timedelta(days=4)):
        out = aftersales.receive(session, bought.owner, case_id, damaged=True)
        session.commit()
    assert _stock(session, bought) == before
    assert [e.kind for e in out.events][-2:] == ["received", "not_restocked"]

    faulty = paid_order(client, app, db, session, price_fen=5000, quantity=1)
    evidence = [photo(session, app.state.storage, faulty.buyer)]
    fault_case = _returning(session, faulty, CaseReason.QUALITY, 1, evidence)
    before = _stock(session, faulty)
    with clock.travel(timedelta(days=4)):
        out = aftersales.receive(session, faulty.owner, fault_case)
        session.commit()
    assert _stock(session, faulty) == before
    assert "restocked" not in [e.kind for e in out.events]


def test_racing_receipts_restock_once(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    """The merchant confirming while the timeout job auto-confirms: one move wins, one restock."""
    bought = paid_order(client, app, db, session, price_fen=5000, quantity=2)
    case_id = _returning(session, bought, CaseReason.NO_REASON, 2, [])
    before = _stock(session, bought)
    session.rollback()  # SQLite: this session's read would hold the write lock the threads need
    receipts = [
        lambda s, p=p: aftersales.receive(s, p, case_id) for p in (bought.owner, None, bought.owner, None)
    ]
    with clock.travel(timedelta(days=30)):  # the clock is process-wide: moved once for every thread
        outcomes = race(db, receipts, ok="received")
    assert sorted(outcomes) == ["AFTERSALES_INVALID_STATE"] * 3 + ["received"]
    assert _stock(session, bought) == (before[0] + 2, before[1] + 2)


def test_receive_over_http_with_damaged_flag(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=5000, quantity=1)
    case_id = _returning(session, bought, CaseReason.NO_REASON, 1, [])
    before = _stock(session, bought)
    session.rollback()
    headers = {**bought.sale.owner_headers, "Idempotency-Key": key()}
    with clock.travel(timedelta(days=4)):
        first = client.post(
            f"/api/v1/aftersales/cases/{case_id}/receive", json={"damaged": False}, headers=headers
        )
        again = client.post(
            f"/api/v1/aftersales/cases/{case_id}/receive", json={"damaged": False}, headers=headers
        )
    assert first.status_code == 200 and first.json()["status"] == "received"
    assert again.json() == first.json()
    assert _stock(session, bought) == (before[0] + 1, before[1] + 1)
