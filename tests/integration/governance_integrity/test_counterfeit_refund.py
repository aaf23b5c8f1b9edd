"""The counterfeit procedure end to end: freeze, shelf cleared, every open and recent order refunded
once through the after-sales path, 假一赔三 paid from the shop (the rest owed), the report; a second
start refused with nothing changed. The books are checked after every test (conftest)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.governance import counterfeit
from laotie.governance.counterfeit_refund import drive
from laotie.governance.models_integrity import CounterfeitItem, CounterfeitRun, CounterfeitRunStatus
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.shops import service as shops
from tests.integration.governance_integrity.factories import (
    counterfeit_cases,
    fake_seller,
    order_state,
    payment_refunds,
)


def test_counterfeit_procedure_refunds_every_order_once(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    seller = fake_seller(client, app, db, session, orders_count=4, price_fen=5000)
    shop_id, product_id = seller.sale.shop_id, seller.sale.product_id
    out = counterfeit.start(
        session, seller.staff, shop_id=shop_id, product_ids=[product_id], reason="鉴定为假冒商品"
    )
    session.commit()
    assert out.status == CounterfeitRunStatus.COLLECTING
    assert shops.withdrawals_frozen(session, shop_id)
    assert catalog.inspect_product(session, seller.staff, product_id).status == "banned"
    session.rollback()  # SQLite: release the write lock the reads took before another session writes
    drive(db, out.id, batch=3)  # two batches and the closing empty one
    session.rollback()
    report = counterfeit.get_run(session, out.id)
    assert report.status == CounterfeitRunStatus.DONE
    assert (report.total_orders, report.refunded_orders, report.failed_orders) == (4, 4, 0)
    assert report.buyers == 4
    assert report.refunded_fen == 4 * 5000
    assert report.compensation_fen == 3 * 4 * 5000
    # The completed order's money reached the shop (pending); nothing was available, so the whole
    # compensation is owed: the shop's available balance is that far below zero.
    assert report.compensation_funded_fen == 0
    assert report.compensation_owed_fen == report.compensation_fen
    assert ledger.balance(session, K.SHOP_AVAILABLE, shop_id) == -report.compensation_fen
    for b in seller.bought:
        assert order_state(session, b.order_id) == ("closed", 5000, 5000)
        assert counterfeit_cases(session, b.order_id) == 1
    assert payment_refunds(session) == 4
    # Every buyer's compensation was booked out of BUYER_CREDIT to their payment account at once.
    assert all(ledger.balance(session, K.BUYER_CREDIT, b.buyer.user_id) == 0 for b in seller.bought)
    session.rollback()
    # Driving it again moves nothing.
    drive(db, out.id)
    session.rollback()
    assert payment_refunds(session) == 4
    assert counterfeit.get_run(session, out.id).refunded_fen == 4 * 5000


def test_a_second_start_is_refused_and_changes_nothing(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    seller = fake_seller(client, app, db, session, orders_count=1)
    kwargs = {"shop_id": seller.sale.shop_id, "product_ids": [seller.sale.product_id], "case_id": 77}
    first = counterfeit.start(session, seller.staff, reason="售假", **kwargs)  # type: ignore[arg-type]
    session.commit()
    with pytest.raises(AppError) as refused:
        counterfeit.start(session, seller.staff, reason="再来一次", **kwargs)  # type: ignore[arg-type]
    assert refused.value.code == "COUNTERFEIT_RUN_EXISTS" and refused.value.status == 409
    session.rollback()
    assert session.scalar(select(func.count()).select_from(CounterfeitRun)) == 1
    assert counterfeit.get_run(session, first.id).total_orders == 0


def test_start_over_http_and_bad_input(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    from laotie.core.auth import Role
    from tests.factories.access import fresh_headers

    seller = fake_seller(client, app, db, session, orders_count=1)
    headers = fresh_headers(session, seller.staff.user_id, (Role.GOVERNANCE,))()
    body = {
        "shop_id": seller.sale.shop_id,
        "product_ids": [seller.sale.product_id],
        "reason": "售假",
        "case_id": 5,
    }
    assert client.post("/api/v1/governance/counterfeit-runs", json=body, headers=headers).status_code == 201
    again = client.post("/api/v1/governance/counterfeit-runs", json=body, headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "COUNTERFEIT_RUN_EXISTS"
    other_shop = {**body, "case_id": 6, "shop_id": seller.sale.shop_id, "product_ids": [2**62]}
    missing = client.post("/api/v1/governance/counterfeit-runs", json=other_shop, headers=headers)
    assert missing.status_code == 404
    assert client.get("/api/v1/governance/counterfeit-runs/999999", headers=headers).status_code == 404
    buyer = seller.bought[0].buyer.headers
    assert client.post("/api/v1/governance/counterfeit-runs", json=body, headers=buyer).status_code == 403
    session.rollback()
    assert session.scalar(select(func.count()).select_from(CounterfeitItem)) == 0
