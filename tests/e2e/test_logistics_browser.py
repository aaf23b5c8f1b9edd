"""Logistics in real Chromium: the product page's shipping line and the buyer's 物流详情 page for a
西北集运 order in transit, on a seeded demo with a shipping template."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import select

from laotie.accounts.models import User
from laotie.addresses import service as addresses
from laotie.addresses.schemas import AddressCreate
from laotie.catalog.models import Product, Sku
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.logistics import service as logistics
from laotie.logistics.schemas import ProductShippingIn, TemplateIn
from laotie.orders import fulfilment, lifecycle
from laotie.orders import service as orders
from laotie.orders.models import OrderEventKind, OrderStatus
from laotie.orders.schemas import CheckoutIn, LineIn
from laotie.shops.models import Shop
from laotie.sim.demo import DEMO_PASSWORD, buyer_phone, seed_demo
from tests.e2e.harness import Shots, Site, browser_context, new_page, submit_login
from tests.factories.shops import principal_of

URUMQI = {"province_code": "650000", "city_code": "650100", "district_code": "650102"}


def _prepare(url: str) -> tuple[int, int, int, str]:
    """A template on the first shop's products, and buyer 1's order to 乌鲁木齐, 40 h into its journey."""
    db = Database(url)
    try:
        with unit_of_work(db) as session:
            product = session.scalars(select(Product).order_by(Product.id)).first()
            assert product is not None
            shop = session.get(Shop, product.shop_id)
            assert shop is not None
            owner = principal_of(session, shop.owner_id)
            template = logistics.create_template(
                session,
                owner,
                shop.id,
                TemplateIn.model_validate(
                    {
                        "name": "标准快递",
                        "default": {"first_fee_fen": 800, "extra_fee_fen": 200},
                        "regions": [{"provinces": ["440000"], "first_fee_fen": 500, "extra_fee_fen": 100}],
                        "free_rules": [{"min_amount_fen": 29900}],
                        "excluded": ["710000", "810000", "820000"],
                    }
                ),
            )
            for p in session.scalars(select(Product).where(Product.shop_id == shop.id)):
                logistics.set_product_shipping(
                    session, owner, shop.id, p.id, ProductShippingIn(template_id=template.id, weight_g=500)
                )
            buyer_id = session.scalar(select(User.id).where(User.phone == buyer_phone(1)))
            assert buyer_id is not None
            buyer = principal_of(session, buyer_id)
            address = addresses.create_address(
                session,
                buyer_id,
                AddressCreate(
                    recipient="古丽", phone="13800138000", detail="人民路88号", is_default=True, **URUMQI
                ),
            )
            sku = session.scalars(select(Sku).where(Sku.product_id == product.id).order_by(Sku.id)).first()
            assert sku is not None
            body = CheckoutIn(
                lines=[LineIn(sku_id=sku.id, quantity=1, expected_unit_price_fen=sku.price_fen)],
                address_id=address.id,
            )
            placed = orders.checkout(session, buyer, body, "e2e-logistics")
            order_id = placed.orders[0].id
            # payment is the cashier test's subject; here the order is simply paid
            lifecycle.move(session, order_id, OrderStatus.PAID, None, OrderEventKind.PAID, "e2e")
            session.commit()
        with unit_of_work(db) as session:
            fulfilment.ship(session, owner, shop.id, order_id, "中通快递", "78123456789012")
            session.commit()
        with clock.travel(timedelta(hours=40)), unit_of_work(db) as session:  # the parcel 40 h on
            logistics.poll_tracking(session)
            session.commit()
        with unit_of_work(db) as session:
            phone = session.scalar(select(User.phone).where(User.id == shop.owner_id))
        assert phone is not None
        return product.id, order_id, shop.id, phone
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def logistics_server(
    fresh_site: Callable[[str], Site], serve: Callable[..., str]
) -> Iterator[tuple[str, int, int, int, str]]:
    site = fresh_site("logistics-demo")
    seed_demo(
        site.url, shops=2, products=4, console=Console(quiet=True), media_dir=site.media, live_commerce=False
    )
    product_id, order_id, shop_id, merchant = _prepare(site.url)
    base = serve(site, env={"LAOTIE_EMBEDDED_WORKER": "false"})
    yield base, product_id, order_id, shop_id, merchant


@pytest.mark.e2e
def test_shipping_line_and_tracking_page(
    logistics_server: tuple[str, int, int, int, str],
    browser: Any,
    shots: Shots,
) -> None:
    base, product_id, order_id, shop_id, merchant = logistics_server
    context = browser_context(browser)
    page = new_page(context)
    page.goto(f"{base}/p/{product_id}")
    assert page.locator("#shipping-fee").inner_text() in ("运费 ¥8.00", "包邮")
    page.select_option("select[name=region]", "650000")
    page.wait_for_url("**region=650000")
    assert "新疆" in page.locator("#shipping-fee").inner_text()
    page.goto(f"{base}/p/{product_id}?region=810000")
    assert page.locator("#shipping-fee").inner_text() == "该地区不配送"
    page.goto(f"{base}/p/{product_id}?region=330000")
    shots.take(page, "logistics-product.png", full_page=True)

    page.goto(f"{base}/login?next=/orders/{order_id}")
    submit_login(page, buyer_phone(1), DEMO_PASSWORD)
    page.wait_for_url(f"**/orders/{order_id}")
    panel = page.locator("#tracking")
    assert "物流详情" in panel.inner_text() and "78123456789012" in panel.inner_text()
    assert "西北集运" in panel.inner_text()
    stages = page.locator("#tracking .t-stage").all_inner_texts()
    assert stages and stages[-1] == "揽收"
    shots.take(page, "logistics-tracking.png", full_page=True)
    context.close()

    context = browser_context(browser)
    page = new_page(context)
    page.goto(f"{base}/login?next=/merchant/shops/{shop_id}/shipping")
    submit_login(page, merchant, DEMO_PASSWORD)
    page.wait_for_url(f"**/merchant/shops/{shop_id}/shipping")
    assert "标准快递" in page.locator("main").inner_text()
    shots.take(page, "logistics-templates.png", full_page=True)
    # the per-row forms (inputs tied to their row's form by the form attribute) post what the row shows
    page.locator("select[form^=ship-]").first.select_option("")
    page.locator("form[id^=ship-] button").first.click()
    page.wait_for_load_state("networkidle")
    assert "已更新商品运费设置" in page.content()
    assert page.locator("select[form^=ship-]").first.input_value() == ""
    context.close()
