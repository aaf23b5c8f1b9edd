"""Every refusal of the issue's list: a 4xx with a stable code, and nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.reviews import service as reviews
from laotie.reviews.schemas import FollowupIn
from tests.factories.aftersales import line_id, paid_order
from tests.factories.orders import make_on_sale
from tests.integration.reviews.helpers import counts, received, review_body, upload


def _refused(
    client: TestClient, session: Session, method: str, url: str, headers: dict[str, str], **kw: object
) -> str:
    before = counts(session)
    answer = client.request(method, url, headers=headers, **kw)  # type: ignore[arg-type]
    assert 400 <= answer.status_code < 500, answer.text
    assert counts(session) == before, f"{url} wrote something although it was refused"
    return str(answer.json()["error"]["code"])


def test_refusals_change_nothing(client: TestClient, app: FastAPI, db: Database, session: Session) -> None:
    got = received(client, app, db, session)
    url = "/api/v1/reviews"
    # Undelivered: paid, not yet shipped.
    unshipped = paid_order(client, app, db, session, buyer=got.bought.buyer, sale=got.bought.sale)
    unshipped_line = line_id(session, unshipped)
    session.rollback()
    assert (
        _refused(client, session, "POST", url, got.buyer, json=review_body(unshipped_line))
        == "REVIEW_NOT_RECEIVED"
    )
    # Someone else's line, and one that does not exist.
    other = received(client, app, db, session, sale=got.bought.sale)
    assert (
        _refused(client, session, "POST", url, got.buyer, json=review_body(other.line_id))
        == "REVIEW_LINE_NOT_FOUND"
    )
    assert (
        _refused(client, session, "POST", url, got.buyer, json=review_body(2**63 - 1))
        == "REVIEW_LINE_NOT_FOUND"
    )
    # Stars outside 1-5, on each dimension.
    for field, value in (("product_stars", 0), ("service_stars", 6), ("logistics_stars", -1)):
        body = review_body(got.line_id, **{field: value})
        assert _refused(client, session, "POST", url, got.buyer, json=body) == "REVIEW_STARS_INVALID"
    # A tenth photo.
    photos = [upload(client, got.buyer, (i * 20, 10, 10)) for i in range(10)]
    body = review_body(got.line_id, photo_ids=photos)
    assert _refused(client, session, "POST", url, got.buyer, json=body) == "REVIEW_TOO_MANY_PHOTOS"
    # Someone else's photo.
    theirs = upload(client, other.buyer)
    body = review_body(got.line_id, photo_ids=[theirs])
    assert _refused(client, session, "POST", url, got.buyer, json=body) == "REVIEW_PHOTO_NOT_FOUND"
    # A file that is no image.
    not_image = {"file": ("evil.png", b"MZ\x90\x00 not an image at all", "image/png")}
    assert _refused(client, session, "POST", f"{url}/photos", got.buyer, files=not_image) == "INVALID_IMAGE"
    # Twice.
    ok = client.post(url, headers=got.buyer, json=review_body(got.line_id, photo_ids=photos[:9]))
    assert ok.status_code == 201 and len(ok.json()["photos"]) == 9
    rid = ok.json()["id"]
    assert (
        _refused(client, session, "POST", url, got.buyer, json=review_body(got.line_id))
        == "REVIEW_ALREADY_EXISTS"
    )
    # A reply by another shop, and by the buyer.
    stranger = make_on_sale(session)
    reply = {"json": {"text": "我们也来回复"}}
    assert (
        _refused(client, session, "POST", f"{url}/{rid}/reply", stranger.owner_headers, **reply)
        == "REVIEW_NOT_YOUR_SHOP"
    )
    assert (
        _refused(client, session, "POST", f"{url}/{rid}/reply", got.buyer, **reply) == "REVIEW_NOT_YOUR_SHOP"
    )
    # A follow-up by someone else, and after 90 days.
    follow = {"json": {"text": "追评"}}
    assert (
        _refused(client, session, "POST", f"{url}/{rid}/followup", other.buyer, **follow)
        == "REVIEW_NOT_FOUND"
    )
    # (Through the service: a sign-in token does not live 90 days.)
    before = counts(session)
    with clock.travel(timedelta(days=90, minutes=1)), pytest.raises(AppError) as late:
        reviews.add_followup(session, got.bought.buyer.principal, rid, FollowupIn(text="追评"))
    session.rollback()
    assert late.value.code == "REVIEW_FOLLOWUP_TOO_LATE" and late.value.status == 409
    assert counts(session) == before
    # A reply to a follow-up that does not exist.
    assert (
        _refused(client, session, "POST", f"{url}/{rid}/followup/reply", got.owner, **reply)
        == "REVIEW_NO_FOLLOWUP"
    )
    # Not signed in.
    assert _refused(client, session, "POST", url, {}, json=review_body(got.line_id)) == "NOT_AUTHENTICATED"


def test_follow_up_just_inside_ninety_days_is_taken(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    got = received(client, app, db, session)
    rid = client.post("/api/v1/reviews", headers=got.buyer, json=review_body(got.line_id)).json()["id"]
    with clock.travel(timedelta(days=89, hours=23)):
        out = reviews.add_followup(
            session, got.bought.buyer.principal, rid, FollowupIn(text="用了三个月还不错")
        )
        session.commit()
    assert out.followup_text == "用了三个月还不错" and out.followup_status == "published"
