"""Placement's bridge to promotions: price each accepted checkout and claim what it uses, then record
which order holds each claim once the orders exist.

Called from ``placement.place_batch`` between deciding stock and writing: a checkout whose coupon
or budget claim is refused gets that error (nothing of it is written) and the rest of the batch
goes on. With no promotion configured for the batch's SKUs and shops and no coupon chosen, the
offers read finds nothing and every order keeps its list price (one read per batch, not per order).
What the prices come to per line, order and checkout is ``placement_money``'s to say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.catalog.schemas import SkuForSale
from laotie.core.errors import AppError
from laotie.orders.models import Order, OrderStatus
from laotie.orders.placement_types import Plan
from laotie.promotions import service as promotions
from laotie.promotions.schemas import Breakdown, CartLine, PricedLine


@dataclass(frozen=True)
class Priced:
    """What promotions made of one checkout: its breakdown, the claims reserved for it, each line."""

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


def price_plans(
    session: Session, plans: list[Plan], now: datetime
) -> tuple[dict[int, Priced], dict[int, AppError]]:
    """Price and claim for every plan: what promotions made of each (a plan missing from it keeps
    its list prices) and the refused, both by plan index."""
    priced: dict[int, Priced] = {}
    refused: dict[int, AppError] = {}
    if not plans:
        return priced, refused
    book = promotions.load_book(
        session,
        {sku.sku_id for p in plans for sku, _ in p.lines},
        {sku.shop_id for p in plans for sku, _ in p.lines},
        now,
    )
    if not book.any() and not any(p.request.body.coupon_ids for p in plans):
        return priced, refused
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
        priced[plan.index] = Priced(breakdown, reservation, {p.line.sku_id: p for p in breakdown.lines})
    return priced, refused


def record_uses(session: Session, placed: Iterable[tuple[Priced, dict[int, int]]], now: datetime) -> None:
    """After the orders exist: for every priced checkout written, the order id of each of its shops."""
    for priced, order_of_shop in placed:
        if not priced.reservation.empty():
            promotions.record_uses(session, priced.reservation, order_of_shop, now)
