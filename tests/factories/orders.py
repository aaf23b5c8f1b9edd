"""Buyers with addresses and SKUs on the shelf, for order tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core.auth import Principal
from laotie.core.db import Database
from laotie.orders import service as orders
from laotie.orders.schemas import CheckoutIn, LineIn, PlacedCheckout
from laotie.payments.schemas import IntentOut
from tests.factories import make_user
from tests.factories.addresses import make_address
from tests.factories.catalog import make_listed_product
from tests.factories.payments import confirm, deliver
from tests.factories.shops import make_open_shop, principal_of

_keys = itertools.count(1)


@dataclass(frozen=True)
class Buyer:
    user_id: int
    headers: dict[str, str]
    address_id: int
    principal: Principal


@dataclass(frozen=True)
class OnSale:
    shop_id: int
    owner_headers: dict[str, str]
    product_id: int
    sku_id: int
    price_fen: int


def make_buyer(session: Session) -> Buyer:
    user_id, headers = make_user(session)
    address = make_address(session, user_id)
    buyer = Buyer(user_id, headers, address.id, principal_of(session, user_id))
    # Reading the roles may open a transaction, which on SQLite holds the write lock (writers BEGIN
    # IMMEDIATE): end it, or a test's concurrent buyers wait on this session until they time out.
    session.commit()
    return buyer


def make_on_sale(
    session: Session,
    stock: int = 100,
    price_fen: int = 9900,
    purchase_limit: int | None = None,
    shop_id: int | None = None,
) -> OnSale:
    owner_headers: dict[str, str] = {}
    if shop_id is None:
        shop_id, _, owner_headers = make_open_shop(session)
    extra = {"purchase_limit": purchase_limit} if purchase_limit else {}
    product = make_listed_product(session, shop_id, stock=stock, price_fen=price_fen, **extra)
    session.commit()
    return OnSale(shop_id, owner_headers, product.id, product.skus[0].id, price_fen)


def key() -> str:
    return f"test-key-{next(_keys)}"


def checkout_body(buyer: Buyer, *items: tuple[OnSale, int]) -> CheckoutIn:
    return CheckoutIn(
        lines=[LineIn(sku_id=s.sku_id, quantity=q, expected_unit_price_fen=s.price_fen) for s, q in items],
        address_id=buyer.address_id,
    )


def checkout_and_pay(
    client: TestClient, app: FastAPI, db: Database, session: Session, buyer: Buyer, body: CheckoutIn
) -> PlacedCheckout:
    """Check out ``body`` and pay at the sandbox cashier; the webhook is delivered and the outbox
    (OrderPaid and what reacts to it) handled, so the orders are paid when this returns."""
    placed = orders.checkout(session, buyer.principal, body, key())
    intent = orders.pay(session, buyer.principal, placed.checkout_id, key())
    session.commit()
    assert confirm(client, IntentOut.model_validate(intent.model_dump())).status_code == 202
    deliver(db, client)
    app.state.outbox_worker.run_until_idle()
    session.rollback()  # what the worker committed is seen by the next read
    return placed
