"""Current rows as the read API's schemas."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.scores import formulas as f
from laotie.scores.models import Current
from laotie.scores.schemas import ProductScoresOut, ShopScoresOut


def rows_of(session: Session, kind: str, ids: Iterable[int]) -> dict[int, Current]:
    wanted = sorted(set(ids))
    out: dict[int, Current] = {}
    for chunk in (wanted[i : i + 500] for i in range(0, len(wanted), 500)):
        for row in session.scalars(
            select(Current).where(Current.subject_kind == kind, Current.subject_id.in_(chunk))
        ):
            out[row.subject_id] = row
    return out


def product_out(pid: int, r: Current | None) -> ProductScoresOut:
    if r is None:
        return ProductScoresOut(product_id=pid, shop_id=None)
    return ProductScoresOut(
        product_id=pid,
        shop_id=r.shop_id,
        product_score=r.product_score,
        rating_avg_x100=r.rating_avg_x100,
        reviews=r.reviews,
        quality_return_bp=r.quality_return_bp,
        price_fen=r.price_fen,
        price_index_bp=r.price_index_bp,
        own_price_index_bp=r.own_price_index_bp,
        price_label=f.price_label(r.price_index_bp),
        overpriced=r.overpriced,
        updated_at=r.updated_at,
    )


def shop_out(sid: int, r: Current | None) -> ShopScoresOut:
    if r is None:
        return ShopScoresOut(shop_id=sid)
    return ShopScoresOut(
        shop_id=sid,
        dsr_description_x100=r.dsr_description_x100,
        dsr_service_x100=r.dsr_service_x100,
        dsr_logistics_x100=r.dsr_logistics_x100,
        reviews=r.reviews,
        category_avg_x100=r.prior_x100,
        quality_return_bp=r.quality_return_bp,
        experience=r.experience,
        band=r.band,
        updated_at=r.updated_at,
    )
