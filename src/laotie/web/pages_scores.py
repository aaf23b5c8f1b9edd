"""店铺评分 in the merchant console: every score with its history chart, how it was computed, what
moved it, and the consequences in force; and the small DSR blocks other pages include (product page,
live cart, alliance market) through ``shop_dsr``."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from laotie.core.auth import AnyUser, Principal
from laotie.core.http import PathId, get_session
from laotie.scores import service as scores
from laotie.shops import service as shops
from laotie.web.rendering import PageRoute, env, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
CHART_W, CHART_H, PAD = 320, 90, 4


def chart(history: list[tuple[date, float | None]], lo: float, hi: float) -> dict[str, Any]:
    """An inline SVG line chart's geometry: one polyline per run of known values (a gap where the
    score was 暂无), the first and last day for the axis, and the last value."""
    n = len(history)
    span = (hi - lo) or 1.0
    runs: list[list[str]] = []
    current: list[str] = []
    for i, (_, value) in enumerate(history):
        if value is None:
            if current:
                runs.append(current)
                current = []
            continue
        x = PAD + (CHART_W - 2 * PAD) * (i / max(n - 1, 1))
        y = CHART_H - PAD - (CHART_H - 2 * PAD) * (min(max(value, lo), hi) - lo) / span
        current.append(f"{x:.1f},{y:.1f}")
    if current:
        runs.append(current)
    return {
        "w": CHART_W,
        "h": CHART_H,
        "lines": [" ".join(r) for r in runs if len(r) > 1],
        "dots": [r[0] for r in runs if len(r) == 1],
        "first": history[0][0] if history else None,
        "last": history[-1][0] if history else None,
        "lo": lo,
        "hi": hi,
        "empty": not runs,
    }


@router.get("/merchant/shops/{shop_id}/scores", response_class=HTMLResponse)
def scores_page(
    request: Request, shop_id: PathId, session: Session = Depends(get_session), principal: Principal = AnyUser
) -> HTMLResponse:
    shop = shops.require_shop_member(session, shop_id, principal)
    report = scores.shop_report(session, shop_id)
    charts = {c.key: chart(c.history, *c.scale) for c in report.cards}
    return render(
        request,
        session,
        principal,
        "scores/shop.html",
        shop=shop,
        report=report,
        charts=charts,
        dsr_labels=scores.DSR_LABELS,
        stars=scores.stars_text,
    )


def shop_dsr(session: Session, shop_id: int) -> scores.ShopScoresOut:
    """What the product page, the live cart and the alliance market show of a shop."""
    return scores.shop_scores(session, [shop_id])[shop_id]


def _dsr_line(s: scores.ShopScoresOut) -> str:
    """The one-line DSR a live cart or alliance card shows: 描述4.86 服务4.90 物流4.79 (or 暂无评分)."""
    if s.dsr_mean_x100 is None:
        return "店铺评分 暂无评分"
    parts = [f"{label[:2]}{scores.stars_text(s.dsr[k])}" for k, label in scores.DSR_LABELS.items()]
    return " ".join(parts)


env.globals["shop_dsr_line"] = _dsr_line
