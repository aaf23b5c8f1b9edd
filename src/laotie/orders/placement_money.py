"""What a placed checkout costs, computed once per checkout: each line's discount (and who funds it),
each order's totals and payable, and the checkout's total. The rows, the events and the answer all
read these figures; nothing downstream adds them up again.

A line's discount comes from one of three places: a server-side price (a live flash sale; it stacks
with no promotion), what promotions priced, or nothing (the list price).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from laotie.catalog.schemas import SkuForSale
from laotie.orders import overrides
from laotie.orders.placement_types import Line, Plan
from laotie.orders.pricing import Priced


@dataclass(frozen=True)
class LineMoney:
    sku: SkuForSale
    quantity: int
    total_fen: int  # the list price times the quantity
    discount_fen: int
    discounts: tuple[dict[str, Any], ...]  # each discount and who funds it, as the line row keeps it


@dataclass(frozen=True)
class OrderMoney:
    """One shop's order of the checkout."""

    shop_id: int
    lines: tuple[LineMoney, ...]
    items_total_fen: int
    discount_fen: int
    subsidy_fen: int  # the platform-funded part of the discount
    shipping_fen: int
    payable_fen: int  # the lines after discounts, plus the shop's shipping fee


@dataclass(frozen=True)
class CheckoutMoney:
    orders: tuple[OrderMoney, ...]  # by shop id
    total_fen: int  # what the buyer pays for the whole checkout: the orders' payables


@dataclass(frozen=True)
class Accepted:
    """A plan the batch will write, its promotions (None: none applied) and its money."""

    plan: Plan
    priced: Priced | None
    money: CheckoutMoney


def _line(plan: Plan, priced: Priced | None, sku: SkuForSale, qty: int) -> LineMoney:
    override = plan.request.override
    if override is not None:
        discount = overrides.discount(override, sku, qty)
        funded = tuple(overrides.discounts(override, sku, qty))
    elif priced is not None:
        by_promotions = priced.by_sku[sku.sku_id]
        discount = by_promotions.discount_fen
        funded = tuple(d.as_dict() for d in by_promotions.discounts)
    else:
        discount, funded = 0, ()
    return LineMoney(sku, qty, sku.price_fen * qty, discount, funded)


def _platform_funded(priced: Priced | None, lines: list[Line]) -> int:
    if priced is None:
        return 0  # list prices and flash-sale prices (never priced by promotions): no platform part
    return sum(priced.by_sku[sku.sku_id].funded("platform") for sku, _ in lines)


def checkout_money(plan: Plan, priced: Priced | None) -> CheckoutMoney:
    by_shop: dict[int, list[Line]] = {}
    for sku, qty in plan.lines:
        by_shop.setdefault(sku.shop_id, []).append((sku, qty))
    orders = []
    for shop_id, shop_lines in sorted(by_shop.items()):
        lines = tuple(_line(plan, priced, sku, qty) for sku, qty in shop_lines)
        items_total = sum(line.total_fen for line in lines)
        discount = sum(line.discount_fen for line in lines)
        shipping = plan.shipping.get(shop_id, 0)
        orders.append(
            OrderMoney(
                shop_id=shop_id,
                lines=lines,
                items_total_fen=items_total,
                discount_fen=discount,
                subsidy_fen=_platform_funded(priced, shop_lines),
                shipping_fen=shipping,
                payable_fen=items_total - discount + shipping,
            )
        )
    return CheckoutMoney(tuple(orders), sum(order.payable_fen for order in orders))


def accept(plan: Plan, priced: Priced | None) -> Accepted:
    return Accepted(plan, priced, checkout_money(plan, priced))
