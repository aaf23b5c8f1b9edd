"""Governance's events (complaints upheld, violations confirmed and reversed on appeal), a creator's
integrity from what they sold, and a late shipment, each moving the scores they touch."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.events import emit
from laotie.events.governance import ReportDecided, ViolationConfirmed, ViolationReversed
from laotie.scores import service as scores
from laotie.scores.models import Daily
from laotie.settings import get_settings
from tests.factories.aftersales import paid_order, ship
from tests.factories.orders import make_on_sale
from tests.integration.scores.helpers import category_of, publish, review_payload, topics


def _run(session: Session, app: FastAPI) -> None:
    session.commit()
    app.state.outbox_worker.run_until_idle()
    session.rollback()


def test_complaints_and_violations_move_the_product_score_and_an_appeal_gives_it_back(
    app: FastAPI, db: Database, session: Session
) -> None:
    sale = make_on_sale(session)
    pid, sid = sale.product_id, sale.shop_id
    publish(session, app, [review_payload(pid, sid, category_of(session, pid)) for _ in range(10)])
    before = scores.product_scores(session, [pid])[pid].product_score
    assert before is not None and before >= 90
    now = clock.now().isoformat()
    for report_id, upheld in ((1, True), (2, False), (1, True)):  # the first twice: counted once
        emit(
            session,
            ReportDecided(
                report_id=report_id,
                target_kind="product",
                target_id=pid,
                shop_id=sid,
                product_id=pid,
                reason_code="fake",
                upheld=upheld,
                decided_at=now,
            ),
        )
    _run(session, app)
    # one complaint over (0 + 50) lines: 2 % -> the complaints part is 0: 15 points fewer
    complained = scores.product_scores(session, [pid])[pid].product_score
    assert complained == before - 15
    violation = {
        "case_id": 7,
        "rule_code": "R-FAKE",
        "violation_kind": "counterfeit",
        "subject_kind": "product",
        "subject_id": pid,
        "shop_id": sid,
        "product_id": pid,
        "user_id": None,
        "points": 12,
        "decided_at": now,
    }
    emit(session, ViolationConfirmed(**violation))
    _run(session, app)
    assert scores.product_scores(session, [pid])[pid].product_score == complained - 10  # type: ignore[operator]
    confirmed = {k: v for k, v in violation.items() if k != "decided_at"}
    emit(session, ViolationReversed(**confirmed, reversed_at=now))
    _run(session, app)
    assert scores.product_scores(session, [pid])[pid].product_score == complained


def test_a_creator_integrity_follows_what_they_sold(app: FastAPI, db: Database, session: Session) -> None:
    sale = make_on_sale(session)
    pid, sid, cat = sale.product_id, sale.shop_id, category_of(session, sale.product_id)
    creator = 4242
    publish(session, app, [review_payload(pid, sid, cat, (1, 3, 3), creator_id=creator) for _ in range(4)])
    assert scores.promoter_scores(session, [creator])[creator].integrity is None  # nothing delivered yet
    emit(
        session,
        ReportDecided(
            report_id=9,
            target_kind="user",
            target_id=creator,
            shop_id=None,
            product_id=None,
            reason_code="false_claims",
            upheld=True,
            decided_at=clock.now().isoformat(),
        ),
    )
    _run(session, app)
    # complaint 1 / 50 = 2 % -> 0; bad reviews (20 × 0.05 + 4) / 24 = 0.208 -> 1 - 0.158 / 0.25
    # quality returns (0 + 0.5) / 50 = 1 % -> 0.8: 40 + 0 + 20 × 0.367 = 47.3
    out = scores.promoter_scores(session, [creator])[creator]
    assert out.integrity == 47
    crossed = [e for e in topics(session, "scores.threshold_crossed") if e["subject_kind"] == "user"]
    assert crossed and crossed[0]["score"] == "promoter_integrity" and crossed[0]["direction"] == "below"


def test_a_late_shipment_counts_against_shipping_on_time(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session)
    hours = get_settings().ship_within_hours
    with clock.travel(timedelta(hours=hours + 2)):
        ship(session, bought)
        app.state.outbox_worker.run_until_idle()
        session.rollback()
        row = session.scalars(
            select(Daily).where(Daily.subject_kind == "shop", Daily.subject_id == bought.sale.shop_id)
        ).one()
        assert (row.shipped, row.shipped_late) == (1, 1)
