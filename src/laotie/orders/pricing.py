"""Placement's bridge to promotions: price each accepted checkout, claim what it uses, fill the rows.

Called from ``placement.place_batch`` between deciding stock and writing: a checkout whose coupon
or budget claim is refused gets that error (nothing of it is written) and the rest of the batch
goes on. With no promotion configured for the batch's SKUs and shops and no coupon chosen, the
offers read finds nothing and every order keeps its list price (one read per batch, not per order).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.catalog.schemas import SkuForSale
from laotie.core.errors import AppError
from laotie.orders import overrides
from laotie.orders.models import Order, OrderStatus
from laotie.promotions import service as promotions
from laotie.promotions.schemas import Breakdown, CartLine, PricedLine


class PlanLike(Protocol):
    index: int
    request: Any
    lines: list[tuple[SkuForSale, int]]
    priced: Any


@dataclass
class Priced:
    breakdown: Breakdown
    reservation: promotions.Reservation
    by_sku: dict[int, PricedLine]


def cart_of(lines: Iterable[tuple[SkuForSale, int]]) -> list[CartLine]:
    return [CartLine(s.sku_id, s.product_id, s.shop_id, s.price_fen, qty) for s, qty in lines]


def first_order_buyers(session: Session, buyer_ids: set[int]) -> set[int]:
    """Buyers with no order yet (cancelled ones do not count): those a 一元购 is for."""
    if not buyer_ids:
        return set()
    had = set(
        session.scalars(
            select(Order.buyer_id)
            .where(Order.buyer_id.in_(sorted(buyer_ids)), Order.status != OrderStatus.CANCELLED)
            .distinct()
        )
    )
    return buyer_ids - had


def price_plans(session: Session, plans: list[Any], now: datetime) -> dict[int, AppError]:
    """Price and claim for every plan (setting ``plan.priced``); the refused, by plan index."""
    refused: dict[int, AppError] = {}
    if not plans:
        return refused
    book = promotions.load_book(
        session,
        {sku.sku_id for p in plans for sku, _ in p.lines},
        {sku.shop_id for p in plans for sku, _ in p.lines},
        now,
    )
    if not book.any() and not any(p.request.body.coupon_ids for p in plans):
        return refused
    first = first_order_buyers(session, {p.request.buyer_id for p in plans}) if book.deals else set()
    for plan in plans:
        if plan.request.override is not None:
            continue  # a live flash-sale price stacks with no promotion (docs/promotions.md)
        buyer_id = plan.request.buyer_id
        try:
            breakdown = promotions.price_cart(
                session,
                book,
                buyer_id,
                cart_of(plan.lines),
                list(plan.request.body.coupon_ids),
                plan.request.address,
                buyer_id in first,
                now,
            )
            reservation = promotions.reserve(session, buyer_id, plan.request.address, breakdown, now)
        except AppError as exc:
            refused[plan.index] = exc
            continue
        plan.priced = Priced(breakdown, reservation, {p.line.sku_id: p for p in breakdown.lines})
    return refused


def line_fields(plan: PlanLike, sku_id: int) -> dict[str, Any]:
    """``discount_fen`` and ``discounts`` (who funds each) for one order line."""
    if plan.priced is None:
        return {"discount_fen": 0, "discounts": []}
    p = plan.priced.by_sku[sku_id]
    return {"discount_fen": p.discount_fen, "discounts": [d.as_dict() for d in p.discounts]}


def order_fields(
    plan: PlanLike, lines: list[tuple[SkuForSale, int]], shipping_fen: int = 0
) -> dict[str, int]:
    """An order's ``discount_fen``, ``subsidy_fen`` (platform-funded part) and ``payable_fen``
    (the lines after discounts, plus the shop's shipping fee)."""
    total = sum(sku.price_fen * qty for sku, qty in lines) + shipping_fen
    if plan.priced is None:
        return {"discount_fen": 0, "subsidy_fen": 0, "payable_fen": total}
    priced = [plan.priced.by_sku[sku.sku_id] for sku, _ in lines]
    discount = sum(p.discount_fen for p in priced)
    return {
        "discount_fen": discount,
        "subsidy_fen": sum(p.funded("platform") for p in priced),
        "payable_fen": total - discount,
    }


def record_uses(session: Session, placed: Iterable[tuple[PlanLike, int, int]], now: datetime) -> None:
    """After the orders exist: (plan, shop id, order id) for every order written."""
    by_plan: dict[int, tuple[PlanLike, dict[int, int]]] = {}
    for plan, shop_id, order_id in placed:
        if plan.priced is not None and not plan.priced.reservation.empty():
            by_plan.setdefault(plan.index, (plan, {}))[1][shop_id] = order_id
    for plan, order_of_shop in by_plan.values():
        promotions.record_uses(session, plan.priced.reservation, order_of_shop, now)


def order_money(plan: PlanLike, lines: list[tuple[SkuForSale, int]], shipping_fen: int) -> dict[str, int]:
    """An order's discount, platform subsidy and payable: from promotions, or a flash-sale price
    (which stacks with no promotion)."""
    override = plan.request.override
    if override is None:
        return order_fields(plan, lines, shipping_fen)
    total = sum(sku.price_fen * qty for sku, qty in lines)
    discount = sum(overrides.discount(override, sku, qty) for sku, qty in lines)
    return {"discount_fen": discount, "subsidy_fen": 0, "payable_fen": total - discount + shipping_fen}


def line_money(plan: PlanLike, sku: SkuForSale, qty: int) -> dict[str, Any]:
    override = plan.request.override
    if override is None:
        return line_fields(plan, sku.sku_id)
    return {
        "discount_fen": overrides.discount(override, sku, qty),
        "discounts": overrides.discounts(override, sku, qty),
    }
