"""Promotions in real Chromium: the checkout breakdown naming who funds each discount, and the
merchant's 优惠工具; screenshots for docs/screenshots/promotions-*.png."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from laotie.categories import service as categories
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.migrations.registry import metadata
from tests.e2e.test_web_browser import CHROMIUM, CHROMIUM_ARGS, ROOT, _free_port
from tests.factories.orders import make_buyer, make_on_sale
from tests.factories.promotions import claim, multibuy, platform_coupon, shop_coupon, subsidy
from tests.factories.web import TOKEN_COOKIE

UVICORN = [sys.executable, "-m", "uvicorn", "laotie.app:create_app", "--factory"]


@pytest.fixture
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            "Chromium is required: install Debian's `chromium` (never `playwright install`)", pytrace=False
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def promo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("promo")
    url = f"sqlite:///{home / 'laotie.db'}"
    db = Database(url)
    metadata.create_all(db.engine)
    with unit_of_work(db) as session:
        categories.seed_default_tree(session)
        session.commit()
        a = make_on_sale(session, price_fen=12900)
        b = make_on_sale(session, price_fen=5990, shop_id=a.shop_id)
        c = make_on_sale(session, price_fen=8800)
        buyer = make_buyer(session)
        subsidy(session, a.sku_id, per_unit_fen=2000, budget_fen=1_000_000)
        multibuy(session, a.shop_id, [(2, 500), (3, 1000)])
        shop_wallet = claim(session, buyer.principal, shop_coupon(session, a.shop_id, 15000, cut_fen=1500).id)
        platform_wallet = claim(session, buyer.principal, platform_coupon(session, 20000, 1000, 1_000_000).id)
        world = {
            "a": a,
            "b": b,
            "c": c,
            "buyer": buyer,
            "coupons": [shop_wallet.id, platform_wallet.id],
        }
    db.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "LAOTIE_DATABASE_URL": url,
        "LAOTIE_MEDIA_DIR": str(home / "media"),
        "LAOTIE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    server = subprocess.Popen(
        [*UVICORN, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                output = server.stdout.read().decode(errors="replace") if server.stdout else ""
                pytest.fail(f"the server did not start:\n{output}")
            time.sleep(0.2)
        yield {"base": base, **world}
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def _signed_in(browser: Any, base: str, headers: dict[str, str]) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    token = headers["Authorization"].removeprefix("Bearer ")
    context.add_cookies([{"name": TOKEN_COOKIE, "value": token, "url": base}])
    return context


@pytest.mark.e2e
def test_checkout_breakdown_and_merchant_tools(
    promo_server: dict[str, Any], chromium: Any, tmp_path: Path
) -> None:
    base = promo_server["base"]
    a, b, c, buyer = promo_server["a"], promo_server["b"], promo_server["c"], promo_server["buyer"]
    context = _signed_in(chromium, base, buyer.headers)
    page = context.new_page()
    page.set_default_timeout(20_000)
    # Three lines over two shops through the cart, then the coupons chosen on the page.
    for sale, qty in ((a, 2), (b, 1), (c, 1)):
        r = page.request.post(
            f"{base}/api/v1/cart/items",
            data={"sku_id": sale.sku_id, "quantity": qty},
            headers={"Authorization": buyer.headers["Authorization"]},
        )
        assert r.ok, r.text()
    page.goto(f"{base}/checkout?source=cart")
    for coupon_id in promo_server["coupons"]:
        page.locator(f"#coupon-form input[name=coupon][value='{coupon_id}']").check()
    page.locator("#apply-coupons").click()
    page.wait_for_url("**coupon=*")
    lines = page.locator(".promo-lines")
    assert lines.count() >= 2
    text = page.locator("main").inner_text()
    assert "平台补贴" in text and "店铺优惠" in text and "百亿补贴" in text and "多件多折" in text
    total = page.locator("#checkout-total").inner_text()
    list_total = 2 * 12900 + 5990 + 8800
    assert float(total.lstrip("¥").replace(",", "")) * 100 < list_total
    page.screenshot(path=str(tmp_path / "promotions-checkout.png"), full_page=True)
    page.goto(f"{base}/p/{a.product_id}")
    page.wait_for_selector("#product-promotions")
    page.screenshot(path=str(tmp_path / "promotions-product.png"))
    context.close()
    merchant = _signed_in(chromium, base, a.owner_headers)
    page = merchant.new_page()
    page.goto(f"{base}/merchant/promotions?shop={a.shop_id}")
    page.locator("#coupon-create input[name=name]").fill("满199减20")
    page.locator("#coupon-create button[type=submit]").click()
    page.wait_for_selector("#coupon-list >> text=满199减20")
    page.screenshot(path=str(tmp_path / "promotions-merchant.png"), full_page=True)
    merchant.close()
    shots = ("promotions-checkout.png", "promotions-product.png", "promotions-merchant.png")
    for shot in shots:
        assert (tmp_path / shot).stat().st_size > 10_000
    if os.environ.get("LAOTIE_SCREENSHOTS"):
        for shot in shots:
            (Path(os.environ["LAOTIE_SCREENSHOTS"]) / shot).write_bytes((tmp_path / shot).read_bytes())
