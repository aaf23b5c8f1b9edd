"""Two reviews of one line at the same moment: exactly one is written. On PostgreSQL the threads
truly overlap; the line's row lock decides, and the unique constraint on the line holds even when
the lock and the existence check are taken away."""

from __future__ import annotations

import threading

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.auth import Principal
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.events import OutboxEvent
from laotie.core.uow import unit_of_work
from laotie.orders import service as orders
from laotie.reviews import service as reviews
from laotie.reviews import writing
from laotie.reviews.models import Review
from laotie.reviews.schemas import ReviewIn
from tests.integration.reviews.helpers import received


def _race(db: Database, buyer: Principal, line_id: int, n: int = 4) -> list[str]:
    barrier = threading.Barrier(n)
    results: list[str] = []
    lock = threading.Lock()

    def run(k: int) -> None:
        body = ReviewIn(
            order_line_id=line_id,
            product_stars=5 - k % 2,
            service_stars=5,
            logistics_stars=5,
            text=f"第{k}条",
        )
        barrier.wait()
        with unit_of_work(db) as session:
            try:
                reviews.create_review(session, buyer, body)
                session.commit()
                outcome = "written"
            except AppError as exc:
                outcome = exc.code
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def _written(session: Session, line_id: int) -> tuple[int, int]:
    session.rollback()
    rows = session.scalar(select(func.count()).select_from(Review).where(Review.order_line_id == line_id))
    published = session.scalar(
        select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == "reviews.review_published")
    )
    session.rollback()
    return int(rows or 0), int(published or 0)


def test_concurrent_reviews_of_one_line_write_one(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    got = received(client, app, db, session)
    results = _race(db, got.bought.buyer.principal, got.line_id)
    assert sorted(results) == ["REVIEW_ALREADY_EXISTS"] * 3 + ["written"]
    assert _written(session, got.line_id) == (1, 1)


def test_the_unique_line_holds_without_the_lock(
    client: TestClient, app: FastAPI, db: Database, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Take away the row lock and the existence check: the constraint alone still lets one through."""
    if db.is_sqlite:
        pytest.skip("SQLite serialises writers: the threads cannot overlap there")
    got = received(client, app, db, session)
    unlocked = orders.reviewable_line

    monkeypatch.setattr(
        writing.orders, "reviewable_line", lambda s, line_id, lock=False: unlocked(s, line_id)
    )
    monkeypatch.setattr(writing, "_existing", lambda s, line_id: None)
    results = _race(db, got.bought.buyer.principal, got.line_id)
    assert sorted(results) == ["REVIEW_ALREADY_EXISTS"] * 3 + ["written"]
    assert _written(session, got.line_id) == (1, 1)
