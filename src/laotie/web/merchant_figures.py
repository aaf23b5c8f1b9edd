"""The merchant dashboard's figures: today's sales, orders waiting to ship, after-sales waiting for the
merchant, rooms on air, and the last 30 days as an inline SVG chart (server-rendered, no script, no
CDN; it scales to the screen's width)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup
from sqlalchemy.orm import Session

from laotie.aftersales import service as aftersales
from laotie.aftersales.schemas import CaseStatus
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.money import format_yuan, yuan_short
from laotie.core.pagination import PageParams
from laotie.live import service as live
from laotie.live.schemas import SessionOut
from laotie.orders import service as orders
from laotie.orders.service import ShopFigures
from laotie.web.rendering import CHINA_TZ

# After-sales cases waiting for the merchant: to approve, to receive the parcel back, to refund.
MERCHANT_CASE_STATES = (CaseStatus.REQUESTED, CaseStatus.RETURNING, CaseStatus.RECEIVED)
CHART_DAYS = 30


@dataclass
class Overview:
    figures: ShopFigures
    open_cases: int
    on_air: list[SessionOut]
    chart: Markup

    @property
    def to_ship(self) -> int:
        return self.figures.by_status.get("paid", 0)

    @property
    def unpaid(self) -> int:
        return self.figures.by_status.get("pending_payment", 0)

    @property
    def month_fen(self) -> int:
        return sum(d.sales_fen for d in self.figures.days)

    @property
    def month_orders(self) -> int:
        return sum(d.orders for d in self.figures.days)


def open_case_count(session: Session, principal: Principal, shop_id: int) -> int:
    return sum(
        aftersales.shop_cases(session, principal, shop_id, PageParams(limit=1), status).total
        for status in MERCHANT_CASE_STATES
    )


def overview(session: Session, principal: Principal, shop_id: int) -> Overview:
    figures = orders.shop_figures(session, principal, shop_id, clock.now(), CHINA_TZ, days=CHART_DAYS)
    on_air = [s for s in live.live_now(session, 200) if s.shop_id == shop_id]
    return Overview(figures, open_case_count(session, principal, shop_id), on_air, sales_chart(figures))


def sales_chart(figures: ShopFigures, width: int = 600, height: int = 180) -> Markup:
    """One bar per day (sales in yuan), the best day's amount as the scale, a date every week."""
    days = figures.days
    top = max((d.sales_fen for d in days), default=0)
    left, bottom, top_pad = 4, 22, 18
    plot_h = height - bottom - top_pad
    step = (width - left) / max(len(days), 1)
    label = " / ".join(
        f"{d.day.month}月{d.day.day}日 {format_yuan(d.sales_fen)}" for d in days if d.sales_fen
    )
    parts = [
        f'<svg class="chart" id="sales-chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="近{len(days)}天销售额：{escape(label or "暂无成交")}">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#e5e7eb"/>',
        f'<text x="{left}" y="12" font-size="12" fill="#6b7280">最高 ¥{escape(yuan_short(top))}</text>',
    ]
    for i, d in enumerate(days):
        x = left + i * step
        h = round(plot_h * d.sales_fen / top) if top else 0
        if d.sales_fen and h < 2:
            h = 2  # a day with a sale never looks like a day without one
        today = i == len(days) - 1
        parts.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{height - bottom - h}" width="{step * 0.7:.1f}" height="{h}" '
            f'rx="2" fill="{"#ff5000" if today else "#ffb08a"}" data-day="{d.day.isoformat()}" '
            f'data-fen="{d.sales_fen}"><title>{d.day.month}月{d.day.day}日 {escape(format_yuan(d.sales_fen))} · '
            f"{d.orders}单</title></rect>"
        )
        if today or (i % 7 == 0 and i < len(days) - 4):  # no weekly date crowding 今天
            text = "今天" if today else f"{d.day.month}/{d.day.day}"
            anchor = "end" if today else "start"
            tx = width if today else x
            parts.append(
                f'<text x="{tx:.1f}" y="{height - 6}" font-size="11" fill="#6b7280" text-anchor="{anchor}">'
                f"{text}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
