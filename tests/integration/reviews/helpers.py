"""Orders that reached their buyer, made through the real services, and what reviews tests read back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.events import OutboxEvent
from laotie.reviews.models import Review, ReviewEvent, ReviewHelpful, ReviewPhoto, ReviewReport, ReviewTag
from tests.factories.aftersales import Bought, completed, delivered, line_id, paid_order
from tests.factories.catalog import image_bytes
from tests.factories.orders import OnSale


@dataclass(frozen=True)
class Received:
    bought: Bought
    line_id: int

    @property
    def buyer(self) -> dict[str, str]:
        return self.bought.buyer.headers

    @property
    def owner(self) -> dict[str, str]:
        return self.bought.sale.owner_headers


def received(
    client: TestClient,
    app: FastAPI,
    db: Database,
    session: Session,
    *,
    complete: bool = False,
    sale: OnSale | None = None,
) -> Received:
    """A paid order, shipped and signed for (and confirmed, with ``complete``)."""
    bought = paid_order(client, app, db, session, sale=sale)
    (completed if complete else delivered)(session, bought)
    # The factories sign for the parcel 49 hours on, and confirm 50 hours after that: their events
    # are due then, so the worker runs then too.
    with clock.travel(timedelta(hours=100)):
        app.state.outbox_worker.run_until_idle()
    session.rollback()
    line = line_id(session, bought)
    session.rollback()  # SQLite: a read left open holds the write lock the requests need
    return Received(bought, line)


def upload(client: TestClient, headers: dict[str, str], color: tuple[int, int, int] = (200, 30, 30)) -> int:
    answer = client.post(
        "/api/v1/reviews/photos",
        headers=headers,
        files={"file": ("p.png", image_bytes(320, 240, color=color), "image/png")},
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def review_body(line: int, **extra: Any) -> dict[str, Any]:
    return {
        "order_line_id": line,
        "product_stars": 5,
        "service_stars": 4,
        "logistics_stars": 5,
        "text": "质量很好，就是尺码偏小，物流很快",
        **extra,
    }


def events(session: Session, topic: str) -> list[dict[str, Any]]:
    session.rollback()
    rows = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id))
    out = [dict(r.payload) for r in rows]
    session.rollback()
    return out


def counts(session: Session) -> dict[str, int]:
    """Rows a refused request must not add."""
    session.rollback()
    tables = {
        "review": Review,
        "photo_attached": ReviewPhoto,
        "tag": ReviewTag,
        "helpful": ReviewHelpful,
        "report": ReviewReport,
        "trail": ReviewEvent,
        "outbox": OutboxEvent,
    }
    out = {name: session.scalar(select(func.count()).select_from(m)) or 0 for name, m in tables.items()}
    out["photo_attached"] = (
        session.scalar(
            select(func.count()).select_from(ReviewPhoto).where(ReviewPhoto.review_id.is_not(None))
        )
        or 0
    )
    session.rollback()
    return out
