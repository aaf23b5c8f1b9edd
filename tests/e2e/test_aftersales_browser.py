"""The after-sales pages in real Chromium against a real server: the buyer's 申请售后 form and case
timeline, the merchant's 售后 queue, the governance 纠纷 page with both sides' evidence."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from laotie.aftersales import service as aftersales
from laotie.aftersales.models import CaseKind, CaseReason
from laotie.app import create_app
from laotie.core import clock
from laotie.core.storage import LocalDiskStorage
from laotie.core.uow import unit_of_work
from laotie.settings import Settings
from tests.e2e.harness import Shots, Site, browser_context
from tests.factories.aftersales import delivered, open_case, paid_order, photo
from tests.factories.catalog import image_bytes
from tests.factories.shops import make_reviewer


@pytest.fixture(scope="module")
def scene(fresh_site: Callable[[str], Site], serve: Callable[..., str]) -> Iterator[dict[str, Any]]:
    """A server with one shop, a disputed refund-only case (photos from both sides) and an open return."""
    site = fresh_site("aftersales")
    db = site.database()
    app = create_app(Settings(database_url=site.url, media_dir=site.media, embedded_worker=False), db=db)
    storage = LocalDiskStorage(site.media)
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
    yield {"base": serve(site), **facts}


def _page_as(browser: Any, base: str, headers: dict[str, str]) -> Any:
    return browser_context(browser, 1100, 900, signed_in=(base, headers)).new_page()


@pytest.mark.e2e
def test_aftersales_pages(scene: dict[str, Any], browser: Any, shots: Shots) -> None:
    base = scene["base"]
    buyer = _page_as(browser, base, scene["buyer"])
    buyer.goto(f"{base}/orders/{scene['order_id']}")
    buyer.get_by_role("link", name="申请售后").click()
    buyer.wait_for_url(f"**/orders/{scene['order_id']}/aftersales")
    assert "七天保价" in buyer.content() and "平台介入中" in buyer.content()
    shots.take(buyer, "aftersales-apply.png", full_page=True)
    buyer.goto(f"{base}/aftersales/{scene['disputed']}")
    timeline = buyer.locator("ul.trail").inner_text()
    assert "提交申请" in timeline and "商家拒绝" in timeline and "申请平台介入" in timeline
    shots.take(buyer, "aftersales-case.png", full_page=True)
    merchant = _page_as(browser, base, scene["owner"])
    merchant.goto(f"{base}/merchant/aftersales?shop={scene['shop_id']}")
    rows = merchant.locator("table.list tr").count()
    assert rows == 3  # header + two cases
    shots.take(merchant, "aftersales-merchant-queue.png", full_page=True)
    staff = _page_as(browser, base, scene["staff"])
    staff.goto(f"{base}/governance/aftersales")
    staff.get_by_role("link", name=str(scene["disputed"])).click()
    assert staff.locator("text=买家凭证").count() == 1 and staff.locator("figure img").count() == 2
    shots.take(staff, "aftersales-dispute.png", full_page=True)
    staff.get_by_role("radio", name="部分退款").check()
    staff.fill("input[name=amount]", "60.00")
    staff.get_by_role("button", name="执行判责").click()
    staff.wait_for_url("**/governance/aftersales")
    assert "没有待处理的纠纷" in staff.content()
    buyer.goto(f"{base}/aftersales/{scene['disputed']}")
    assert "退款成功" in buyer.content() and "¥60.00" in buyer.content()
