"""A shop selling a fake product to several buyers: paid, shipped and completed orders made through
the real services and the sandbox PSP; and the governance user who acts on it."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.aftersales.models import Case, CaseReason
from laotie.core.auth import Principal
from laotie.core.db import Database
from laotie.orders import service as orders
from laotie.payments.models import PaymentRefund
from tests.factories.aftersales import Bought, completed, paid_order, ship
from tests.factories.catalog import reviewer_principal
from tests.factories.orders import OnSale, make_on_sale


@dataclass(frozen=True)
class FakeSeller:
    sale: OnSale
    bought: list[Bought]
    staff: Principal


def fake_seller(
    client: TestClient,
    app: FastAPI,
    db: Database,
    session: Session,
    orders_count: int = 4,
    price_fen: int = 5000,
) -> FakeSeller:
    """``orders_count`` paid orders of one product; the second is shipped and the third completed."""
    sale = make_on_sale(session, stock=1000, price_fen=price_fen)
    bought = [paid_order(client, app, db, session, sale=sale) for _ in range(orders_count)]
    if orders_count > 1:
        ship(session, bought[1])
    if orders_count > 2:
        completed(session, bought[2])
    return FakeSeller(sale, bought, reviewer_principal(session))


def counterfeit_cases(session: Session, order_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.order_id == order_id, Case.reason == CaseReason.COUNTERFEIT)
        )
        or 0
    )


def payment_refunds(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(PaymentRefund)) or 0


def order_state(session: Session, order_id: int) -> tuple[str, int, int]:
    o = orders.refundable_order(session, order_id)
    return o.status, o.refunded_fen, o.payable_fen
