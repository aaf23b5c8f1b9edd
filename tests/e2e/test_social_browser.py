"""The social part in real Chromium: a creator's video with its player and products, buying from it
(the order carries the video and the creator), the alliance market and the creator's earnings.

Seeds a fresh SQLite marketplace in-process (the sandbox PSP pays, the clock travels to complete and
settle an order), then serves it with uvicorn. Screenshots go to the test's temporary folder, or to
``docs/screenshots/social-*.png`` with ``LAOTIE_SCREENSHOTS=1``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from laotie.accounts import service as accounts
from laotie.app import create_app
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.orders import fulfilment
from laotie.orders.models import Order
from laotie.settings import Settings
from tests.e2e.harness import Shots, Site, browser_context, new_page, submit_login
from tests.factories import PASSWORD
from tests.factories.affiliate import by_creator, make_creator, offer, place_paid
from tests.factories.catalog import make_listed_product, owner_principal
from tests.factories.orders import OnSale, make_buyer
from tests.factories.shops import make_open_shop
from tests.factories.video import post_video


def _seed(site: Site) -> dict[str, object]:
    db = site.database()
    settings = Settings(database_url=site.url, media_dir=site.media, embedded_worker=False)
    app = create_app(settings, db=db)
    with TestClient(app) as client, unit_of_work(db) as session:
        shop_id, _, _ = make_open_shop(session, name="东北山货源头店")
        sales = []
        for title, price in [
            ("东北黑木耳 250g 秋耳肉厚", 3990),
            ("长白山野生榛蘑 200g", 5880),
            ("五常大米 5kg 新米", 8990),
        ]:
            p = make_listed_product(session, shop_id, storage=app.state.storage, title=title, price_fen=price)
            sales.append(OnSale(shop_id, {}, p.id, p.skus[0].id, price))
        for sale, rate in zip(sales, (1500, 2000, 800), strict=True):
            offer(session, sale, rate)
        creator = make_creator(session, nickname="木耳姐")
        posted = post_video(
            session,
            app.state.storage,
            creator.principal,
            [s.product_id for s in sales[:2]],
            title="木耳这样泡才对：东北人的老办法",
        )
        buyer = make_buyer(session)
        phone = accounts.get_user_out(session, buyer.user_id).phone
        creator_phone = accounts.get_user_out(session, creator.user_id).phone
        done = place_paid(client, app, db, session, sales[0], by_creator(creator), quantity=3)
        pending = place_paid(client, app, db, session, sales[1], by_creator(creator), quantity=2)
        for order_id in (done, pending):
            fulfilment.ship(
                session,
                owner_principal(session, shop_id),
                shop_id,
                order_id,
                "中通快递",
                f"ZT{order_id:010d}",
            )
        session.commit()
        with clock.travel(timedelta(hours=49)):
            for order_id in (done, pending):
                fulfilment.mark_delivered(session, order_id)  # the carrier's 签收
            session.commit()
        with clock.travel(timedelta(days=13)):
            fulfilment.auto_confirm(session)
            session.commit()
        with clock.travel(timedelta(days=20)):
            assert fulfilment.settle_due(session, limit=1) == [done]
            session.commit()
    db.dispose()
    return {"video_id": posted.id, "buyer": phone, "creator": creator_phone, "creator_id": creator.user_id}


@pytest.fixture(scope="module")
def social_server(
    fresh_site: Callable[[str], Site], serve: Callable[..., str]
) -> Iterator[tuple[str, dict[str, object]]]:
    site = fresh_site("social")
    seeded = _seed(site)
    yield serve(site), {**seeded, "url": site.url}


def _log_in(page: Any, base: str, phone: str, next_path: str) -> None:
    page.goto(f"{base}/login?next={next_path}")
    submit_login(page, phone, PASSWORD)
    page.wait_for_load_state("networkidle")


@pytest.mark.e2e
def test_buy_from_a_creators_video_and_see_the_commission(
    social_server: tuple[str, dict[str, object]], browser: Any, shots: Shots
) -> None:
    base, seeded = social_server
    context = browser_context(browser)
    page = new_page(context)
    _log_in(page, base, str(seeded["buyer"]), f"/v/{seeded['video_id']}")
    page.goto(f"{base}/v/{seeded['video_id']}")
    player = page.locator("video#player")
    page.wait_for_function("document.querySelector('video#player').readyState >= 1")
    assert player.evaluate("v => v.duration") > 1.5  # the real clip's metadata loaded
    assert page.get_by_text("视频同款 · 2 件").is_visible()
    shots.take(page, "social-video.png", full_page=True)
    page.locator(".buy-from-video").first.click()
    page.wait_for_url("**/checkouts/*/cashier")
    context.close()

    context = browser_context(browser)
    page = new_page(context)
    _log_in(page, base, str(seeded["creator"]), "/alliance")
    page.goto(f"{base}/alliance")
    assert page.get_by_text("好物联盟 · 选品广场").is_visible()
    assert page.locator(".rate").count() == 3
    shots.take(page, "social-alliance.png", full_page=True)
    page.goto(f"{base}/creator/earnings")
    assert page.get_by_text("待结算（售后期内）").is_visible()
    shots.take(page, "social-earnings.png", full_page=True)
    context.close()
    db = Database(str(seeded["url"]))
    with unit_of_work(db, read_only=True) as session:
        newest = session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert newest is not None
        assert (newest.channel.value, newest.video_id, newest.creator_id) == (
            "video",
            seeded["video_id"],
            seeded["creator_id"],
        )
    db.dispose()
