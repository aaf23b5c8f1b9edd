"""Pages of moderation: the staff list with marked words and 确认/误判, hits on the product review
page, 求讲解 signals on the anchor's console and report, and the merchant's per-product column."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Role
from laotie.core.db import Database
from laotie.live import service as live
from laotie.live.realtime import store
from laotie.moderation import service as moderation
from laotie.moderation.models import ModerationHit
from tests.factories import make_user
from tests.factories.catalog import leaf_category_id, owner_principal, product_body
from tests.factories.live import on_air
from tests.factories.shops import make_open_shop
from tests.factories.web import sign_in


def test_staff_review_hits_on_their_pages(client: TestClient, session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    body = product_body(leaf_category_id(session), title="纯棉T恤").model_copy(
        update={"description": "想要批发的私聊，微信 gc5566abc"}
    )
    product = catalog.create_product(session, owner_principal(session, shop_id), shop_id, body)
    catalog.submit_for_review(session, owner_principal(session, shop_id), product.id)
    session.commit()
    _, staff = make_user(session, Role.GOVERNANCE)
    sign_in(client, staff)

    review = client.get(f"/governance/products/{product.id}").text
    assert 'id="moderation-hits"' in review and "<mark>" in review and "私聊" in review
    page = client.get("/governance/moderation").text
    assert "商品描述" in page and "<mark>微信 gc5566abc</mark>" in page
    (hit_id,) = [h.id for h in session.query(ModerationHit).all()]
    session.rollback()  # end the read so SQLite's write lock is free for the next request
    r = client.post(
        f"/governance/moderation/hits/{hit_id}/wrong",
        data={"back": "/governance/moderation"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/governance/moderation"
    assert "已标记误判" in client.get(r.headers["location"]).text
    session.expire_all()
    assert session.get(ModerationHit, hit_id).status.value == "wrong"  # type: ignore[union-attr]
    session.rollback()
    assert "没有记录" in client.get("/governance/moderation?status=open").text
    assert "已标记误判" in client.get("/governance/moderation?status=wrong&surface=product_description").text
    again = client.post(f"/governance/moderation/hits/{hit_id}/confirmed", follow_redirects=False)
    assert "已处理" in client.get(again.headers["location"]).text


def test_intent_on_console_report_and_product_list(
    db: Database, client: TestClient, session: Session
) -> None:
    air = on_air(session)
    live.pin(session, air.anchor.principal, air.session_id, air.item_id)
    session.commit()
    fan_id, _ = make_user(session)
    pending = store.Pending()
    for text in ("多少钱", "有没有XL", "主播好美"):
        pending.comments.append(
            store.comment_row(air.session_id, fan_id, text, moderation.classify(text), clock.now())
        )
    store.flush(db, pending)
    sign_in(client, air.anchor.headers)
    console = client.get(f"/merchant/live/sessions/{air.session_id}").text
    assert 'id="intent-panel"' in console
    with clock.travel(timedelta(minutes=1)):
        report = client.get(f"/merchant/live/sessions/{air.session_id}/report").text
    assert 'id="intent-report"' in report and '<span class="badge">2</span>' in report
    dashboard = client.get(f"/merchant?shop={air.sale.shop_id}").text
    assert "求购询问" in dashboard and '<td class="asks">2</td>' in dashboard
