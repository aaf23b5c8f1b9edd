"""Opening after-sales cases at the same moment, one race per case kind (issue 9 item 1).

On PostgreSQL the threads truly overlap (each its own session); on SQLite the writers queue. The
order row is held FOR UPDATE while a case is priced, so the second opening prices from what the
first paid: five 七天保价 claims on one drop pay once, five returns open one case, five refund-only
requests refund once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.aftersales import service as aftersales
from laotie.aftersales.models import Case, CaseKind, CaseReason
from laotie.aftersales.schemas import CaseIn, CaseLineIn
from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.orders import service as orders
from laotie.orders.models import OrderLine
from tests.factories.aftersales import (
    Bought,
    delivered,
    line_id,
    open_case,
    paid_order,
    photo,
    psp_cash,
    ship,
)
from tests.factories.orders import key
from tests.factories.races import race

N = 5


def _race(db: Database, bought: Bought, bodies: list[CaseIn], keys: list[str]) -> list[str]:
    """Open every body at once, each in its own session; the outcome of each: its status or code."""
    openings = [
        lambda s, b=b, k=k: aftersales.open_case(s, bought.buyer.principal, b, k)
        for b, k in zip(bodies, keys, strict=True)
    ]
    return race(db, openings, ok=lambda out: str(out.status))


def _body(bought: Bought, kind: CaseKind, reason: CaseReason, **extra: object) -> CaseIn:
    return CaseIn(order_id=bought.order_id, kind=kind, reason=reason, description="并发", **extra)  # type: ignore[arg-type]


def _cases(session: Session, order_id: int) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Case).where(Case.order_id == order_id)) or 0


def _keys(make: Callable[[], str] = key) -> list[str]:
    return [make() for _ in range(N)]


def test_five_price_protection_claims_on_one_drop_pay_once(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    """The issue's figures: 2 × ¥39.90; a drop to ¥36.90 pays ¥6.00; a drop to ¥35.90 and five
    claims at once pay ¥2.00 once, never five times (¥16.00 refunded instead of ¥8.00)."""
    bought = paid_order(client, app, db, session, price_fen=3990, quantity=2)
    catalog.set_sku_price(session, bought.owner, bought.sale.sku_id, 3690, "降价")
    session.commit()
    first = open_case(session, bought, CaseKind.PRICE_PROTECTION, CaseReason.PRICE_DROP)
    assert first.refunded_fen == 600
    with clock.travel(timedelta(minutes=5)):
        catalog.set_sku_price(session, bought.owner, bought.sale.sku_id, 3590, "再降价")
        session.commit()
        cash = psp_cash(session)
        session.rollback()
        body = _body(bought, CaseKind.PRICE_PROTECTION, CaseReason.PRICE_DROP)
        outcomes = _race(db, bought, [body] * N, _keys())
    assert sorted(outcomes).count("refunded") == 1, outcomes
    assert set(outcomes) == {"refunded", "PRICE_PROTECTION_NO_DROP"}, outcomes
    session.rollback()
    assert orders.refundable_order(session, bought.order_id).refunded_fen == 800
    assert psp_cash(session) == cash - 200
    line = session.get(OrderLine, line_id(session, bought))
    assert line is not None and line.refunded_fen == 800 and line.protected_price_fen == 3590


def test_the_same_claim_retried_at_once_answers_the_one_case(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=3990, quantity=2)
    catalog.set_sku_price(session, bought.owner, bought.sale.sku_id, 3690, "降价")
    session.commit()
    body = _body(bought, CaseKind.PRICE_PROTECTION, CaseReason.PRICE_DROP)
    same = key()
    outcomes = _race(db, bought, [body] * N, [same] * N)
    assert outcomes == ["refunded"] * N, outcomes
    assert _cases(session, bought.order_id) == 1
    assert orders.refundable_order(session, bought.order_id).refunded_fen == 600


def test_five_returns_at_once_open_one_case(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=5000, quantity=2)
    delivered(session, bought)
    with clock.travel(timedelta(days=3)):
        lines = [CaseLineIn(line_id=line_id(session, bought), quantity=1)]
        session.rollback()
        body = _body(bought, CaseKind.RETURN, CaseReason.NO_REASON, lines=lines)
        outcomes = _race(db, bought, [body] * N, _keys())
    assert sorted(outcomes) == ["AFTERSALES_ALREADY_OPEN"] * (N - 1) + ["requested"], outcomes
    assert _cases(session, bought.order_id) == 1


def test_five_refund_only_requests_before_shipment_refund_once(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=6900)
    cash = psp_cash(session)
    session.rollback()
    body = _body(bought, CaseKind.REFUND_ONLY, CaseReason.CHANGED_MIND)
    outcomes = _race(db, bought, [body] * N, _keys())
    assert outcomes.count("refunded") == 1, outcomes
    assert set(outcomes) == {"refunded", "AFTERSALES_ORDER_NOT_ELIGIBLE"}, outcomes
    assert _cases(session, bought.order_id) == 1
    assert orders.refundable_order(session, bought.order_id).refunded_fen == 6900
    assert psp_cash(session) == cash - 6900


def test_five_refund_only_claims_after_shipment_open_one_case(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=6900)
    ship(session, bought)
    photos = [photo(session, app.state.storage, bought.buyer) for _ in range(N)]
    bodies = [
        _body(bought, CaseKind.REFUND_ONLY, CaseReason.DAMAGED, amount_fen=3000, evidence_ids=[p])
        for p in photos
    ]
    session.rollback()
    outcomes = _race(db, bought, bodies, _keys())
    assert sorted(outcomes) == ["AFTERSALES_ALREADY_OPEN"] * (N - 1) + ["requested"], outcomes
    assert _cases(session, bought.order_id) == 1


def test_the_line_guard_refuses_a_claim_priced_from_a_line_that_moved(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    """Without the order lock (a path that forgot it), the per-line compare-and-set still holds:
    a claim priced before another paid is refused, and so is more money or units than the line."""
    import pytest

    bought = paid_order(client, app, db, session, price_fen=3990, quantity=2)
    catalog.set_sku_price(session, bought.owner, bought.sale.sku_id, 3690, "降价")
    session.commit()
    open_case(session, bought, CaseKind.PRICE_PROTECTION, CaseReason.PRICE_DROP)
    line = line_id(session, bought)
    stale = orders.LineRefund(line, 200, 0, protected_price_fen=3590, seen_refunded_fen=0)
    for item in (stale, orders.LineRefund(line, 7981 - 600, 0), orders.LineRefund(line, 0, 3)):
        with pytest.raises(AppError) as caught:
            orders.record_line_refunds(session, bought.order_id, [item])
        assert caught.value.code == "LINE_REFUND_CONFLICT"
        session.rollback()
    fresh = orders.LineRefund(
        line, 200, 0, protected_price_fen=3590, seen_refunded_fen=600, seen_protected_price_fen=3690
    )
    orders.record_line_refunds(session, bought.order_id, [fresh])
    row = session.get(OrderLine, line)
    assert row is not None and (row.refunded_fen, row.protected_price_fen) == (800, 3590)
    session.rollback()
