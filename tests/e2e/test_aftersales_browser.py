"""The after-sales pages in real Chromium against a real server: the buyer's 申请售后 form and case
timeline, the merchant's 售后 queue, the governance 纠纷 page with both sides' evidence."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from laotie.aftersales import service as aftersales
from laotie.aftersales.models import CaseKind, CaseReason
from laotie.app import create_app
from laotie.categories import service as categories
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.storage import LocalDiskStorage
from laotie.core.uow import unit_of_work
from laotie.migrations.registry import metadata
from laotie.settings import Settings
from tests.e2e.test_web_browser import CHROMIUM, CHROMIUM_ARGS, ROOT, _free_port
from tests.factories.aftersales import delivered, open_case, paid_order, photo
from tests.factories.catalog import image_bytes
from tests.factories.shops import make_reviewer
from tests.factories.web import TOKEN_COOKIE


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server with one shop, a disputed refund-only case (photos from both sides) and an open return."""
    home = tmp_path_factory.mktemp("aftersales")
    url = f"sqlite:///{home / 'laotie.db'}"
    db = Database(url)
    metadata.create_all(db.engine)
    media = home / "media"
    with unit_of_work(db) as session:
        categories.seed_default_tree(session)
        session.commit()
    app = create_app(Settings(database_url=url, media_dir=media, embedded_worker=False), db=db)
    storage = LocalDiskStorage(media)
    with TestClient(app) as client, unit_of_work(db) as session:
        bought = paid_order(client, app, db, session, price_fen=12900, quantity=2)
        delivered(session, bought)
        with clock.travel(timedelta(hours=50)):
            disputed = open_case(
                session,
                bought,
                CaseKind.REFUND_ONLY,
                CaseReason.DAMAGED,
                quantity=1,
                evidence_ids=[photo(session, storage, bought.buyer)],
            )
            aftersales.upload_evidence(
                session, storage, bought.owner, image_bytes(color=(30, 90, 200)), "发货前实拍", disputed.id
            )
            aftersales.reject(session, bought.owner, disputed.id, "发货时完好，疑似人为损坏")
            aftersales.escalate(session, bought.buyer.principal, disputed.id, "快递外箱破损，有照片")
            session.commit()
        second = paid_order(client, app, db, session, price_fen=5900, sale=bought.sale, buyer=bought.buyer)
        delivered(session, second)
        with clock.travel(timedelta(hours=51)):
            returning = open_case(session, second, CaseKind.RETURN, CaseReason.NO_REASON)
        _, staff = make_reviewer(session)
        facts = {
            "buyer": bought.buyer.headers,
            "owner": bought.sale.owner_headers,
            "staff": staff,
            "order_id": bought.order_id,
            "shop_id": bought.sale.shop_id,
            "disputed": disputed.id,
            "returning": returning.id,
        }
    db.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "LAOTIE_DATABASE_URL": url,
        "LAOTIE_MEDIA_DIR": str(media),
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
                pytest.fail(f"the server did not start:\n{output}")
            time.sleep(0.2)
        yield {"base": base, **facts}
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture
def chrome() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is required: install Debian's `chromium` (never `playwright install`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _page_as(browser: Any, base: str, headers: dict[str, str]) -> Any:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN")
    token = headers["Authorization"].removeprefix("Bearer ")
    context.add_cookies([{"name": TOKEN_COOKIE, "value": token, "url": base}])
    return context.new_page()


def _shoot(page: Any, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / name), full_page=True)
    assert (tmp_path / name).stat().st_size > 10_000
    target = os.environ.get("LAOTIE_SCREENSHOTS")
    if target:  # refresh the pictures in docs/screenshots/
        (Path(target) / name).write_bytes((tmp_path / name).read_bytes())


@pytest.mark.e2e
def test_aftersales_pages(scene: dict[str, Any], chrome: Any, tmp_path: Path) -> None:
    browser = chrome
    base = scene["base"]
    buyer = _page_as(browser, base, scene["buyer"])
    buyer.goto(f"{base}/orders/{scene['order_id']}")
    buyer.get_by_role("link", name="申请售后").click()
    buyer.wait_for_url(f"**/orders/{scene['order_id']}/aftersales")
    assert "七天保价" in buyer.content() and "平台介入中" in buyer.content()
    _shoot(buyer, tmp_path, "aftersales-apply.png")
    buyer.goto(f"{base}/aftersales/{scene['disputed']}")
    timeline = buyer.locator("ul.trail").inner_text()
    assert "提交申请" in timeline and "商家拒绝" in timeline and "申请平台介入" in timeline
    _shoot(buyer, tmp_path, "aftersales-case.png")
    merchant = _page_as(browser, base, scene["owner"])
    merchant.goto(f"{base}/merchant/aftersales?shop={scene['shop_id']}")
    rows = merchant.locator("table.list tr").count()
    assert rows == 3  # header + two cases
    _shoot(merchant, tmp_path, "aftersales-merchant-queue.png")
    staff = _page_as(browser, base, scene["staff"])
    staff.goto(f"{base}/governance/aftersales")
    staff.get_by_role("link", name=str(scene["disputed"])).click()
    assert staff.locator("text=买家凭证").count() == 1 and staff.locator("figure img").count() == 2
    _shoot(staff, tmp_path, "aftersales-dispute.png")
    staff.get_by_role("radio", name="部分退款").check()
    staff.fill("input[name=amount]", "60.00")
    staff.get_by_role("button", name="执行判责").click()
    staff.wait_for_url("**/governance/aftersales")
    assert "没有待处理的纠纷" in staff.content()
    buyer.goto(f"{base}/aftersales/{scene['disputed']}")
    assert "退款成功" in buyer.content() and "¥60.00" in buyer.content()
