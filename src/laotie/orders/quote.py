"""结算预览: the checkout's price, line by line, before placing it (POST /api/v1/checkout/quote).

It runs the very pricing placement runs (same offers, same stacking) without claiming anything, so
what the buyer sees is what the checkout charges unless a budget or coupon runs out meanwhile (then
the checkout refuses with a stable code and the buyer re-quotes).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from laotie.addresses import service as addresses
from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import AnyUser, Principal
from laotie.core.http import DbSession
from laotie.core.ids import Id
from laotie.core.numbers import StrictInt
from laotie.orders import errors
from laotie.orders.pricing import cart_of, first_order_buyers
from laotie.orders.schemas import MAX_LINES, MAX_QUANTITY
from laotie.promotions import service as promotions
from laotie.promotions.schemas import DiscountOut, QuoteLineOut, QuoteOut, ShopQuoteOut

router = APIRouter(prefix="/api/v1", tags=["orders"])


class QuoteLineIn(BaseModel):
    sku_id: Id
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)


class QuoteIn(BaseModel):
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=MAX_LINES)
    coupon_ids: list[Id] = Field(default_factory=list, max_length=10)
    address_id: Id | None = None


def quote(session: Session, buyer_id: int, body: QuoteIn) -> QuoteOut:
    merged: dict[int, int] = {}
    for line in body.lines:
        merged[line.sku_id] = merged.get(line.sku_id, 0) + line.quantity
    skus = catalog.skus_for_sale(session, sorted(merged))
    for sku_id in merged:
        if sku_id not in skus or not skus[sku_id].sellable:
            raise errors.SKU_UNAVAILABLE(sku_id=sku_id)
    lines = [(skus[sku_id], qty) for sku_id, qty in sorted(merged.items())]
    address: dict[str, Any] | None = None
    if body.address_id is not None:
        address = addresses.snapshot(session, buyer_id, body.address_id).model_dump(mode="json")
    now = clock.now()
    book = promotions.load_book(session, merged, {s.shop_id for s, _ in lines}, now)
    first = buyer_id in first_order_buyers(session, {buyer_id}) if book.deals else False
    priced = promotions.price_cart(
        session, book, buyer_id, cart_of(lines), body.coupon_ids, address, first, now, quote=True
    )
    titles = {s.sku_id: s.title for s, _ in lines}
    shops = []
    for shop_id, shop_lines in priced.shops().items():
        out_lines = [
            QuoteLineOut(
                sku_id=p.line.sku_id,
                product_id=p.line.product_id,
                title=titles[p.line.sku_id],
                unit_price_fen=p.line.unit_price_fen,
                quantity=p.line.quantity,
                list_fen=p.list_fen,
                discounts=[
                    DiscountOut(
                        kind=d.kind,
                        promotion_id=d.promotion_id,
                        funded_by=d.funded_by,  # type: ignore[arg-type]
                        amount_fen=d.amount_fen,
                        label=d.label,
                    )
                    for d in p.discounts
                ],
                discount_fen=p.discount_fen,
                final_fen=p.final_fen,
            )
            for p in shop_lines
        ]
        shops.append(
            ShopQuoteOut(
                shop_id=shop_id,
                lines=out_lines,
                list_fen=sum(p.list_fen for p in shop_lines),
                discount_fen=sum(p.discount_fen for p in shop_lines),
                shop_funded_fen=sum(p.funded("shop") for p in shop_lines),
                platform_funded_fen=sum(p.funded("platform") for p in shop_lines),
                payable_fen=sum(p.final_fen for p in shop_lines),
            )
        )
    return QuoteOut(
        shops=shops,
        list_fen=priced.list_fen,
        discount_fen=priced.discount_fen,
        payable_fen=priced.final_fen,
        unused_coupon_ids=priced.unused_coupons,
    )


@router.post("/checkout/quote", response_model=QuoteOut)
def checkout_quote(session: DbSession, body: QuoteIn, buyer: Principal = AnyUser) -> QuoteOut:
    """The price of these lines for this buyer now: every discount per line and who funds it
    (shop / platform). Nothing is reserved; placing the checkout claims coupons and budgets."""
    return quote(session, buyer.user_id, body)
