"""Pages of the social part: the video feed and page, the alliance market, showcase, earnings, inbox."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.events import OutboxWorker
from laotie.social import service as social
from laotie.social.models import TargetKind
from tests.factories import make_user
from tests.factories.affiliate import make_creator, offer
from tests.factories.catalog import owner_principal
from tests.factories.orders import make_on_sale
from tests.factories.shops import principal_of
from tests.factories.social import live_started
from tests.factories.video import post_video
from tests.factories.web import sign_in


def test_video_page_has_player_products_and_attribution(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    sale = make_on_sale(session, price_fen=3990)
    offer(session, sale, 1000)
    creator = make_creator(session, nickname="木耳姐")
    posted = post_video(
        session, app.state.storage, creator.principal, [sale.product_id], title="木耳这样泡才对"
    )
    feed = client.get("/videos").text
    assert "木耳这样泡才对" in feed and f'href="/v/{posted.id}"' in feed
    page = client.get(f"/v/{posted.id}").text
    assert f'<video id="player" src="/api/v1/videos/{posted.id}/media"' in page
    assert f'poster="/api/v1/videos/{posted.id}/cover"' in page
    assert "视频同款 · 1 件" in page and "¥39.90" in page
    assert f'"creator_id": {creator.user_id}' in page and f'"video_id": {posted.id}' in page
    assert client.get("/v/999999").status_code == 404


def test_like_comment_and_follow_from_the_video_page(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    author_id, _ = make_user(session, nickname="山货老王")
    posted = post_video(session, app.state.storage, principal_of(session, author_id))
    fan_id, fan = make_user(session)
    session.commit()
    sign_in(client, fan)
    assert client.post(f"/v/{posted.id}/like", follow_redirects=False).status_code == 303
    assert (
        client.post(f"/v/{posted.id}/comments", data={"body": "学到了"}, follow_redirects=False).status_code
        == 303
    )
    assert (
        client.post(
            f"/follow/user/{author_id}", data={"next": f"/v/{posted.id}"}, follow_redirects=False
        ).headers["location"]
        == f"/v/{posted.id}"
    )
    page = client.get(f"/v/{posted.id}").text
    assert "♥ 已赞 1" in page and "学到了" in page and "已关注" in page
    session.rollback()
    assert social.is_following(session, fan_id, TargetKind.USER, author_id)


def test_alliance_market_showcase_and_earnings_pages(client: TestClient, session: Session) -> None:
    sale = make_on_sale(session, price_fen=10000)
    offer(session, sale, 1500)
    creator = make_creator(session, nickname="带货小李")
    _, buyer = make_user(session)
    session.commit()
    market = client.get("/alliance").text
    assert "15%" in market and "赚 ¥15.00/件" in market
    sign_in(client, buyer)
    assert "成为达人" in client.get("/alliance").text
    assert client.get("/creator/earnings").status_code == 403
    sign_in(client, creator.headers)
    assert client.post(f"/alliance/{sale.product_id}/showcase", follow_redirects=False).status_code == 303
    assert "已在橱窗" in client.get("/alliance").text
    showcase = client.get(f"/creator/{creator.user_id}").text
    assert "带货小李的橱窗" in showcase and f'href="/p/{sale.product_id}"' in showcase
    earnings = client.get("/creator/earnings").text
    assert "待结算" in earnings and "¥0.00" in earnings


def test_bell_counts_unread_and_inbox_lists_them(client: TestClient, db: Database, session: Session) -> None:
    sale = make_on_sale(session)
    owner = owner_principal(session, sale.shop_id)
    fan_id, fan = make_user(session)
    social.follow(session, principal_of(session, fan_id), TargetKind.SHOP, sale.shop_id)
    session.commit()
    live_started(session, 5, owner.user_id, sale.shop_id, title="年货节专场")
    OutboxWorker(db).run_until_idle()
    sign_in(client, fan)
    home = client.get("/").text
    assert '<span class="bell-count">1</span>' in home
    inbox = client.get("/notifications").text
    assert "你关注的直播间开播了" in inbox and "年货节专场" in inbox and 'href="/live/50"' in inbox
    assert client.post("/notifications/read-all", follow_redirects=False).status_code == 303
    assert "bell-count" not in client.get("/").text
