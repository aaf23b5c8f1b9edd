"""Deciding a batch in memory, in arrival order: each request's lines checked against what is for sale,
then stock and purchase limits handed out first come first served, then flash-sale units claimed from
their reservation. Nothing here writes an order; a refusal fails its own request only.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.catalog.schemas import SkuForSale
from laotie.core.errors import AppError
from laotie.orders import errors, overrides
from laotie.orders.models import BuyerQuota
from laotie.orders.placement_types import Line, PlaceRequest, Plan

# (buyer id, product id) -> units the buyer already holds of a product with a purchase limit.
Quotas = dict[tuple[int, int], int]


def check_lines(req: PlaceRequest, skus: dict[int, SkuForSale]) -> tuple[Line, ...]:
    """The request's lines merged per SKU (in SKU order); refuses an unsellable SKU or a stale price."""
    merged: dict[int, int] = {}
    for line in req.body.lines:
        merged[line.sku_id] = merged.get(line.sku_id, 0) + line.quantity
    stale = []
    for line in req.body.lines:
        sku = skus.get(line.sku_id)
        if sku is None or not sku.sellable:
            raise errors.SKU_UNAVAILABLE(sku_id=line.sku_id)
        if overrides.reserved(req.override, sku.sku_id):
            continue  # the server set this price; there is nothing the client could have seen stale
        if sku.price_fen != line.expected_unit_price_fen:
            stale.append(
                {
                    "sku_id": sku.sku_id,
                    "expected_fen": line.expected_unit_price_fen,
                    "current_fen": sku.price_fen,
                }
            )
    if stale:
        raise errors.PRICE_CHANGED(lines=stale)
    return tuple((skus[sku_id], qty) for sku_id, qty in sorted(merged.items()))


def quota_key(buyer_id: int, product_id: int) -> tuple[int, int]:
    return (buyer_id, product_id)


def held_quotas(session: Session, plans: list[Plan]) -> Quotas:
    """What each buyer of the batch already holds of every limited product they ask for."""
    pairs = {(p.request.buyer_id, sku.product_id) for p in plans for sku, _ in p.lines if sku.purchase_limit}
    if not pairs:
        return {}
    rows = session.execute(
        select(BuyerQuota.buyer_id, BuyerQuota.product_id, BuyerQuota.units).where(
            BuyerQuota.buyer_id.in_({b for b, _ in pairs}), BuyerQuota.product_id.in_({p for _, p in pairs})
        )
    ).all()
    return {(b, p): units for b, p, units in rows}


def allocate(
    plans: list[Plan], skus: dict[int, SkuForSale], quotas: Quotas
) -> tuple[list[Plan], dict[int, AppError]]:
    """Decide in arrival order who gets stock and quota: the accepted, and the refused by index."""
    remaining = {sku_id: sku.stock for sku_id, sku in skus.items()}
    held = dict(quotas)
    accepted: list[Plan] = []
    refused: dict[int, AppError] = {}
    for plan in plans:
        by_product: dict[int, int] = {}
        for sku, qty in plan.lines:
            by_product[sku.product_id] = by_product.get(sku.product_id, 0) + qty
        try:
            for sku, qty in plan.lines:
                if remaining[sku.sku_id] < qty and not overrides.reserved(plan.request.override, sku.sku_id):
                    raise errors.OUT_OF_STOCK(sku_id=sku.sku_id, available=remaining[sku.sku_id])
            for sku, _ in plan.lines:
                limit = sku.purchase_limit
                key = quota_key(plan.request.buyer_id, sku.product_id)
                if limit and held.get(key, 0) + by_product[sku.product_id] > limit:
                    raise errors.PURCHASE_LIMIT_EXCEEDED(limit=limit, product_id=sku.product_id)
        except AppError as exc:
            refused[plan.index] = exc
            continue
        for sku, qty in plan.lines:
            if not overrides.reserved(plan.request.override, sku.sku_id):
                remaining[sku.sku_id] -= qty
        for sku, _ in plan.lines:
            if sku.purchase_limit:
                key = quota_key(plan.request.buyer_id, sku.product_id)
                held[key] = held.get(key, 0) + by_product[sku.product_id]
                by_product[sku.product_id] = 0  # counted once per product
        accepted.append(plan)
    return accepted, refused


def claim_overrides(session: Session, plans: list[Plan]) -> tuple[list[Plan], dict[int, AppError]]:
    """Take each flash-price request's units from its reservation: the served, and the refused."""
    kept: list[Plan] = []
    refused: dict[int, AppError] = {}
    for plan in plans:
        override = plan.request.override
        if override is not None:
            qty = sum(q for sku, q in plan.lines if sku.sku_id == override.sku_id)
            try:
                if qty:
                    override.claim(session, plan.request.buyer_id, qty)
            except AppError as exc:
                refused[plan.index] = exc
                continue
        kept.append(plan)
    return kept, refused
