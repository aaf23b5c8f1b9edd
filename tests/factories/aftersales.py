"""Orders in every after-sales starting position (paid, shipped, delivered, completed, settled),
made through the real services and the sandbox PSP, and helpers to open and follow cases."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.aftersales import service as aftersales
from laotie.aftersales.models import CaseKind, CaseReason
from laotie.aftersales.schemas import CaseIn, CaseLineIn, CaseOut
from laotie.categories import service as categories
from laotie.categories.schemas import CategoryCreate
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.db import Database
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.orders import fulfilment
from laotie.orders import service as orders
from tests.factories.catalog import image_bytes, leaf_category_id, owner_principal
from tests.factories.orders import (
    Buyer,
    OnSale,
    checkout_and_pay,
    checkout_body,
    key,
    make_buyer,
    make_on_sale,
)


@dataclass(frozen=True)
class Bought:
    buyer: Buyer
    sale: OnSale
    order_id: int
    owner: Principal
    quantity: int

    @property
    def paid_fen(self) -> int:
        return self.sale.price_fen * self.quantity


def exempt_category(session: Session) -> int:
    """A new leaf excluded from no-reason returns (like 生鲜), beside the default first leaf."""
    parent = categories.get_category(session, leaf_category_id(session)).parent_id
    out = categories.create_category(
        session, CategoryCreate(parent_id=parent, name=f"生鲜{uuid.uuid4().hex[:8]}", return_exempt=True)
    )
    session.commit()
    return out.id


def paid_order(
    client: TestClient,
    app: FastAPI,
    db: Database,
    session: Session,
    price_fen: int = 10000,
    quantity: int = 1,
    sale: OnSale | None = None,
    buyer: Buyer | None = None,
) -> Bought:
    buyer = buyer or make_buyer(session)
    sale = sale or make_on_sale(session, price_fen=price_fen)
    placed = checkout_and_pay(client, app, db, session, buyer, checkout_body(buyer, (sale, quantity)))
    order_id = placed.orders[0].id
    assert orders.buyer_order(session, buyer.principal, order_id).status == "paid"
    return Bought(buyer, sale, order_id, owner_principal(session, sale.shop_id), quantity)


def ship(session: Session, bought: Bought) -> None:
    fulfilment.ship(
        session, bought.owner, bought.sale.shop_id, bought.order_id, "中通快递", f"ZT{bought.order_id:010d}"
    )
    session.commit()


def delivered(session: Session, bought: Bought) -> None:
    """Shipped now and signed for 49 hours later (the carrier's 签收, as logistics reports it)."""
    ship(session, bought)
    with clock.travel(timedelta(hours=49)):
        assert fulfilment.mark_delivered(session, bought.order_id)
        session.commit()


def completed(session: Session, bought: Bought) -> None:
    delivered(session, bought)
    with clock.travel(timedelta(hours=50)):
        fulfilment.confirm_receipt(session, bought.buyer.principal, bought.order_id)
        session.commit()


def line_id(session: Session, bought: Bought) -> int:
    return orders.refundable_order(session, bought.order_id).lines[0].line_id


def open_case(
    session: Session,
    bought: Bought,
    kind: CaseKind,
    reason: CaseReason,
    *,
    quantity: int | None = None,
    amount_fen: int | None = None,
    evidence_ids: list[int] | None = None,
    idempotency_key: str | None = None,
) -> CaseOut:
    lines = [CaseLineIn(line_id=line_id(session, bought), quantity=quantity)] if quantity else []
    body = CaseIn(
        order_id=bought.order_id,
        kind=kind,
        reason=reason,
        lines=lines,
        amount_fen=amount_fen,
        evidence_ids=evidence_ids or [],
        description="测试",
    )
    out = aftersales.open_case(session, bought.buyer.principal, body, idempotency_key or key())
    session.commit()
    return out


def photo(session: Session, storage: object, buyer: Buyer) -> int:
    out = aftersales.upload_evidence(session, storage, buyer.principal, image_bytes(), "破损照片")  # type: ignore[arg-type]
    session.commit()
    return out.id


def order_net(session: Session, order_id: int) -> dict[tuple[K, int | None], int]:
    return ledger.net_for(session, "order", order_id)


def psp_cash(session: Session) -> int:
    return ledger.balance(session, K.PSP_CASH)


def row_counts(session: Session) -> dict[str, int]:
    """Rows a refused after-sales request must not add: cases, their trail and refunds, ledger
    transactions, payment refunds, order events and the outbox."""
    from sqlalchemy import func, select

    from laotie.aftersales.models import Case, CaseEvent, CaseRefund
    from laotie.core.events import OutboxEvent
    from laotie.ledger.models import LedgerTransaction
    from laotie.orders.models import OrderEvent
    from laotie.payments.models import PaymentRefund

    tables = {
        "aftersales_case": Case,
        "aftersales_case_event": CaseEvent,
        "aftersales_refund": CaseRefund,
        "ledger_transaction": LedgerTransaction,
        "payments_refund": PaymentRefund,
        "orders_event": OrderEvent,
        "outbox": OutboxEvent,
    }
    return {name: session.scalar(select(func.count()).select_from(m)) or 0 for name, m in tables.items()}
