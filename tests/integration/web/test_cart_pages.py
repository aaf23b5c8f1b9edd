"""The cart page: a picture per line, the +/− stepper (never below one), and a tick per line that
decides what goes to checkout; the rest stays in the cart."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.catalog import make_listed_product
from tests.factories.orders import make_buyer, make_on_sale
from tests.factories.web import sign_in


def _hidden(page: str, name: str) -> list[str]:
    """A hidden field's values, once each (the checkout page repeats its lines in the address form)."""
    return list(dict.fromkeys(re.findall(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)))


def test_cart_pictures_stepper_and_checking_out_only_the_ticked_lines(
    client: TestClient, session: Session, app: FastAPI
) -> None:
    a = make_on_sale(session, price_fen=1000)
    pictured = make_listed_product(session, a.shop_id, storage=app.state.storage, price_fen=2500)
    session.commit()
    buyer = make_buyer(session)
    session.rollback()
    sign_in(client, buyer.headers)
    b_sku = pictured.skus[0].id
    client.post("/cart/items", data={"sku": str(a.sku_id), "qty": "1"})
    client.post("/cart/items", data={"sku": str(b_sku), "qty": "2"})
    page = client.get("/cart").text
    assert pictured.images and f'<img src="{pictured.images[0].thumb_url}"' in page
    assert f'name="pick" value="{a.sku_id}" form="cart-form" checked' in page
    assert 'class="step minus" aria-label="减少" disabled' in page  # one piece: − is off
    # + then −: the stepper's buttons move the quantity by one, never below one.
    assert "¥70.00" in client.post(f"/cart/items/{a.sku_id}", data={"qty": "1", "step": "1"}).text
    client.post(f"/cart/items/{a.sku_id}", data={"qty": "2", "step": "-1"})
    client.post(f"/cart/items/{a.sku_id}", data={"qty": "1", "step": "-1"})
    assert f'data-sku="{a.sku_id}" data-price="1000" data-qty="1"' in client.get("/cart").text
    # Only the ticked line goes to checkout; the other stays in the cart afterwards.
    checkout = client.get(f"/checkout?source=cart&pick={b_sku}").text
    assert _hidden(checkout, "line") == [f"{b_sku}:2:2500"]
    # A new address keeps the choice on the way back to the page.
    added = client.post(
        "/checkout/address",
        data={
            "line": _hidden(checkout, "line"),
            "source": "cart",
            "recipient": "李四",
            "phone": "13800138001",
            "province_code": "110000",
            "city_code": "110100",
            "district_code": "110105",
            "detail": "建国路1号",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303 and f"pick={b_sku}" in added.headers["location"], added.text
    placed = client.post(
        "/checkout",
        data={
            "line": _hidden(checkout, "line"),
            "source": "cart",
            "idempotency_key": _hidden(checkout, "idempotency_key")[0],
            "address_id": str(buyer.address_id),
            "pay_mode": "pay_now",
        },
        follow_redirects=False,
    )
    assert placed.status_code == 303, placed.text
    left = client.get("/cart").text
    assert f'data-sku="{a.sku_id}"' in left and f'data-sku="{b_sku}"' not in left
    # Without a choice (no script, or an old link) every available line is checked out.
    assert _hidden(client.get("/checkout?source=cart").text, "line") == [f"{a.sku_id}:1:1000"]
