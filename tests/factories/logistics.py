"""Shipping templates and buyers in chosen provinces, for logistics tests."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.logistics import service as logistics
from laotie.logistics.schemas import ProductShippingIn, TemplateIn, TemplateOut
from laotie.shops.models import Shop
from tests.factories import make_user
from tests.factories.addresses import URUMQI_TIANSHAN, make_address
from tests.factories.orders import Buyer, OnSale, checkout_and_pay, checkout_body
from tests.factories.shops import principal_of

# 西藏 / 拉萨市 / 城关区
LHASA_CHENGGUAN = {"province_code": "540000", "city_code": "540100", "district_code": "540102"}
# 广东省 / 广州市 / 天河区
GUANGZHOU_TIANHE = {"province_code": "440000", "city_code": "440100", "district_code": "440106"}

# 首件8元, 续件2元; 满99包邮; 广东 5 元; 西藏 excluded (but 西北集运 reaches it through the hub).
STANDARD: dict[str, Any] = {
    "name": "标准快递",
    "default": {"first_fee_fen": 800, "extra_fee_fen": 200},
    "regions": [{"provinces": ["440000"], "first_fee_fen": 500, "extra_fee_fen": 100}],
    "free_rules": [{"min_amount_fen": 9900}],
    "excluded": ["710000", "810000", "820000"],
}


def owner_of(session: Session, shop_id: int) -> Any:
    shop = session.get(Shop, shop_id)
    assert shop is not None
    return principal_of(session, shop.owner_id)


def make_template(session: Session, shop_id: int, **overrides: Any) -> TemplateOut:
    body = TemplateIn.model_validate({**STANDARD, **overrides})
    out = logistics.create_template(session, owner_of(session, shop_id), shop_id, body)
    session.commit()
    return out


def ship_under(session: Session, sale: OnSale, template_id: int | None, weight_g: int = 0) -> None:
    logistics.set_product_shipping(
        session,
        owner_of(session, sale.shop_id),
        sale.shop_id,
        sale.product_id,
        ProductShippingIn(template_id=template_id, weight_g=weight_g),
    )
    session.commit()


def buyer_in(session: Session, region: dict[str, str]) -> Buyer:
    user_id, headers = make_user(session)
    address = make_address(session, user_id, **region)
    return Buyer(user_id, headers, address.id, principal_of(session, user_id))


def paid_order(
    client: TestClient, app: FastAPI, db: Database, session: Session, buyer: Buyer, *items: tuple[OnSale, int]
) -> list[int]:
    """Check out and pay through the sandbox PSP; the outbox delivers OrderPaid (deadlines open)."""
    placed = checkout_and_pay(client, app, db, session, buyer, checkout_body(buyer, *items))
    return [o.id for o in placed.orders]


__all__ = ["URUMQI_TIANSHAN", "buyer_in", "make_template", "owner_of", "paid_order", "ship_under"]
