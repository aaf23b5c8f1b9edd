"""House rule 6 across domains: every write a client may retry, sent twice with one key, moves once."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.ledger.models import LedgerTransaction
from laotie.orders.models import Checkout, Order
from laotie.payments.models import PaymentIntent
from laotie.settlement.models import Withdrawal
from tests.factories.orders import make_buyer, make_on_sale
from tests.factories.settlement import give_available, set_account
from tests.factories.shops import principal_of


def _counts(session: Session) -> dict[str, int]:
    counts = {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Checkout, Order, PaymentIntent, Withdrawal, LedgerTransaction)
    }
    session.rollback()  # end the read: on SQLite an open write session would block the next request
    return counts


def _twice(session: Session, send: Callable[[], object]) -> dict[str, int]:
    """Send once, then again with the same key: the second answer matches and nothing more moved."""
    first = send()
    after_first = _counts(session)
    second = send()
    assert second.status_code in (200, 201), second.text  # type: ignore[attr-defined]
    body_1, body_2 = first.json(), second.json()  # type: ignore[attr-defined]
    body_1.pop("replayed", None), body_2.pop("replayed", None)
    assert body_1 == body_2
    assert _counts(session) == after_first
    return after_first


def test_each_retryable_write_moves_once(client: TestClient, session: Session) -> None:
    buyer = make_buyer(session)
    sale = make_on_sale(session, stock=10, price_fen=3000)
    buy = {
        "sku_id": sale.sku_id,
        "quantity": 1,
        "expected_unit_price_fen": 3000,
        "address_id": buyer.address_id,
    }
    counts = _twice(
        session,
        lambda: client.post(
            "/api/v1/orders/buy-now", json=buy, headers={**buyer.headers, "Idempotency-Key": "retry-buy"}
        ),
    )
    assert counts["orders_order"] == 1
    checkout = {
        "address_id": buyer.address_id,
        "lines": [{"sku_id": sale.sku_id, "quantity": 2, "expected_unit_price_fen": 3000}],
    }
    counts = _twice(
        session,
        lambda: client.post(
            "/api/v1/checkout", json=checkout, headers={**buyer.headers, "Idempotency-Key": "retry-checkout"}
        ),
    )
    assert counts["orders_order"] == 2
    checkout_id = client.get("/api/v1/orders", headers=buyer.headers).json()["items"][0]["checkout_id"]
    counts = _twice(
        session,
        lambda: client.post(
            f"/api/v1/checkouts/{checkout_id}/pay", headers={**buyer.headers, "Idempotency-Key": "retry-pay"}
        ),
    )
    assert counts["payments_intent"] == 1

    from laotie.shops.models import Shop

    shop = session.get(Shop, sale.shop_id)
    assert shop is not None
    give_available(session, sale.shop_id, 5000)
    set_account(session, sale.shop_id, principal_of(session, shop.owner_id))
    counts = _twice(
        session,
        lambda: client.post(
            f"/api/v1/shops/{sale.shop_id}/withdrawals",
            json={"amount_fen": 2000},
            headers={**sale.owner_headers, "Idempotency-Key": "retry-withdraw"},
        ),
    )
    assert counts["settlement_withdrawal"] == 1
