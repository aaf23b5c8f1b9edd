from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from tests.factories.catalog import owner_principal
from tests.factories.orders import make_buyer, make_on_sale


def test_cart_across_shops_shows_price_changes_then_checkout_asks_to_confirm(
    client: TestClient, session: Session
) -> None:
    buyer = make_buyer(session)
    tea = make_on_sale(session, price_fen=5990)
    honey = make_on_sale(session, price_fen=3900)
    for sale, quantity in ((tea, 2), (honey, 1), (tea, 1)):
        r = client.post(
            "/api/v1/cart/items", json={"sku_id": sale.sku_id, "quantity": quantity}, headers=buyer.headers
        )
        assert r.status_code == 200, r.text
    cart = r.json()
    assert cart["total_fen"] == 3 * 5990 + 3900
    assert sorted(int(k) for k in cart["shops"]) == sorted([tea.shop_id, honey.shop_id])
    catalog.set_sku_price(session, owner_principal(session, tea.shop_id), tea.sku_id, 6990)
    session.commit()
    cart = client.get("/api/v1/cart", headers=buyer.headers).json()
    line = cart["shops"][str(tea.shop_id)][0]
    assert line["price_changed"] and line["price_seen_fen"] == 5990 and line["current_price_fen"] == 6990
    stale = client.post(
        "/api/v1/checkout",
        json={
            "address_id": buyer.address_id,
            "lines": [
                {"sku_id": tea.sku_id, "quantity": 3, "expected_unit_price_fen": line["price_seen_fen"]}
            ],
        },
        headers={**buyer.headers, "Idempotency-Key": "c1"},
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "PRICE_CHANGED"
    assert stale.json()["error"]["details"]["lines"][0]["current_fen"] == 6990
    placed = client.post(
        "/api/v1/checkout",
        json={
            "address_id": buyer.address_id,
            "lines": [
                {"sku_id": tea.sku_id, "quantity": 3, "expected_unit_price_fen": 6990},
                {"sku_id": honey.sku_id, "quantity": 1, "expected_unit_price_fen": 3900},
            ],
        },
        headers={**buyer.headers, "Idempotency-Key": "c2"},
    )
    assert placed.status_code == 201 and len(placed.json()["orders"]) == 2
    assert (
        client.get("/api/v1/cart", headers=buyer.headers).json()["shops"] == {}
    )  # bought lines leave the cart
    assert (
        client.put(
            f"/api/v1/cart/items/{tea.sku_id}", json={"quantity": 2}, headers=buyer.headers
        ).status_code
        == 404
    )
