"""The 系统默认好评 15 days after completion, screening that holds 好评返现 and diversion for staff,
and governance removing a review through its event."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.events import OutboxEvent, emit
from laotie.events.governance import ContentRemoved
from laotie.moderation.models import ModerationHit
from laotie.orders import service as orders
from laotie.reviews import service as reviews
from laotie.reviews.models import ReviewDue
from tests.factories.shops import make_reviewer
from tests.integration.reviews.helpers import events, received, review_body


def _run_defaults(session: Session, after: timedelta) -> int:
    with clock.travel(after):
        written = reviews.write_due_defaults(session)
        session.commit()
    return written


def test_default_review_fifteen_days_after_completion(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    quiet = received(client, app, db, session, complete=True)
    talkative = received(client, app, db, session, complete=True, sale=quiet.bought.sale)
    assert (
        client.post(
            "/api/v1/reviews", headers=talkative.buyer, json=review_body(talkative.line_id)
        ).status_code
        == 201
    )
    session.rollback()
    due = session.execute(select(ReviewDue.order_line_id, ReviewDue.due_at)).all()
    session.rollback()
    assert [line for line, _ in due] == [quiet.line_id]  # the one reviewed is no longer due
    completed_at = orders.refundable_order(session, quiet.bought.order_id).completed_at
    session.rollback()
    assert completed_at is not None and due[0][1] == completed_at + timedelta(days=15)
    until_due = due[0][1] - clock.now()
    assert _run_defaults(session, until_due - timedelta(minutes=1)) == 0
    assert _run_defaults(session, until_due + timedelta(minutes=1)) == 1
    assert _run_defaults(session, until_due + timedelta(minutes=2)) == 0  # taken once
    payloads = [p for p in events(session, "reviews.review_published") if p["is_default"]]
    assert len(payloads) == 1
    default = payloads[0]
    assert default["order_line_id"] == quiet.line_id and default["buyer_id"] == quiet.bought.buyer.user_id
    assert (default["product_stars"], default["service_stars"], default["logistics_stars"]) == (5, 5, 5)
    assert default["has_photos"] is False and default["tags"] == []
    listed = client.get(f"/api/v1/reviews/products/{quiet.bought.sale.product_id}").json()["items"]
    assert [(r["is_default"], r["text"]) for r in listed] == [(False, review_body(0)["text"]), (True, "")]
    # The buyer may still follow up on a default review.
    pending = client.get("/api/v1/reviews/pending", headers=quiet.buyer).json()
    assert pending == []


def test_bribery_and_diversion_are_held_for_staff(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    got = received(client, app, db, session)
    body = review_body(got.line_id, text="好评返现5元，商家让我给五星")
    answer = client.post("/api/v1/reviews", headers=got.buyer, json=body)
    assert answer.status_code == 201 and answer.json()["status"] == "held"
    rid = answer.json()["id"]
    product = got.bought.sale.product_id
    assert client.get(f"/api/v1/reviews/products/{product}").json()["total"] == 0
    assert client.get(f"/api/v1/reviews/products/{product}/summary").json()["count"] == 0
    assert events(session, "reviews.review_published") == []
    hits = session.scalars(select(ModerationHit).where(ModerationHit.subject_kind == "review")).all()
    assert [(h.subject_id, h.author_id, h.reasons) for h in hits] == [
        (rid, got.bought.buyer.user_id, ["review_bribery"])
    ]
    session.rollback()
    # The buyer sees their own review as held; a stranger does not see it at all.
    assert client.get(f"/api/v1/reviews/{rid}", headers=got.buyer).json()["status"] == "held"
    assert client.get(f"/api/v1/reviews/{rid}").status_code == 404
    _, staff = make_reviewer(session)
    session.rollback()
    held = client.get("/api/v1/governance/reviews/held", headers=staff).json()
    assert [r["id"] for r in held["items"]] == [rid]
    released = client.post(
        f"/api/v1/governance/reviews/{rid}/release", headers=staff, json={"part": "review"}
    )
    assert released.status_code == 200 and released.json()["status"] == "published"
    assert len(events(session, "reviews.review_published")) == 1
    again = client.post(f"/api/v1/governance/reviews/{rid}/release", headers=staff, json={"part": "review"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "REVIEW_NOTHING_HELD"
    # A follow-up with a WeChat id is held too: others do not see it, its author does.
    follow = client.post(
        f"/api/v1/reviews/{rid}/followup", headers=got.buyer, json={"text": "有问题加我微信 abc12345"}
    )
    assert follow.status_code == 200 and follow.json()["followup_status"] == "held"
    public = client.get(f"/api/v1/reviews/{rid}").json()
    assert public["followup_text"] is None and public["followup_at"] is None
    assert events(session, "reviews.followup_published") == []


def test_governance_removal_event_removes_and_records(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    got = received(client, app, db, session)
    rid = client.post("/api/v1/reviews", headers=got.buyer, json=review_body(got.line_id)).json()["id"]
    emit(session, ContentRemoved(kind="video", id=rid, case_id=7, reason="别的"))
    emit(session, ContentRemoved(kind="review", id=rid, case_id=7, reason="违规评价"))
    emit(session, ContentRemoved(kind="review", id=rid, case_id=8, reason="重复"))
    session.commit()
    app.state.outbox_worker.run_until_idle()
    removed = events(session, "reviews.review_removed")
    assert len(removed) == 1 and removed[0]["reason"] == "违规评价" and removed[0]["review_id"] == rid
    assert client.get(f"/api/v1/reviews/products/{got.bought.sale.product_id}").json()["total"] == 0
    trail = reviews.trail(session, rid)
    session.rollback()
    assert [e.kind for e in trail] == ["published", "removed"]
    # Whoever listens to reviews' events (scores) took both without an error.
    failed = session.scalars(
        select(OutboxEvent.topic).where(
            OutboxEvent.topic.like("reviews.%"), OutboxEvent.delivered_at.is_(None)
        )
    ).all()
    session.rollback()
    assert failed == []
