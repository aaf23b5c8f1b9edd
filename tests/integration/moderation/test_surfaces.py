"""Every text entry point screens its text: video captions and comments, product titles and
descriptions, shop names and profiles, after-sales messages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.aftersales.models import CaseKind, CaseReason
from laotie.catalog import service as catalog
from laotie.catalog.schemas import ProductUpdate
from laotie.core.auth import Role
from laotie.core.db import Database
from laotie.core.pagination import PageParams
from laotie.moderation import service as moderation
from laotie.moderation.schemas import HitReviewIn, HitStatus
from laotie.video import service as video
from tests.factories import make_user
from tests.factories.aftersales import completed, open_case, paid_order
from tests.factories.catalog import leaf_category_id, owner_principal, product_body
from tests.factories.shops import apply_for_shop, make_open_shop, make_reviewer, principal_of
from tests.factories.video import post_video


def _hits(session: Session) -> list[moderation.HitOut]:
    reviewer, _ = make_reviewer(session)
    return sorted(moderation.hits(session, reviewer, PageParams(limit=100)).items, key=lambda h: h.id)


def test_video_comments_blocked_are_seen_by_their_author_only(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    author_id, _ = make_user(session)
    posted = post_video(session, app.state.storage, principal_of(session, author_id))
    fan_id, fan = make_user(session)
    _, other = make_user(session)
    video.comment(session, principal_of(session, fan_id), posted.id, "加我V：shop8899 私聊更便宜")
    session.commit()
    url = f"/api/v1/videos/{posted.id}/comments"
    assert client.get(url, headers=other).json()["total"] == 0
    assert client.get(url).json()["total"] == 0
    mine = client.get(url, headers=fan).json()
    assert [c["body"] for c in mine["items"]] == ["加我V：shop8899 私聊更便宜"]
    assert client.get(f"/api/v1/videos/{posted.id}").json()["comments"] == 0
    (hit,) = _hits(session)
    assert (hit.surface, hit.subject_kind, hit.author_id) == ("video_comment", "video_comment", fan_id)


def test_a_blocked_caption_holds_the_video_until_staff_say_it_was_wrong(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    author_id, author = make_user(session)
    posted = post_video(
        session, app.state.storage, principal_of(session, author_id), title="更多款式去某宝搜阿美家"
    )
    assert posted.status == "held"
    assert client.get(f"/api/v1/videos/{posted.id}").status_code == 404
    assert client.get(f"/api/v1/videos/{posted.id}", headers=author).json()["status"] == "held"
    assert posted.id not in [v["id"] for v in client.get("/api/v1/videos").json()["items"]]
    (hit,) = _hits(session)
    assert (hit.surface, hit.subject_kind, hit.subject_id) == ("video_caption", "video", posted.id)
    staff = principal_of(session, make_user(session, Role.GOVERNANCE)[0])
    moderation.review_hit(session, staff, hit.id, HitReviewIn(verdict=HitStatus.WRONG))
    session.commit()
    app.state.outbox_worker.run_until_idle()
    assert client.get(f"/api/v1/videos/{posted.id}").json()["status"] == "published"
    clean = post_video(session, app.state.storage, principal_of(session, author_id), title="东北木耳开箱")
    assert clean.status == "published"


def test_product_title_and_description_hits_go_with_the_listing_to_review(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    body = product_body(leaf_category_id(session), title="纯棉V领T恤 厂家直销")
    body = body.model_copy(update={"description": "批发请加VX：gc5566"})
    product = catalog.create_product(session, owner_principal(session, shop_id), shop_id, body)
    session.commit()
    (hit,) = _hits(session)
    assert (hit.surface, hit.subject_kind, hit.subject_id) == ("product_description", "product", product.id)
    assert product.status == "draft"  # every listing is reviewed before it sells
    catalog.update_product(
        session,
        owner_principal(session, shop_id),
        product.id,
        ProductUpdate(title="qq糖 500g 加我扣扣 12345678"),
    )
    session.commit()
    assert [h.surface for h in _hits(session)] == ["product_description", "product_title"]
    assert moderation.hits_for(session, "product", [product.id])[product.id][1].text.startswith("qq糖")


def test_shop_name_and_profile(session: Session) -> None:
    shop_id, owner_id, _ = apply_for_shop(session, description="实体批发，拿货加V：gz13h888")
    (hit,) = _hits(session)
    assert (hit.surface, hit.subject_id, hit.author_id) == ("shop_profile", shop_id, owner_id)
    apply_for_shop(session, description="专注童装十年，源头工厂直发")
    assert len(_hits(session)) == 1


def test_aftersales_messages(app: FastAPI, client: TestClient, db: Database, session: Session) -> None:
    bought = paid_order(client, app, db, session)
    completed(session, bought)
    case = open_case(session, bought, CaseKind.RETURN, CaseReason.NO_REASON)
    from laotie.aftersales import service as aftersales

    aftersales.escalate(session, bought.buyer.principal, case.id, "退款太慢了，你加我微信我直接给你退")
    session.commit()
    (hit,) = _hits(session)
    assert (hit.surface, hit.subject_kind, hit.subject_id) == (
        "aftersales_message",
        "aftersales_case",
        case.id,
    )
    assert hit.author_id == bought.buyer.principal.user_id
