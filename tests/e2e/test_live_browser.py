"""The live room, the anchor console and the session report in real Chromium against a real server:
a logged-in buyer comments and sees it arrive over the WebSocket; the anchor pins a product and
every open room shows 讲解中. Screenshots go to docs/screenshots/live-*.png with LAOTIE_SCREENSHOTS=1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from laotie.categories import service as categories
from laotie.core.db import Database
from laotie.core.storage import LocalDiskStorage
from laotie.core.uow import unit_of_work
from laotie.live import service as live
from laotie.migrations.registry import metadata
from tests.factories.catalog import make_listed_product
from tests.factories.live import flash_sale, on_air
from tests.factories.orders import make_buyer

ROOT = Path(__file__).resolve().parents[2]
# The documentation's pictures are refreshed on request only, so a test run leaves the tree clean.
SHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("LAOTIE_SCREENSHOTS")
    else Path(tempfile.mkdtemp(prefix="laotie-live-shots-"))
)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("live-web")
    url = f"sqlite:///{home / 'laotie.db'}"
    db = Database(url)
    metadata.create_all(db.engine)
    storage = LocalDiskStorage(home / "media")
    with unit_of_work(db) as session:
        categories.seed_default_tree(session)
        session.commit()
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
    port = _free_port()
    env = {
        **os.environ,
        "LAOTIE_DATABASE_URL": url,
        "LAOTIE_MEDIA_DIR": str(home / "media"),
        "LAOTIE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "uvicorn", "laotie.app:create_app", "--factory", "--host", "127.0.0.1"]
    server = subprocess.Popen([*command, "--port", str(port), "--log-level", "warning"], env=env, cwd=home)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
            time.sleep(0.2)
        yield {"base": base, "air": air, "buyer": buyer}
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        db.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _context(browser: Any, base: str, headers: dict[str, str], **options: Any) -> Any:
    context = browser.new_context(locale="zh-CN", **options)
    token = headers["Authorization"].removeprefix("Bearer ")
    context.add_cookies([{"name": "laotie_token", "value": token, "url": base}])
    return context


@pytest.mark.e2e
def test_watch_comment_and_see_the_pin(live_server: dict[str, Any], browser: Any) -> None:
    base, air, buyer = live_server["base"], live_server["air"], live_server["buyer"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    viewer = _context(browser, base, buyer.headers, viewport={"width": 1280, "height": 860}).new_page()
    viewer.set_default_timeout(20_000)
    viewer.goto(f"{base}/live/{air.session_id}")
    assert viewer.locator("h1.live-title").inner_text() == "今晚秒杀专场"
    assert viewer.locator("#cart-list li").count() == 3
    viewer.fill("#say-text", "主播讲讲大米的产地")
    viewer.locator("#say button[type=submit]").click()
    viewer.locator("#comments li", has_text="主播讲讲大米的产地").wait_for()
    viewer.locator("#like").click()
    viewer.locator("#likes", has_text="1").wait_for()
    # The anchor pins the rice from the console; the open room shows it without a reload.
    anchor = _context(browser, base, air.anchor.headers, viewport={"width": 1280, "height": 900}).new_page()
    anchor.set_default_timeout(20_000)
    anchor.goto(f"{base}/merchant/live/sessions/{air.session_id}")
    anchor.locator("tr", has_text="五常稻花香大米").locator("button.pin").click()
    anchor.wait_for_load_state("networkidle")
    viewer.locator("#pinned", has_text="五常稻花香大米").wait_for()
    assert viewer.locator(".flash-sale .countdown").inner_text().startswith("距开抢")
    viewer.screenshot(path=str(SHOTS / "live-room.png"))
    anchor.screenshot(path=str(SHOTS / "live-console.png"), full_page=True)
    anchor.goto(f"{base}/merchant/live")
    assert anchor.get_by_text("更换推流密钥").is_visible()
    ended = httpx.post(f"{base}/api/v1/live/sessions/{air.session_id}/end", headers=air.anchor.headers)
    assert ended.status_code == 200
    anchor.goto(f"{base}/merchant/live/sessions/{air.session_id}/report")
    assert anchor.get_by_text("直播复盘").first.is_visible()
    anchor.screenshot(path=str(SHOTS / "live-report.png"), full_page=True)
    for shot in ("live-room.png", "live-console.png", "live-report.png"):
        assert (SHOTS / shot).stat().st_size > 10_000
