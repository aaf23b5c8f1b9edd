"""Read-only figures for a merchant's dashboard: orders per state and sales per local day.

Sales count orders that were paid (or, paying after use, confirmed) and not cancelled or refunded in
full, at the moment they were paid (placed, for 先用后付). Days are the merchant's local days (the
caller passes the zone), summed here in Python so SQLite and PostgreSQL agree without date functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.auth import Principal
from laotie.orders.models import Order, OrderStatus
from laotie.shops import service as shops

SOLD = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)


@dataclass(frozen=True)
class DaySales:
    day: date
    orders: int
    sales_fen: int


@dataclass
class ShopFigures:
    by_status: dict[str, int] = field(default_factory=dict)  # order status -> orders in it now
    days: list[DaySales] = field(default_factory=list)  # oldest first, one per day, empty days too

    @property
    def today(self) -> DaySales:
        return self.days[-1]


def shop_figures(
    session: Session, principal: Principal, shop_id: int, now: datetime, zone: tzinfo, days: int = 30
) -> ShopFigures:
    """Orders per state, and sales on each of the last ``days`` local days (today last)."""
    shops.require_shop_member(session, shop_id, principal)
    counts = session.execute(
        select(Order.status, func.count()).where(Order.shop_id == shop_id).group_by(Order.status)
    ).all()
    today = now.astimezone(zone).date()
    first = date.fromordinal(today.toordinal() - days + 1)
    since = datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC)
    at = func.coalesce(Order.paid_at, Order.created_at)
    rows = session.execute(
        select(at, Order.payable_fen).where(Order.shop_id == shop_id, Order.status.in_(SOLD), at >= since)
    ).all()
    totals: dict[date, list[int]] = {}
    for moment, fen in rows:
        local = _local_day(moment, zone)
        bucket = totals.setdefault(local, [0, 0])
        bucket[0] += 1
        bucket[1] += int(fen)
    series = []
    for offset in range(days):
        day = date.fromordinal(first.toordinal() + offset)
        n, fen = totals.get(day, [0, 0])
        series.append(DaySales(day, n, fen))
    return ShopFigures({str(getattr(s, "value", s)): int(n) for s, n in counts}, series)


def _local_day(moment: datetime, zone: tzinfo) -> date:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # stored times are UTC
    return aware.astimezone(zone).date()
