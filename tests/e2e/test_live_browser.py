"""The live room, the anchor console and the session report in real Chromium against a real server:
a logged-in buyer comments and sees it arrive over the WebSocket; the anchor pins a product and
every open room shows 讲解中. Screenshots go to docs/screenshots/live-*.png with LAOTIE_SCREENSHOTS=1."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from laotie.core.storage import LocalDiskStorage
from laotie.core.uow import unit_of_work
from laotie.live import service as live
from tests.e2e.harness import Shots, Site, browser_context, new_page
from tests.factories.catalog import make_listed_product
from tests.factories.live import flash_sale, on_air
from tests.factories.orders import make_buyer


@pytest.fixture(scope="module")
def live_server(fresh_site: Callable[[str], Site], serve: Callable[..., str]) -> Iterator[dict[str, Any]]:
    site = fresh_site("live-web")
    db = site.database()
    storage = LocalDiskStorage(site.media)
    with unit_of_work(db) as session:
        air = on_air(session, stock=200, price_fen=3990)
        for title in ("东北黑木耳 250g 源头直发", "五常稻花香大米 5kg"):
            product = make_listed_product(
                session, air.sale.shop_id, storage=storage, title=title, price_fen=5990
            )
            live.add_to_cart(session, air.anchor.principal, air.session_id, product.id)
        session.commit()
        flash_sale(session, air, quantity=50, price_fen=990, limit=1, in_seconds=300)
        buyer = make_buyer(session)
        session.commit()
    try:
        yield {"base": serve(site), "air": air, "buyer": buyer}
    finally:
        db.dispose()


@pytest.mark.e2e
def test_watch_comment_and_see_the_pin(live_server: dict[str, Any], browser: Any, shots: Shots) -> None:
    base, air, buyer = live_server["base"], live_server["air"], live_server["buyer"]
    viewer = new_page(browser_context(browser, 1280, 860, signed_in=(base, buyer.headers)))
    viewer.goto(f"{base}/live/{air.session_id}")
    assert viewer.locator("h1.live-title").inner_text() == "今晚秒杀专场"
    assert viewer.locator("#cart-list li").count() == 3
    viewer.fill("#say-text", "主播讲讲大米的产地")
    viewer.locator("#say button[type=submit]").click()
    viewer.locator("#comments li", has_text="主播讲讲大米的产地").wait_for()
    viewer.locator("#like").click()
    viewer.locator("#likes", has_text="1").wait_for()
    # Someone arriving later walks into the chat so far (stored about once a second), not an empty room.
    time.sleep(1.5)
    latecomer = new_page(browser_context(browser, 390, 844))
    latecomer.goto(f"{base}/live/{air.session_id}")
    latecomer.locator("#comments li", has_text="主播讲讲大米的产地").wait_for()
    assert latecomer.locator("#comments li").count() == 1
    # The anchor pins the rice from the console; the open room shows it without a reload.
    anchor = new_page(browser_context(browser, signed_in=(base, air.anchor.headers)))
    anchor.goto(f"{base}/merchant/live/sessions/{air.session_id}")
    # 求讲解 signals: the viewer's question about the rice shows on the console (polled).
    anchor.locator("#intent-recent li", has_text="主播讲讲大米的产地").wait_for()
    assert anchor.locator("#intent-total").inner_text() == "1"
    anchor.locator("tr", has_text="五常稻花香大米").locator("button.pin").click()
    anchor.wait_for_load_state("networkidle")
    viewer.locator("#pinned", has_text="五常稻花香大米").wait_for()
    assert viewer.locator(".flash-sale .countdown").inner_text().startswith("距开抢")
    shots.take(viewer, "live-room.png")
    shots.take(anchor, "live-console.png", full_page=True)
    anchor.goto(f"{base}/merchant/live")
    assert anchor.get_by_role("button", name="更换推流密钥").is_visible()
    ended = httpx.post(f"{base}/api/v1/live/sessions/{air.session_id}/end", headers=air.anchor.headers)
    assert ended.status_code == 200
    anchor.goto(f"{base}/merchant/live/sessions/{air.session_id}/report")
    assert anchor.get_by_text("直播复盘").first.is_visible()
    shots.take(anchor, "live-report.png", full_page=True)
