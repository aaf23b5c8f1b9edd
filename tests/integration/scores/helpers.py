"""Review events as the reviews branch emits them (CONTRACTS.md), and after-sales driven through the
real services, for the scores tests."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.aftersales import service as aftersales
from laotie.aftersales.models import CaseKind, CaseReason
from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.events import OutboxEvent, emit
from laotie.events.reviews import ReviewPublished, ReviewRemoved
from tests.factories.aftersales import Bought, line_id, open_case, photo

_ids = itertools.count(1)


def category_of(session: Session, product_id: int) -> int:
    return catalog.search_facts(session, [product_id])[0].category_id


def review_payload(
    product_id: int,
    shop_id: int,
    category_id: int,
    stars: tuple[int, int, int] = (5, 5, 5),
    *,
    review_id: int | None = None,
    creator_id: int | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    rid = review_id or next(_ids)
    return {
        "review_id": rid,
        "order_id": 900_000 + rid,
        "order_line_id": 800_000 + rid,
        "product_id": product_id,
        "sku_id": 1,
        "shop_id": shop_id,
        "category_id": category_id,
        "buyer_id": 1,
        "creator_id": creator_id,
        "product_stars": stars[0],
        "service_stars": stars[1],
        "logistics_stars": stars[2],
        "is_default": False,
        "has_photos": False,
        "tags": [],
        "published_at": (at or clock.now()).isoformat(),
    }


def publish(session: Session, app: FastAPI, payloads: list[dict[str, Any]]) -> list[int]:
    for p in payloads:
        emit(session, ReviewPublished(**p))
    session.commit()
    app.state.outbox_worker.run_until_idle()
    session.rollback()
    return [int(p["review_id"]) for p in payloads]


def remove(session: Session, app: FastAPI, review_ids: list[int], product_id: int, shop_id: int) -> None:
    for rid in review_ids:
        emit(
            session,
            ReviewRemoved(
                review_id=rid,
                product_id=product_id,
                shop_id=shop_id,
                order_line_id=800_000 + rid,
                removed_at=clock.now().isoformat(),
                reason="违规内容",
            ),
        )
    session.commit()
    app.state.outbox_worker.run_until_idle()
    session.rollback()


def quality_refund(session: Session, app: FastAPI, bought: Bought) -> int:
    """The buyer asks 仅退款 for a quality fault with a photo; the merchant agrees (real services)."""
    evidence = photo(session, app.state.storage, bought.buyer)
    case = open_case(
        session,
        bought,
        CaseKind.REFUND_ONLY,
        CaseReason.QUALITY,
        quantity=bought.quantity,
        evidence_ids=[evidence],
    )
    assert line_id(session, bought)
    aftersales.approve(session, bought.owner, case.id)
    session.commit()
    app.state.outbox_worker.run_until_idle()
    session.rollback()
    return case.id


def topics(session: Session, topic: str) -> list[dict[str, Any]]:
    return [
        dict(e.payload)
        for e in session.scalars(
            select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id)
        )
    ]
