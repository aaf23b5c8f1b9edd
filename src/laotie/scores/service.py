"""Scores' public face. Other domains read scores here and never recompute them:
``product_scores(session, product_ids)`` and ``shop_scores(session, shop_ids)`` (one indexed query
each), ``promoter_scores`` for anchors and creators. The merchant page reads ``shop_report``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy.orm import Session

from laotie.scores import aggregates, compute, prices
from laotie.scores import formulas as f
from laotie.scores.aggregates import Kind
from laotie.scores.apply import Review, order_delivered, review_published, review_removed
from laotie.scores.rebuild import rebuild
from laotie.scores.report import shop_report
from laotie.scores.schemas import (
    BAND_LABELS,
    DSR_LABELS,
    ProductScoresOut,
    PromoterScoresOut,
    ShopReport,
    ShopScoresOut,
    stars_text,
)
from laotie.scores.views import product_out, rows_of, shop_out

__all__ = [
    "BAND_LABELS",
    "DSR_LABELS",
    "ProductScoresOut",
    "PromoterScoresOut",
    "Review",
    "ShopReport",
    "ShopScoresOut",
    "order_delivered",
    "product_scores",
    "promoter_scores",
    "rebuild",
    "refresh_prices",
    "review_published",
    "review_removed",
    "roll_windows",
    "shop_report",
    "shop_scores",
    "stars_text",
]


def product_scores(session: Session, product_ids: Iterable[int]) -> dict[int, ProductScoresOut]:
    """Every asked product, with None figures where there are too few data (暂无评分)."""
    ids = sorted(set(product_ids))
    rows = rows_of(session, Kind.PRODUCT, ids)
    return {pid: product_out(pid, rows.get(pid)) for pid in ids}


def shop_scores(session: Session, shop_ids: Iterable[int]) -> dict[int, ShopScoresOut]:
    ids = sorted(set(shop_ids))
    rows = rows_of(session, Kind.SHOP, ids)
    return {sid: shop_out(sid, rows.get(sid)) for sid in ids}


def promoter_scores(session: Session, user_ids: Iterable[int]) -> dict[int, PromoterScoresOut]:
    ids = sorted(set(user_ids))
    rows = rows_of(session, Kind.USER, ids)
    return {
        uid: PromoterScoresOut(uid)
        if (r := rows.get(uid)) is None
        else PromoterScoresOut(uid, r.integrity, r.quality_return_bp, r.reviews, r.updated_at)
        for uid in ids
    }


def roll_windows(session: Session, limit: int = 500) -> int:
    """Days pass: subjects whose oldest counted day just left a window are recomputed (only those,
    not every subject), so a shop's DSR forgets a review exactly 90 days later."""
    day = compute.today()
    moved = 0
    cause = compute.Cause("window")
    for kind in (Kind.PRODUCT, Kind.SHOP, Kind.USER):
        ids: set[int] = set()
        for n in (f.DSR_DAYS, f.RATE_DAYS, f.VIOLATION_DAYS):
            left = day - timedelta(days=n)  # the newest day no longer in an n-day window
            ids.update(aggregates.expiring(session, kind, left - timedelta(days=3), left, limit))
        rows = rows_of(session, kind, ids)
        due = sorted(i for i in ids if (r := rows.get(i)) is None or r.rolled_on != day)[:limit]
        if not due:
            continue
        if kind == Kind.PRODUCT:
            compute.recompute_products(session, {i: (None, None) for i in due}, cause, day)
        elif kind == Kind.SHOP:
            compute.recompute_shops(session, due, cause, day)
        else:
            compute.recompute_users(session, due, cause, day)
        for row in rows_of(session, kind, due).values():
            row.rolled_on = day
        moved += len(due)
    session.flush()
    return moved


def refresh_prices(session: Session) -> int:
    return prices.refresh_moved_categories(session)
