"""The home page leads with live commerce: a 直播中 strip of rooms on air now (title, anchor, viewers,
cover or placeholder, link) and a 短视频 strip of the latest videos, both above the shelf, both
hidden when there is nothing to show."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.live import service as live
from laotie.live.realtime import store
from laotie.live.schemas import SessionIn
from laotie.shops import service as shops
from tests.factories.live import creator_anchor, on_air, shop_anchor
from tests.factories.orders import make_on_sale
from tests.factories.shops import principal_of
from tests.factories.video import post_video


def _section(page: str, section_id: str) -> str:
    found = re.search(rf'<section class="strip" id="{section_id}".*?</section>', page, re.S)
    assert found, f"no {section_id} strip"
    return found.group(0)


def test_home_shows_rooms_on_air_and_latest_videos_above_the_shelf(
    client: TestClient, session: Session, app: FastAPI, db: Database
) -> None:
    shop_live = on_air(session)  # a shop's own broadcast: goes by the shop's name
    creator = creator_anchor(session)
    creator_live = live.create_session(
        session, creator.principal, creator.room_id, SessionIn(title="达人宠粉夜")
    )
    live.start_by_key(session, creator.stream_key)
    live.set_cover(session, creator.principal, creator_live.id, "live-covers/test.jpg")
    # Not on air: one announced for tomorrow, one already over.
    later = shop_anchor(session, make_on_sale(session))
    live.create_session(
        session,
        later.principal,
        later.room_id,
        SessionIn(title="明天的预告", scheduled_at=clock.now() + timedelta(days=1)),
    )
    over = on_air(session)
    live.end_session(session, over.anchor.principal, over.session_id)
    session.commit()
    pending = store.Pending()
    for i in range(7):
        pending.viewers[(shop_live.session_id, f"a:{i}")] = (None, clock.now())
    pending.viewers[(creator_live.id, "a:x")] = (None, clock.now())
    store.flush(db, pending)
    post_video(session, app.state.storage, principal_of(session, creator.user_id), title="老视频")
    post_video(session, app.state.storage, principal_of(session, creator.user_id), title="新视频开箱")

    page = client.get("/").text
    strip = _section(page, "home-live")
    assert f'href="/live/{shop_live.session_id}"' in strip and f'href="/live/{creator_live.id}"' in strip
    assert "今晚秒杀专场" in strip and "达人宠粉夜" in strip
    assert "7人看过" in strip and "1人看过" in strip
    assert "达人小王" in strip  # the creator's nickname
    shop_name = shops.get_shop(session, shop_live.sale.shop_id).name
    assert f'<span class="anchor">{shop_name}</span>' in strip  # a shop's room goes by the shop's name
    assert f'src="/api/v1/live/sessions/{creator_live.id}/cover"' in strip
    assert '<div class="noimg">直播中</div>' in strip  # the shop's room has no cover: a placeholder
    assert "明天的预告" not in strip and f"/live/{over.session_id}" not in strip
    videos = _section(page, "home-videos")
    assert videos.index("新视频开箱") < videos.index("老视频")  # newest first
    # Both sit above the shelf.
    assert page.index('id="home-live"') < page.index('id="home-videos"') < page.index("为你推荐")
    # The next pages of the shelf are the shelf only.
    second = client.get("/?page=2").text
    assert 'id="home-live"' not in second and 'id="home-videos"' not in second


def test_home_hides_empty_strips(client: TestClient, session: Session) -> None:
    scheduled = on_air(session, start=False)
    page = client.get("/").text
    assert 'id="home-live"' not in page and 'id="home-videos"' not in page
    assert f"/live/{scheduled.session_id}" not in page
