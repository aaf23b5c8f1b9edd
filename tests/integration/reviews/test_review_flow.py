"""A review's whole life over HTTP: written with photos, shown on the product page with its summary
and tags, replied to by the shop, followed up, marked helpful, reported and removed by staff."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core.db import Database
from tests.factories import make_user
from tests.factories.shops import make_reviewer
from tests.integration.reviews.helpers import events, received, review_body, upload


def test_review_reply_followup_helpful_report_remove(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    got = received(client, app, db, session)
    photos = [upload(client, got.buyer), upload(client, got.buyer, (20, 160, 40))]
    answer = client.post(
        "/api/v1/reviews", headers=got.buyer, json=review_body(got.line_id, photo_ids=photos, anonymous=True)
    )
    assert answer.status_code == 201, answer.text
    review = answer.json()
    rid = review["id"]
    assert review["status"] == "published" and not review["is_default"]
    assert review["tags"] == ["尺码偏小", "质量好", "物流快"]
    assert [p["id"] for p in review["photos"]] == photos
    assert "**" in review["display_name"] and review["anonymous"] is True
    assert review["sku_attrs"] == session_sku_attrs(client, got.buyer, got.bought.order_id)

    # Anyone sees it on the product page, with its photos (the thumbnail is a real picture).
    product_id = got.bought.sale.product_id
    listed = client.get(f"/api/v1/reviews/products/{product_id}").json()
    assert [r["id"] for r in listed["items"]] == [rid]
    thumb = client.get(listed["items"][0]["photos"][0]["thumb_url"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    summary = client.get(f"/api/v1/reviews/products/{product_id}/summary").json()
    assert summary["count"] == 1 and summary["average_stars"] == 5.0 and summary["good_rate"] == 1.0
    assert summary["with_photos"] == 1
    assert {t["tag"]: t["count"] for t in summary["tags"]} == {"尺码偏小": 1, "质量好": 1, "物流快": 1}
    assert client.get(f"/api/v1/reviews/products/{product_id}?with_photos=true").json()["total"] == 1
    assert client.get(f"/api/v1/reviews/products/{product_id}?tag=色差").json()["total"] == 0
    assert client.get(f"/api/v1/reviews/products/{product_id}?rating=bad").json()["total"] == 0

    published = events(session, "reviews.review_published")
    assert len(published) == 1
    payload = published[0]
    assert payload["review_id"] == rid and payload["order_line_id"] == got.line_id
    assert payload["shop_id"] == got.bought.sale.shop_id and payload["product_id"] == product_id
    assert payload["sku_id"] == got.bought.sale.sku_id and payload["buyer_id"] == got.bought.buyer.user_id
    assert (payload["product_stars"], payload["service_stars"], payload["logistics_stars"]) == (5, 4, 5)
    assert payload["is_default"] is False and payload["has_photos"] is True and payload["creator_id"] is None
    assert payload["tags"] == ["尺码偏小", "质量好", "物流快"] and payload["published_at"]

    # The shop replies once; the buyer sees it; a second reply is refused.
    reply = client.post(
        f"/api/v1/reviews/{rid}/reply", headers=got.owner, json={"text": "感谢老铁支持，尺码偏小已备注"}
    )
    assert reply.status_code == 200, reply.text
    again = client.post(f"/api/v1/reviews/{rid}/reply", headers=got.owner, json={"text": "再回复一次"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "REVIEW_ALREADY_REPLIED"
    mine = client.get("/api/v1/reviews/mine", headers=got.buyer).json()["items"]
    assert mine[0]["reply_text"] == "感谢老铁支持，尺码偏小已备注"

    # The follow-up, then the shop's reply to it.
    follow = client.post(
        f"/api/v1/reviews/{rid}/followup", headers=got.buyer, json={"text": "穿了一个月，有点起球"}
    )
    assert follow.status_code == 200, follow.text
    assert "做工差" in follow.json()["tags"]
    assert events(session, "reviews.followup_published")[0] == {
        "review_id": rid,
        "product_id": product_id,
        "shop_id": got.bought.sale.shop_id,
        "published_at": events(session, "reviews.followup_published")[0]["published_at"],
    }
    second = client.post(f"/api/v1/reviews/{rid}/followup", headers=got.buyer, json={"text": "再追一次"})
    assert second.status_code == 409 and second.json()["error"]["code"] == "REVIEW_FOLLOWUP_EXISTS"
    answer2 = client.post(
        f"/api/v1/reviews/{rid}/followup/reply", headers=got.owner, json={"text": "可以联系售后"}
    )
    assert answer2.status_code == 200 and answer2.json()["followup_reply_text"] == "可以联系售后"
    assert client.get(f"/api/v1/reviews/products/{product_id}?with_followup=true").json()["total"] == 1

    # Helpful: once per person, not by the author.
    _, other = make_user(session)
    first = client.post(f"/api/v1/reviews/{rid}/helpful", headers=other)
    assert first.status_code == 200 and first.json()["helpful_count"] == 1
    twice = client.post(f"/api/v1/reviews/{rid}/helpful", headers=other)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "REVIEW_ALREADY_HELPFUL"
    own = client.post(f"/api/v1/reviews/{rid}/helpful", headers=got.buyer)
    assert own.status_code == 409 and own.json()["error"]["code"] == "REVIEW_OWN"

    # A report; the merchant cannot remove, edit or delete; staff remove it and it stops counting.
    reported = client.post(
        f"/api/v1/reviews/{rid}/reports", headers=other, json={"reason": "fake", "note": "刷评"}
    )
    assert reported.status_code == 201
    assert (
        client.post(
            f"/api/v1/governance/reviews/{rid}/remove", headers=got.owner, json={"reason": "x"}
        ).status_code
        == 403
    )
    assert client.delete(f"/api/v1/reviews/{rid}", headers=got.owner).status_code == 405
    assert client.patch(f"/api/v1/reviews/{rid}", headers=got.owner, json={"text": "改"}).status_code == 405
    _, staff = make_reviewer(session)
    session.rollback()
    queue = client.get("/api/v1/governance/reviews/reports", headers=staff).json()
    assert [r["review_id"] for r in queue["items"]] == [rid]
    gone = client.post(f"/api/v1/governance/reviews/{rid}/remove", headers=staff, json={"reason": "虚假评价"})
    assert gone.status_code == 204
    assert client.get(f"/api/v1/reviews/products/{product_id}").json()["total"] == 0
    after = client.get(f"/api/v1/reviews/products/{product_id}/summary").json()
    assert after["count"] == 0 and after["average_stars"] is None and after["tags"] == []
    removed = events(session, "reviews.review_removed")
    assert len(removed) == 1 and removed[0]["review_id"] == rid and removed[0]["reason"] == "虚假评价"
    assert removed[0]["order_line_id"] == got.line_id and removed[0]["removed_at"]
    trail = [e["kind"] for e in client.get(f"/api/v1/governance/reviews/{rid}/trail", headers=staff).json()]
    assert trail == ["published", "reply", "followup", "followup_reply", "reported", "removed"]
    assert client.get("/api/v1/governance/reviews/reports", headers=staff).json()["total"] == 0
    # The buyer still sees their own review, marked removed; others no longer can.
    assert client.get("/api/v1/reviews/mine", headers=got.buyer).json()["items"][0]["status"] == "removed"
    assert client.get(f"/api/v1/reviews/{rid}", headers=other).status_code == 404
    again_gone = client.post(f"/api/v1/governance/reviews/{rid}/remove", headers=staff, json={"reason": "x"})
    assert again_gone.status_code == 409 and len(events(session, "reviews.review_removed")) == 1


def session_sku_attrs(client: TestClient, headers: dict[str, str], order_id: int) -> dict[str, str]:
    return dict(client.get(f"/api/v1/orders/{order_id}", headers=headers).json()["lines"][0]["sku_attrs"])


def test_pending_lists_what_reached_the_buyer_and_has_no_review(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    got = received(client, app, db, session)
    pending = client.get("/api/v1/reviews/pending", headers=got.buyer).json()
    assert [p["order_line_id"] for p in pending] == [got.line_id]
    client.post("/api/v1/reviews", headers=got.buyer, json=review_body(got.line_id))
    assert client.get("/api/v1/reviews/pending", headers=got.buyer).json() == []


def test_shop_list_filters_by_rating_and_only_for_members(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    good = received(client, app, db, session)
    bad = received(client, app, db, session, sale=good.bought.sale)
    client.post("/api/v1/reviews", headers=good.buyer, json=review_body(good.line_id))
    body = review_body(
        bad.line_id, product_stars=1, service_stars=2, logistics_stars=3, text="色差严重，做工粗糙"
    )
    assert client.post("/api/v1/reviews", headers=bad.buyer, json=body).status_code == 201
    shop = good.bought.sale.shop_id
    all_ = client.get(f"/api/v1/reviews/shops/{shop}", headers=good.owner).json()
    assert all_["total"] == 2
    only_bad = client.get(f"/api/v1/reviews/shops/{shop}?rating=bad", headers=good.owner).json()
    assert [r["text"] for r in only_bad["items"]] == ["色差严重，做工粗糙"]
    assert client.get(f"/api/v1/reviews/shops/{shop}?stars=5", headers=good.owner).json()["total"] == 1
    stranger = client.get(f"/api/v1/reviews/shops/{shop}", headers=good.buyer)
    assert stranger.status_code in (403, 404)
    summary = client.get(f"/api/v1/reviews/products/{good.bought.sale.product_id}/summary").json()
    assert summary["count"] == 2 and summary["average_stars"] == 3.0 and summary["good_rate"] == 0.5
    assert summary["stars"] == {"5": 1, "4": 0, "3": 0, "2": 0, "1": 1}
