"""Logistics pages: the merchant's 运费模板 page, the shipping line on product and checkout pages,
and the governance list of late shipments."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.logistics import service as logistics
from laotie.orders import service as orders
from laotie.web.rendering import order_number
from tests.factories.logistics import URUMQI_TIANSHAN, buyer_in, make_template, paid_order, ship_under
from tests.factories.orders import make_buyer, make_on_sale
from tests.factories.shops import make_reviewer
from tests.factories.web import sign_in, sign_out


def test_merchant_creates_a_template_and_puts_a_product_under_it(
    client: TestClient, session: Session
) -> None:
    sale = make_on_sale(session, price_fen=3000)
    sign_in(client, sale.owner_headers)
    page = client.get(f"/merchant/shops/{sale.shop_id}/shipping")
    assert page.status_code == 200 and "还没有运费模板" in page.text and "新建运费模板" in page.text
    form = {
        "name": "标准快递",
        "first_fee": "8",
        "extra_fee": "2.5",
        "free_over": "99",
        "excluded": ["440000", "540000"],
    }
    r = client.post(  # two 不配送 boxes ticked: the field repeats, as a browser sends it
        f"/merchant/shops/{sale.shop_id}/shipping/templates",
        content=urlencode(form, doseq=True),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    [template] = logistics.list_templates(session, _owner(session, sale), sale.shop_id)
    assert (template.default.first_fee_fen, template.default.extra_fee_fen) == (800, 250)
    assert template.excluded == ["440000", "540000"] and template.free_rules[0].min_amount_fen == 9900
    session.rollback()
    bad = client.post(
        f"/merchant/shops/{sale.shop_id}/shipping/templates", data={"name": "坏", "first_fee": "-3"}
    )
    assert bad.status_code == 422 and "首件运费" in bad.text
    r = client.post(
        f"/merchant/shops/{sale.shop_id}/shipping/products",
        data={"product_id": str(sale.product_id), "template_id": str(template.id), "weight_g": "300"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(f"/merchant/shops/{sale.shop_id}/shipping").text
    assert "西藏自治区" in page and "满¥99.00包邮" in page
    # the buyer's product page shows the fee for the chosen province
    sign_out(client)
    product = client.get(f"/p/{sale.product_id}").text
    assert 'id="shipping-fee">运费 ¥8.00<' in product
    assert "该地区不配送" in client.get(f"/p/{sale.product_id}?region=440000").text
    # 西藏 is excluded, but 西北集运 reaches it: the merchant ships to the hub in 陕西
    assert "西藏集运" in client.get(f"/p/{sale.product_id}?region=540000").text
    assert "新疆地区" not in client.get(f"/p/{sale.product_id}?region=650000").text  # below 满99
    assert "新疆集运" in client.get(f"/p/{sale.product_id}?region=650000").text


def _owner(session: Session, sale):  # type: ignore[no-untyped-def]
    from tests.factories.logistics import owner_of

    return owner_of(session, sale.shop_id)


def test_checkout_page_shows_the_shipping_of_the_chosen_address(client: TestClient, session: Session) -> None:
    buyer = buyer_in(session, URUMQI_TIANSHAN)
    sale = make_on_sale(session, price_fen=2000)
    ship_under(session, sale, make_template(session, sale.shop_id).id)
    session.rollback()
    sign_in(client, buyer.headers)
    page = client.get("/checkout", params={"sku": sale.sku_id, "qty": 1, "price": sale.price_fen}).text
    assert "新疆集运" in page
    assert 'id="checkout-shipping">¥8.00<' in page and 'id="checkout-total">¥28.00<' in page


def test_governance_sees_late_shipments(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    buyer = make_buyer(session)
    sale = make_on_sale(session)
    (order_id,) = paid_order(client, app, db, session, buyer, (sale, 1))
    with clock.travel(timedelta(hours=50)):
        logistics.record_late(session)
        session.commit()
    _, staff = make_reviewer(session)
    session.commit()
    sign_in(client, staff)
    page = client.get("/governance/late-shipments")
    number = order_number(orders.order_view(session, order_id))  # the order number, not the bare id
    session.rollback()
    assert (
        page.status_code == 200 and "尚未发货" in page.text and f'<td class="mono">{number}</td>' in page.text
    )
    sign_in(client, buyer.headers)
    assert client.get("/governance/late-shipments", follow_redirects=False).status_code == 403
