from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core.db import Database
from tests.factories.catalog import owner_principal
from tests.factories.orders import make_buyer, make_on_sale
from tests.factories.payments import deliver
from tests.factories.web import sign_in


def _hidden(page: str, name: str) -> list[str]:
    """A hidden field's values; the checkout page repeats its lines in the address form, so once each."""
    return list(dict.fromkeys(re.findall(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)))


def _place_form(page: str, address_id: int) -> dict[str, object]:
    return {
        "line": _hidden(page, "line"),
        "source": "",
        "idempotency_key": _hidden(page, "idempotency_key")[0],
        "address_id": str(address_id),
        "pay_mode": "pay_now",
    }


def test_buy_now_checkout_pay_ship_and_confirm_receipt(
    client: TestClient, session: Session, db: Database, app: FastAPI
) -> None:
    sale = make_on_sale(session, stock=5, price_fen=5990)
    buyer = make_buyer(session)
    session.rollback()  # end the factories' read transaction: SQLite would stay locked for the app
    anonymous = client.get(f"/p/{sale.product_id}").text
    assert f"/login?next=%2Fp%2F{sale.product_id}" in anonymous
    sign_in(client, buyer.headers)
    assert 'id="buy-form"' in client.get(f"/p/{sale.product_id}").text

    page = client.get(f"/checkout?sku={sale.sku_id}&qty=2&price={sale.price_fen}").text
    assert "确认订单" in page and "¥119.80" in page and "先用后付" in page and "暂不可用" in page
    form = _place_form(page, buyer.address_id)
    r = client.post("/checkout", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("/cashier")
    again = client.post("/checkout", data=form, follow_redirects=False)  # a double submit
    assert again.headers["location"] == r.headers["location"]
    orders_page = client.get("/orders").text
    assert len(re.findall(r'href="/orders/(\d+)"><b>', orders_page)) == 1  # placed once

    cashier = client.get(r.headers["location"]).text
    assert "收银台" in cashier and "¥119.80" in cashier
    pay_action = re.search(r'action="(/checkouts/\d+/pay)"', cashier)[1]  # type: ignore[index]
    key = _hidden(cashier, "idempotency_key")[0]
    paid = client.post(pay_action, data={"idempotency_key": key, "method": "tok_ok"}, follow_redirects=False)
    order_url = paid.headers["location"]
    assert re.fullmatch(r"/orders/\d+\?paying=1", order_url)
    order_id = int(order_url.split("/")[2].split("?")[0])
    waiting = client.get(order_url).text
    assert "<h1" in waiting and "待付款" in waiting and 'data-poll="1"' in waiting
    deliver(db, client)
    app.state.outbox_worker.run_until_idle()
    shown = client.get(order_url).text
    assert "待发货" in shown and 'data-poll="1"' not in shown and "¥119.80" in shown
    assert "文三路478号" in shown  # the buyer sees the full address

    sign_in(client, sale.owner_headers)
    listing = client.get(f"/merchant/orders?shop={sale.shop_id}&status=paid").text
    assert f'/orders/{order_id}"' in listing and "文三路478号" not in listing and "张*" in listing
    assert re.search(rf">20\d{{6}}{order_id:010d}</a>", listing)  # 订单编号: the date and the id, padded
    detail_url = f"/merchant/shops/{sale.shop_id}/orders/{order_id}"
    label = client.post(f"{detail_url}/label").text
    assert 'id="shipping-label"' in label and "文三路478号" in label and "13800138000" in label
    bad = client.post(f"{detail_url}/ship", data={"carrier": "中通快递", "tracking_no": "x"})
    assert bad.status_code == 422 and "运单号" in bad.text
    shipped = client.post(f"{detail_url}/ship", data={"carrier": "中通快递", "tracking_no": "ZT1234567890"})
    assert shipped.status_code == 200 and "已发货" in shipped.text and "ZT1234567890" in shipped.text

    sign_in(client, buyer.headers)
    assert "确认收货" in client.get(f"/orders/{order_id}").text
    done = client.post(f"/orders/{order_id}/confirm-receipt")
    assert done.status_code == 200 and "交易成功" in done.text and "确认收货" in done.text


def test_a_changed_price_shows_the_checkout_again_with_the_new_price(
    client: TestClient, session: Session
) -> None:
    sale = make_on_sale(session, price_fen=5990)
    buyer = make_buyer(session)
    session.rollback()  # end the factories' read transaction: SQLite would stay locked for the app
    sign_in(client, buyer.headers)
    page = client.get(f"/checkout?sku={sale.sku_id}&qty=1&price={sale.price_fen}").text
    catalog.set_sku_price(session, owner_principal(session, sale.shop_id), sale.sku_id, 6990)
    session.commit()
    r = client.post("/checkout", data=_place_form(page, buyer.address_id))
    assert r.status_code == 409 and "商品价格已变化" in r.text and "¥69.90" in r.text
    assert _hidden(r.text, "line") == [f"{sale.sku_id}:1:6990"]
    confirmed = client.post("/checkout", data=_place_form(r.text, buyer.address_id), follow_redirects=False)
    assert confirmed.status_code == 303 and "¥69.90" in client.get(confirmed.headers["location"]).text


def test_cart_groups_flags_updates_and_checks_out(client: TestClient, session: Session) -> None:
    sale = make_on_sale(session, price_fen=1000)
    buyer = make_buyer(session)
    session.rollback()  # end the factories' read transaction: SQLite would stay locked for the app
    sign_in(client, buyer.headers)
    r = client.post("/cart/items", data={"sku": str(sale.sku_id), "qty": "2"})
    assert r.status_code == 200 and "已加入购物车" in r.text and "¥20.00" in r.text
    catalog.set_sku_price(session, owner_principal(session, sale.shop_id), sale.sku_id, 1200)
    session.commit()
    page = client.get("/cart").text
    assert "价格已变化" in page and "¥24.00" in page
    assert "¥36.00" in client.post(f"/cart/items/{sale.sku_id}", data={"qty": "3"}).text
    checkout = client.get("/checkout?source=cart").text
    assert _hidden(checkout, "line") == [f"{sale.sku_id}:3:1200"]
    form = {**_place_form(checkout, buyer.address_id), "source": "cart"}
    assert client.post("/checkout", data=form, follow_redirects=False).status_code == 303
    assert "购物车还是空的" in client.get("/cart").text


def test_checkout_adds_an_address_and_refuses_cross_site_posts(client: TestClient, session: Session) -> None:
    sale = make_on_sale(session)
    buyer = make_buyer(session)
    session.rollback()  # end the factories' read transaction: SQLite would stay locked for the app
    sign_in(client, buyer.headers)
    line = f"{sale.sku_id}:1:{sale.price_fen}"
    partial = client.post("/checkout/address", data={"line": line, "province_code": "330000"})
    assert partial.status_code == 422 and "杭州市" in partial.text  # the next level, without JS
    full = {
        "line": line,
        "recipient": "李四",
        "phone": "13900139000",
        "province_code": "110000",
        "city_code": "110100",
        "district_code": "110105",
        "detail": "建国路88号",
    }
    added = client.post("/checkout/address", data=full, follow_redirects=False)
    assert added.status_code == 303 and "address=" in added.headers["location"]
    assert "建国路88号" in client.get(added.headers["location"]).text
    evil = client.post(
        "/cart/items", data={"sku": str(sale.sku_id)}, headers={"Origin": "https://evil.example"}
    )
    assert evil.status_code == 403 and "FORM_CROSS_SITE" in evil.text
    assert "购物车还是空的" in client.get("/cart").text


def test_a_declined_payment_leaves_the_order_unpaid_and_the_buyer_pays_again(
    client: TestClient, session: Session, db: Database, app: FastAPI
) -> None:
    sale = make_on_sale(session, price_fen=2500)
    buyer = make_buyer(session)
    session.rollback()
    sign_in(client, buyer.headers)
    page = client.get(f"/checkout?sku={sale.sku_id}&qty=1&price={sale.price_fen}").text
    cashier_url = client.post("/checkout", data=_place_form(page, buyer.address_id), follow_redirects=False)
    for method, expected in (("tok_decline", "支付失败"), ("tok_ok", "待发货")):
        cashier = client.get(cashier_url.headers["location"]).text
        assert "模拟支付成功" in cashier and "模拟余额不足" in cashier
        assert ">tok_" not in cashier and "（tok_" not in cashier  # no raw test tokens shown
        key = _hidden(cashier, "idempotency_key")[0]
        action = re.search(r'action="(/checkouts/\d+/pay)"', cashier)[1]  # type: ignore[index]
        r = client.post(action, data={"idempotency_key": key, "method": method}, follow_redirects=False)
        deliver(db, client)
        app.state.outbox_worker.run_until_idle()
        shown = client.get(r.headers["location"]).text
        status = re.search(r"<h1[^>]*>(.*?)</h1>", shown)[1]  # type: ignore[index]
        assert status == expected
        if method == "tok_decline":  # told why, with the way to pay again, and no more polling
            assert "余额不足" in shown and "重新支付" in shown and 'data-poll="1"' not in shown
            assert "上次支付失败" in client.get(cashier_url.headers["location"]).text
    again = client.post(action, data={"idempotency_key": "another", "method": "tok_ok"})
    assert (
        again.status_code == 200 and "已支付，请勿重复付款" in again.text
    )  # a late click: told, not charged twice
