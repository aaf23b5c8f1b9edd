"""The demo seeds the live-commerce side through the real services: shipping templates, coupons, a
campaign with subsidies, creators with offers and showcases, follows, live rooms in every state with a
report that has numbers, a flash sale opening soon, short videos; and the books balance."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.affiliate import service as affiliate
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.pagination import PageParams
from laotie.core.storage import LocalDiskStorage
from laotie.ledger import service as ledger
from laotie.live import service as live
from laotie.live.models import LiveSession, SessionStatus
from laotie.logistics import service as logistics
from laotie.orders.models import Channel, Order
from laotie.promotions import service as promotions
from laotie.shops import service as shops
from laotie.sim import videos
from laotie.sim.demo import DEMO_PASSWORD, seed_demo
from laotie.sim.people import principal_of
from laotie.social import service as social
from laotie.social.schemas import TargetKind
from laotie.video import service as video

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


def _sessions(session: Session) -> dict[SessionStatus, list[LiveSession]]:
    found: dict[SessionStatus, list[LiveSession]] = {s: [] for s in SessionStatus}
    for row in session.scalars(select(LiveSession).order_by(LiveSession.id)):
        found[row.status].append(row)
    return found


def _counts(session: Session) -> tuple[int, ...]:
    counts = (
        session.scalar(select(func.count()).select_from(LiveSession)) or 0,
        session.scalar(select(func.count()).select_from(Order)) or 0,
        video.feed(session, PageParams(limit=1)).total,
        affiliate.market(session, PageParams(limit=1)).total,
        len(promotions.campaigns(session)),
    )
    session.rollback()
    return counts


def test_the_demo_shows_live_commerce(db: Database, session: Session, tmp_path: Path) -> None:
    console = Console(record=True, width=120)
    started = clock.now()
    people = seed_demo(db.url, shops=4, products=12, console=console, media_dir=tmp_path)

    merchants = [a for a in people if a.role == "merchant"]
    owner = accounts.authenticate(session, merchants[0].phone, DEMO_PASSWORD, "test")
    [shop] = shops.shops_of(session, owner.id)
    owner_principal = principal_of(session, owner.id)
    # 1. Every shop ships under a template, and its products are assigned to it.
    templates = logistics.list_templates(session, owner_principal, shop.id)
    assert templates and templates[0].products > 0
    # 2. Coupons, the campaign with approved enrolments (one waits), subsidies, a platform coupon.
    assert promotions.shop_coupons(session, owner_principal, shop.id)
    [campaign] = promotions.campaigns(session)
    statuses = sorted(i.status for i in promotions.campaign_items(session, campaign.id))
    assert statuses.count("approved") >= 2 and statuses.count("pending") == 1
    assert any(c.funded_by == "platform" for c in promotions.claimable(session))
    # 3. Creators are printed, offered products wait in the alliance market and fill showcases.
    creators = [a for a in people if a.role == "creator"]
    assert len(creators) == 4
    creator = accounts.authenticate(session, creators[0].phone, DEMO_PASSWORD, "test")
    assert affiliate.showcase(session, creator.id).items
    assert affiliate.market(session, PageParams(limit=1)).total >= 4
    # 6. Fans: the shop and the creator have followers.
    assert social.fan_count(session, TargetKind.SHOP, shop.id) > 0
    assert social.fan_count(session, TargetKind.USER, creator.id) > 0

    # 4. Rooms on air (one product 讲解中), coming up in the next hours, and ended with a report.
    rooms = _sessions(session)
    assert len(rooms[SessionStatus.LIVE]) >= 2 and live.live_now(session)
    assert all(r.pinned_item_id is not None for r in rooms[SessionStatus.LIVE])
    upcoming = [r.scheduled_at for r in rooms[SessionStatus.SCHEDULED]]
    assert upcoming and all(started < at < started + timedelta(hours=25) for at in upcoming)
    assert len(rooms[SessionStatus.ENDED]) >= 1
    flash = [f for r in rooms[SessionStatus.LIVE] for f in live.session_sales(session, r.id)]
    assert flash and all(not f.open and f.starts_at > started for f in flash)
    ended = rooms[SessionStatus.ENDED][0]
    anchor = principal_of(session, live.get_session(session, ended.id).anchor_user_id)
    report = live.session_report(session, anchor, ended.id)
    assert report.paid_orders >= 6 and report.gmv_fen > 0 and report.products
    assert report.unique_viewers > report.buyers > 0 and report.comments > 0 and report.likes > 0
    assert report.new_followers > 0 and sum(report.orders_timeline) == report.orders
    assert report.ended_at is not None and report.ended_at < started
    live_orders = session.scalars(select(Order).where(Order.live_session_id == ended.id)).all()
    assert {o.channel for o in live_orders} == {Channel.LIVE} and all(o.paid_at for o in live_orders)

    # 5. Short videos with linked products, likes and comments (ffmpeg is part of the platform's set-up).
    clips = video.feed(session, PageParams(limit=50)).items
    assert len(clips) >= 4 and all(c.likes > 0 and c.views > 0 for c in clips)
    detail = video.detail(session, clips[0].id, None)
    assert detail.products and any(c.comments for c in clips)
    assert any(tmp_path.rglob("*.mp4"))

    books = ledger.check(session)
    assert books.ok and books.transactions >= report.paid_orders, books.problems
    before = _counts(session)

    again = seed_demo(db.url, shops=4, products=12, console=console, media_dir=tmp_path)
    assert again == people
    assert _counts(session) == before
    assert "演示数据已存在" in console.export_text()


def test_without_ffmpeg_the_seed_says_there_are_no_videos(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(videos.shutil, "which", lambda tool: None)
    console = Console(record=True, width=200)
    made = videos.seed_videos(db, LocalDiskStorage(tmp_path), [], [], [], console)
    assert made is False
    assert "ffmpeg / ffprobe not found" in console.export_text().replace(" and ", " / ")
    assert not any(tmp_path.rglob("*.mp4"))
