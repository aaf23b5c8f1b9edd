"""The index's score columns, read through the scores API (``scores.service``), never recomputed:
a product's 商品分, 价格力, 溢价 and rating; its shop's DSR (the mean of the three) and band."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from laotie.scores import service as scores


def product_score_columns(session: Session, product_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    return {
        pid: {
            "product_score": s.product_score,
            "price_index_bp": s.price_index_bp,
            "overpriced": s.overpriced,
            "rating_avg_x100": s.rating_avg_x100,
            "rating_count": s.reviews,
        }
        for pid, s in scores.product_scores(session, product_ids).items()
    }


def shop_score_columns(session: Session, shop_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    return {
        sid: {"dsr_x100": s.dsr_mean_x100, "shop_band": s.band}
        for sid, s in scores.shop_scores(session, shop_ids).items()
    }
