"""A run of OrderPaid events for one product re-indexes it once, with every paid unit counted."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.orders import service as orders
from laotie.payments.schemas import IntentOut
from laotie.search.models import DocKind, SearchDoc
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale
from tests.factories.payments import confirm, deliver


def test_ten_paid_orders_of_one_product_reindex_it_once(
    client: TestClient, app: FastAPI, db: Database, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    sale = make_on_sale(session, stock=50)
    app.state.outbox_worker.run_until_idle()
    for _ in range(10):
        buyer = make_buyer(session)
        placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (sale, 1)), key())
        intent = orders.pay(session, buyer.principal, placed.checkout_id, key())
        session.commit()
        assert confirm(client, IntentOut.model_validate(intent.model_dump())).status_code == 202
    app.state.outbox_worker.run_until_idle()  # the placements' events, before any order is paid
    lookups: list[list[int]] = []
    real = orders.products_of_orders
    monkeypatch.setattr(orders, "products_of_orders", lambda s, ids: (lookups.append(ids), real(s, ids))[1])

    deliver(db, client)  # every webhook: the ten orders become paid, ten OrderPaid events
    app.state.outbox_worker.run_until_idle()

    assert len(lookups) == 1 and len(lookups[0]) == 10  # one re-index for the ten orders
    session.rollback()
    sales = session.scalar(
        select(SearchDoc.sales).where(SearchDoc.kind == DocKind.PRODUCT, SearchDoc.ref_id == sale.product_id)
    )
    assert sales == 10


def _doc(session: Session, product_id: int) -> dict[str, object]:
    row = session.execute(
        select(SearchDoc).where(SearchDoc.kind == DocKind.PRODUCT, SearchDoc.ref_id == product_id)
    ).scalar_one()
    return {c.key: getattr(row, c.key) for c in SearchDoc.__table__.columns if c.key != "indexed_at"}


def test_paid_orders_set_the_sales_columns_without_a_reindex_and_search_shows_them(
    client: TestClient, app: FastAPI, db: Database, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from laotie.search import indexing

    sale = make_on_sale(session, stock=4)
    app.state.outbox_worker.run_until_idle()
    for _ in range(4):  # every unit: the product sells out
        buyer = make_buyer(session)
        placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (sale, 1)), key())
        intent = orders.pay(session, buyer.principal, placed.checkout_id, key())
        session.commit()
        assert confirm(client, IntentOut.model_validate(intent.model_dump())).status_code == 202
    app.state.outbox_worker.run_until_idle()
    rebuilt: list[list[int]] = []
    real = indexing.index_products
    monkeypatch.setattr(
        indexing, "index_products", lambda s, ids: (rebuilt.append(list(ids)), real(s, ids))[1]
    )

    deliver(db, client)
    app.state.outbox_worker.run_until_idle()

    assert rebuilt == []  # no document rebuilt (no tokenising) for a payment
    [hit] = [
        h
        for h in client.get("/api/v1/search/products", params={"sort": "sales"}).json()["items"]
        if h["id"] == sale.product_id
    ]
    assert hit["sales_count"] == 4 and hit["in_stock"] is False
    session.rollback()
    counted = _doc(session, sale.product_id)
    real(session, [sale.product_id])  # what a full rebuild would have written
    session.flush()
    assert _doc(session, sale.product_id) == counted
    session.rollback()
