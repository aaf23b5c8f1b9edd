"""Reviews in real Chromium against a real server: a buyer reviews a delivered order with a photo
from 待评价, the merchant replies in 评价管理, and both see the reply (the buyer in 我的评价 and on the
product page's review section). The pages fit a 390 px phone without sideways scrolling."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from laotie.app import create_app
from laotie.core.uow import unit_of_work
from laotie.reviews import service as reviews
from laotie.reviews.schemas import FollowupIn, ReviewIn
from laotie.settings import Settings
from tests.e2e.harness import Shots, Site, browser_context, new_page
from tests.factories.aftersales import delivered, line_id, paid_order
from tests.factories.catalog import image_bytes, make_listed_product
from tests.factories.orders import OnSale

PHONE = 390


@pytest.fixture(scope="module")
def scene(fresh_site: Callable[[str], Site], serve: Callable[..., str]) -> Iterator[dict[str, Any]]:
    """A shop with a clothing product; one buyer's order delivered and not yet reviewed, and an
    earlier buyer's review with a follow-up already on the product page."""
    site = fresh_site("reviews")
    db = site.database()
    app = create_app(Settings(database_url=site.url, media_dir=site.media, embedded_worker=False), db=db)
    with TestClient(app) as client, unit_of_work(db) as session:
        first = paid_order(client, app, db, session)
        product = make_listed_product(
            session,
            first.sale.shop_id,
            storage=app.state.storage,
            title="纯棉宽松短袖T恤男女同款",
            colours=["白色", "黑色"],
            sizes=["M", "L"],
        )
        session.commit()
        sku = product.skus[0]
        sale = OnSale(first.sale.shop_id, first.sale.owner_headers, product.id, sku.id, sku.price_fen)
        earlier = paid_order(client, app, db, session, sale=sale)
        delivered(session, earlier)
        out = reviews.create_review(
            session,
            earlier.buyer.principal,
            ReviewIn(
                order_line_id=line_id(session, earlier),
                product_stars=3,
                service_stars=4,
                logistics_stars=5,
                text="面料挺舒服，但是尺码偏小，建议拍大一码，物流很快",
            ),
        )
        reviews.add_followup(
            session, earlier.buyer.principal, out.id, FollowupIn(text="洗了两次没有变形，不掉色")
        )
        session.commit()
        bought = paid_order(client, app, db, session, sale=sale)
        delivered(session, bought)
        facts = {
            "buyer": bought.buyer.headers,
            "owner": sale.owner_headers,
            "shop_id": sale.shop_id,
            "product_id": product.id,
            "order_id": bought.order_id,
        }
    db.dispose()
    yield {"base": serve(site), **facts}


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE, f"{page.url} is {width} px wide on a {PHONE} px phone"


@pytest.mark.e2e
def test_buyer_reviews_with_a_photo_and_the_merchant_replies(
    scene: dict[str, Any], browser: Any, shots: Shots, tmp_path: Path
) -> None:
    base = scene["base"]
    photo = tmp_path / "晒图.jpg"
    photo.write_bytes(image_bytes(640, 480, fmt="JPEG", color=(40, 120, 200)))

    buyer = new_page(browser_context(browser, PHONE, 844, signed_in=(base, scene["buyer"])))
    buyer.goto(f"{base}/orders")
    buyer.get_by_role("link", name="评价", exact=True).first.click()
    buyer.wait_for_url("**/reviews/pending?order=*")
    _fits(buyer)
    buyer.get_by_role("link", name="评价", exact=True).last.click()
    buyer.wait_for_url("**/reviews/new?line=*")
    buyer.locator("label[for=product_stars-4]").click()
    buyer.locator("label[for=logistics_stars-5]").click()
    buyer.fill("textarea[name=text]", "白色很正，质量很好，尺码标准，物流很快")
    buyer.set_input_files("input[name=photos]", str(photo))
    buyer.check("input[name=anonymous]")
    _fits(buyer)
    shots.take(buyer, "reviews-form.png", full_page=True)
    buyer.get_by_role("button", name="发布评价").click()
    buyer.wait_for_url("**/reviews/mine")
    assert "评价成功" in buyer.content()
    mine = buyer.locator("article.rv-card").first
    assert "白色很正" in mine.inner_text() and "已购" in mine.inner_text()
    assert mine.locator(".rv-photos img").count() == 1
    assert buyer.evaluate("document.querySelector('.rv-photos img').naturalWidth") > 0
    _fits(buyer)

    merchant = new_page(browser_context(browser, 1100, 900, signed_in=(base, scene["owner"])))
    merchant.goto(f"{base}/merchant?shop={scene['shop_id']}")
    merchant.get_by_role("link", name="评价管理").click()
    merchant.wait_for_url(f"**/merchant/shops/{scene['shop_id']}/reviews")
    assert merchant.locator("article.rv-card").count() == 2
    merchant.get_by_role("link", name="中评").click()
    assert merchant.locator("article.rv-card").count() == 1
    merchant.get_by_role("link", name="好评").click()
    card = merchant.locator("section.rv-merchant").filter(has_text="白色很正")
    card.locator("textarea[name=text]").fill("谢谢老铁，白色是我们家卖得最好的颜色")
    card.get_by_role("button", name="回复", exact=True).click()
    merchant.wait_for_url("**/reviews")
    assert "回复成功" in merchant.content()
    shots.take(merchant, "reviews-merchant.png", full_page=True)

    buyer.goto(f"{base}/reviews/mine")
    assert "商家回复：谢谢老铁" in buyer.locator("article.rv-card").first.inner_text()
    shots.take(buyer, "reviews-mine.png", full_page=True)
    buyer.goto(f"{base}/p/{scene['product_id']}")
    section = buyer.locator("#rv-section")
    section.wait_for()
    text = section.inner_text()
    assert "2 条评价" in text and "好评率 50.0%" in text and "尺码偏小 1" in text
    assert "谢谢老铁" in text and "洗了两次没有变形" in text and "追评" in text
    buyer.locator("#rv-section a", has_text="追评").first.click()
    buyer.wait_for_function("document.querySelectorAll('#rv-section article.rv-card').length === 1")
    assert "洗了两次" in buyer.locator("#rv-section article.rv-card").inner_text()
    buyer.locator("#reviews").scroll_into_view_if_needed()
    _fits(buyer)
    shots.take(buyer, "reviews-product.png", full_page=True)
