"""The browser UI in real Chromium against a real server on a small seeded demo marketplace."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from laotie.categories import service as categories
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.migrations.registry import metadata
from laotie.sim.demo import buyer_phone, merchant_phone, seed_demo
from laotie.sim.names import BUYER_NICKNAMES

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn process serving a freshly seeded demo (4 shops, 12 products) on SQLite."""
    home = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{home / 'laotie.db'}"
    db = Database(url)
    metadata.create_all(db.engine)
    with unit_of_work(db) as session:
        categories.seed_default_tree(session)
        session.commit()
    db.dispose()
    seed_demo(url, shops=4, products=12, console=Console(quiet=True), media_dir=home / "media")
    port = _free_port()
    env = {
        **os.environ,
        "LAOTIE_DATABASE_URL": url,
        "LAOTIE_MEDIA_DIR": str(home / "media"),
        # the sandbox PSP posts its webhooks back to this server
        "LAOTIE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "uvicorn", "laotie.app:create_app", "--factory"]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
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
                pytest.fail(f"the demo server did not start:\n{output}")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(
            "Chromium is required for the browser test and /usr/bin/chromium is missing: "
            "install Debian's `chromium` package (make system-deps). Never `playwright install`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.mark.e2e
def test_buyer_browses_picks_a_sku_and_logs_in(demo_server: str, browser: object, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(20_000)

    page.goto(demo_server + "/")
    assert page.get_by_text("老铁推荐的靠谱好货").is_visible()
    cards = page.locator("a.card")
    assert cards.count() == 12
    assert page.locator("a.card .price").first.inner_text().startswith("¥")
    assert page.locator("a.card img").first.evaluate("img => img.naturalWidth") > 0  # thumbnails load
    page.screenshot(path=str(tmp_path / "home.png"))

    title = cards.first.locator(".card-title").inner_text()
    cards.first.click()
    page.wait_for_url("**/p/*")
    assert page.locator("h1").inner_text() == title
    assert "/login?next=" in (page.get_by_role("link", name="立即购买").get_attribute("href") or "")
    rows = page.locator("#sku-picker .attr-row")
    for i in range(rows.count()):
        rows.nth(i).locator("button:not([disabled])").first.click()
    status = page.locator("#sku-status").inner_text()
    if rows.count():
        assert status.startswith("已选：") and "库存" in status
    else:
        assert status.startswith("库存")
    page.screenshot(path=str(tmp_path / "product.png"), full_page=True)

    page.get_by_role("link", name="登录").click()
    page.fill("input[name=identifier]", buyer_phone(1))
    page.fill("input[name=password]", "laotie123")
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".usernav .nick").inner_text() == BUYER_NICKNAMES[0]
    assert page.get_by_role("button", name="退出").is_visible()
    page.screenshot(path=str(tmp_path / "logged-in.png"))
    for shot in ("home.png", "product.png", "logged-in.png"):
        assert (tmp_path / shot).stat().st_size > 10_000
    context.close()


@pytest.mark.e2e
def test_merchant_sees_the_console(demo_server: str, browser: object, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(demo_server + "/merchant")
    page.wait_for_url("**/login?next=*")
    page.fill("input[name=identifier]", merchant_phone(1))
    page.fill("input[name=password]", "laotie123")
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/merchant")
    assert page.get_by_text("发布商品").is_visible()
    assert page.get_by_text("在售商品").is_visible()
    page.screenshot(path=str(tmp_path / "merchant-mobile.png"), full_page=True)
    context.close()


@pytest.mark.e2e
def test_buyer_buys_now_and_pays_at_the_sandbox_cashier(
    demo_server: str, browser: object, tmp_path: Path
) -> None:
    """立即购买 -> 确认订单 (a new address through the region lists) -> 收银台 -> the order turns 已支付
    once the embedded worker has delivered the sandbox webhook."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(demo_server + "/login")
    page.fill("input[name=identifier]", buyer_phone(2))
    page.fill("input[name=password]", "laotie123")
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    page.locator("a.card").first.click()
    page.wait_for_url("**/p/*")
    rows = page.locator("#sku-picker .attr-row")
    for i in range(rows.count()):
        rows.nth(i).locator("button:not([disabled])").first.click()
    shown = page.locator("#sku-price").inner_text()
    page.locator("#buy-now").click()
    page.wait_for_url("**/checkout?*")
    assert page.locator("h1").inner_text() == "确认订单"
    assert page.locator("#checkout-total").inner_text() == shown

    form = page.locator("#address-form")
    form.locator("input[name=recipient]").fill("王小明")
    form.locator("input[name=phone]").fill("13700137000")
    form.locator("select[name=province_code]").select_option(label="浙江省")
    page.wait_for_function("document.querySelector('select[name=city_code]').options.length > 2")
    form.locator("select[name=city_code]").select_option(label="杭州市")
    page.wait_for_function("document.querySelector('select[name=district_code]').options.length > 2")
    form.locator("select[name=district_code]").select_option(label="西湖区")
    form.locator("input[name=detail]").fill("文三路478号华星时代广场A座1201")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/checkout?*address=*")
    assert page.get_by_text("文三路478号").first.is_visible()
    page.screenshot(path=str(tmp_path / "checkout.png"), full_page=True)

    page.locator("#place-order").click()
    page.wait_for_url("**/cashier")
    assert page.locator("#cashier-amount").inner_text() == shown
    page.screenshot(path=str(tmp_path / "cashier.png"))
    page.get_by_role("button", name=re.compile("确认支付")).click()
    page.wait_for_url("**/orders/*")
    page.wait_for_selector("#order-status[data-status=paid]", timeout=30_000)
    assert page.locator("#order-status h1").inner_text() == "已支付"
    page.screenshot(path=str(tmp_path / "order.png"), full_page=True)
    for shot in ("checkout.png", "cashier.png", "order.png"):
        assert (tmp_path / shot).stat().st_size > 10_000
    if os.environ.get("LAOTIE_SCREENSHOTS"):  # refresh the pictures in docs/screenshots/
        for shot in ("checkout.png", "cashier.png", "order.png"):
            (Path(os.environ["LAOTIE_SCREENSHOTS"]) / shot).write_bytes((tmp_path / shot).read_bytes())
    context.close()
