"""Pages of the social part: the video feed and page, the alliance market, showcase, earnings, inbox."""

from __future__ import annotations

from urllib.parse import unquote

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.affiliate import service as affiliate
from laotie.core.db import Database
from laotie.core.outbox import OutboxWorker
from laotie.social import service as social
from laotie.social.models import TargetKind
from laotie.web.rendering import FLASH_COOKIE
from tests.factories import make_user
from tests.factories.affiliate import make_creator, offer
from tests.factories.catalog import owner_principal
from tests.factories.orders import make_on_sale
from tests.factories.shops import principal_of
from tests.factories.social import live_started
from tests.factories.video import clip, post_video
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
    assert f'"creator_id":{creator.user_id}' in page and f'"video_id":{posted.id}' in page  # tojson: compact
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


def test_post_a_video_from_the_browser(app: FastAPI, client: TestClient, session: Session) -> None:
    sale = make_on_sale(session)
    session.commit()
    sign_in(client, sale.owner_headers)
    form = client.get("/videos/new").text
    assert (
        f'name="shop_id" value="{sale.shop_id}"' in form
        and f'name="product_id" value="{sale.product_id}"' in form
    )
    bad = client.post(
        "/videos/new",
        data={"title": "假的", "shop_id": str(sale.shop_id)},
        files={"file": ("a.mp4", b"not a video", "video/mp4")},
    )
    assert bad.status_code == 422 and "文件不是可播放的视频" in bad.text
    posted = client.post(
        "/videos/new",
        data={"title": "新品上架", "shop_id": str(sale.shop_id), "product_id": str(sale.product_id)},
        files={"file": ("a.mp4", clip(), "video/mp4")},
        follow_redirects=False,
    )
    assert posted.status_code == 303 and posted.headers["location"].startswith("/v/")
    page = client.get(posted.headers["location"]).text
    assert "新品上架" in page and "视频同款 · 1 件" in page


def test_merchant_offers_products_to_creators_from_the_console(client: TestClient, session: Session) -> None:
    sale = make_on_sale(session, price_fen=5000)
    other = make_on_sale(session)
    session.commit()
    sign_in(client, sale.owner_headers)
    base = f"/merchant/shops/{sale.shop_id}/alliance"
    assert "未加入" in client.get(base).text
    r = client.post(f"{base}/{sale.product_id}", data={"rate_pct": "12.5"}, follow_redirects=False)
    assert r.status_code == 303
    assert "12.5%" in client.get(base).text
    assert client.post(f"{base}/{other.product_id}", data={"rate_pct": "10"}).status_code == 404
    client.post(f"{base}/{sale.product_id}", data={"rate_pct": "80"})
    session.rollback()
    assert affiliate.offered_rate_bp(session, sale.product_id) == 1250  # out of bounds: unchanged
    session.rollback()  # SQLite: release the write lock before the next page request
    client.post(f"{base}/{sale.product_id}", data={"action": "withdraw"})
    session.rollback()
    assert affiliate.offered_rate_bp(session, sale.product_id) is None


def test_becoming_a_creator_from_the_market_page(client: TestClient, session: Session) -> None:
    user_id, headers = make_user(session)
    session.commit()
    sign_in(client, headers)
    client.post("/alliance/join", data={})  # a post without the form's confirmation changes nothing
    session.rollback()
    assert not affiliate.is_creator(session, user_id)
    session.rollback()
    joined = client.post("/alliance/join", data={"role": "creator"}, follow_redirects=False)
    assert (joined.status_code, joined.headers["location"]) == (303, "/alliance"), joined.text
    assert unquote(joined.cookies.get(FLASH_COOKIE, "")).startswith("你已成为达人"), (
        "taken as the signed-in user"
    )
    session.rollback()
    assert affiliate.is_creator(session, user_id)
    session.rollback()
