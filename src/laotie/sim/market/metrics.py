"""What a run measures, read back from the platform's own tables (orders, after-sales cases, the
impression log, shops) plus the simulator's tallies of what buyers looked at.

- GMV: paid order value (fen), and net of refunds.
- Orders and conversion by channel: orders ÷ product pages opened from that channel (visits), and
  orders ÷ impressions on that channel's surface.
- Repurchase rate (复购率): of the buyers with a paid order, the share who paid for a second order
  from the same shop within the run.
- Quality-return rate (品退率): return cases opened for quality ÷ paid orders.
- New merchants surviving: of the shops that opened during the run, the share still open and
  with a paid order in the last ``SURVIVAL_DAYS`` simulated days.
- Exposure Gini: across every merchant that was open at some time (zero impressions count), on the
  feed (the traffic the policy hands out) and on every surface.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, select

from laotie.aftersales.models import Case, CaseReason
from laotie.core.uow import unit_of_work
from laotie.feed.models import Impression
from laotie.orders.models import Order
from laotie.sim.market import voice
from laotie.sim.market.state import Sim
from laotie.sim.market.world import day_of

SURVIVAL_DAYS = 7
SURFACE_OF = {"shelf": ("home", "product"), "search": ("search", "product"), "live": ("home", "live")}


def gini(values: list[float]) -> float:
    """The Gini coefficient of non-negative ``values``: 0 when all are equal, (n-1)/n when one has
    everything; 0 for an empty list or all zeros."""
    xs = sorted(values)
    n, total = len(xs), sum(xs)
    if n == 0 or total <= 0:
        return 0.0
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return 2 * weighted / (n * total) - (n + 1) / n


def lorenz(values: list[float], points: int = 20) -> list[tuple[float, float]]:
    """(share of merchants, share of exposure) from the least exposed up, for the chart."""
    xs = sorted(values)
    n, total = len(xs), sum(xs) or 1
    out = [(0.0, 0.0)]
    for k in range(1, points + 1):
        upto = round(n * k / points)
        out.append((k / points, sum(xs[:upto]) / total))
    return out


def measure(sim: Sim, days: int, seconds: float, cpu_seconds: float | None = None) -> dict[str, Any]:
    w = sim.world
    with unit_of_work(w.db, read_only=True) as session:
        paid = session.execute(
            select(Order.id, Order.buyer_id, Order.shop_id, Order.channel, Order.payable_fen,
                   Order.refunded_fen, Order.paid_at)
            .where(Order.paid_at.is_not(None))
            .order_by(Order.id)
        ).all()  # fmt: skip
        reasons: dict[str, int] = {
            str(r): int(n)
            for r, n in session.execute(select(Case.reason, func.count()).group_by(Case.reason))
        }
        dsr = voice.dsr_distribution(session, sim)
        shown = session.execute(
            select(Impression.surface, Impression.item_kind, Impression.shop_id, func.count()).group_by(
                Impression.surface, Impression.item_kind, Impression.shop_id
            )
        ).all()
    gmv = sum(r.payable_fen for r in paid)
    refunded = sum(r.refunded_fen for r in paid)
    by_channel: dict[str, dict[str, Any]] = {}
    impressions = Counter[tuple[str, str]]()
    feed_by_shop, all_by_shop = Counter[int](), Counter[int]()
    for surface, kind, shop_id, n in shown:
        impressions[(surface, kind)] += n
        if shop_id is not None:
            all_by_shop[shop_id] += n
            if surface == "home":
                feed_by_shop[shop_id] += n
    for channel in sorted({str(r.channel) for r in paid} | set(sim.tally.visits) | set(SURFACE_OF)):
        rows = [r for r in paid if str(r.channel) == channel]
        visits = sim.tally.visits.get(channel, 0)
        seen = impressions.get(SURFACE_OF[channel], 0) if channel in SURFACE_OF else 0
        by_channel[channel] = {
            "orders": len(rows),
            "gmv_fen": sum(r.payable_fen for r in rows),
            "visits": visits,
            "conversion": round(len(rows) / visits, 4) if visits else None,
            "impressions": seen,
            "orders_per_1000_impressions": round(1000 * len(rows) / seen, 3) if seen else None,
        }
    pairs = Counter((r.buyer_id, r.shop_id) for r in paid)
    buyers = {r.buyer_id for r in paid}
    again = {b for (b, _), n in pairs.items() if n >= 2}
    opened = [m for m in w.merchants if m.shop_id]
    entrants = [m for m in opened if m.new]
    last = days - SURVIVAL_DAYS
    surviving = [
        m for m in entrants
        if m.closed_day is None and any(d >= last for d in sim.sold_days.get(m.shop_id, []))
    ]  # fmt: skip
    daily: defaultdict[int, int] = defaultdict(int)
    for r in paid:
        daily[day_of(r.paid_at)] += r.payable_fen
    kinds: dict[str, dict[str, float]] = {}
    for kind in sorted({m.kind for m in opened}):
        shops_ = [m.shop_id for m in opened if m.kind == kind]
        kinds[kind] = {
            "merchants": len(shops_),
            "feed_exposure_share": _share(sum(feed_by_shop[s] for s in shops_), sum(feed_by_shop.values())),
            "gmv_share": _share(sum(r.payable_fen for r in paid if r.shop_id in shops_), gmv),
        }
    quality = reasons.get(str(CaseReason.QUALITY), 0)
    feed_values = [float(feed_by_shop[m.shop_id]) for m in opened]
    return {
        "policy": sim.policy,
        "seed": sim.seed,
        "days": days,
        "buyers": len(w.buyers),
        "merchants": len(w.merchants),
        "creators": len(w.creators),
        "gmv_fen": gmv,
        "net_gmv_fen": gmv - refunded,
        "orders": len(paid),
        "by_channel": by_channel,
        "repurchase_rate": _share(len(again), len(buyers)),
        "quality_returns": quality,
        "quality_return_rate": _share(quality, len(paid)),
        "returns_by_reason": dict(sorted(reasons.items())),
        "new_merchants": len(entrants),
        "new_merchants_surviving": len(surviving),
        "new_merchant_survival": _share(len(surviving), len(entrants)),
        "merchants_quit": sim.tally.merchants_quit,
        "exposure_gini": round(gini(feed_values), 4),
        "exposure_gini_all_surfaces": round(gini([float(all_by_shop[m.shop_id]) for m in opened]), 4),
        "exposure_top_decile_share": _share(_top(feed_values, 0.1), sum(feed_values)),
        "exposure_lorenz": lorenz(feed_values),
        "by_merchant_kind": kinds,
        "dsr": dsr,
        "dsr_note": "" if dsr else "no shop had enough reviews for a DSR",
        "daily_gmv_fen": [daily.get(d, 0) for d in range(days)],
        "tally": {
            "feed_pages": sim.tally.feed_pages,
            "searches": sim.tally.searches,
            "live_watches": sim.tally.live_watches,
            "refused": dict(sorted(sim.tally.refused.items())),
            "follows_after_purchase": sim.tally.follows_after_purchase,
            "reviews": sim.tally.reviews,
            "reports": sim.tally.reports,
            "reports_upheld": sim.tally.reports_upheld,
            "penalised_cases": sim.tally.penalised_cases,
            "rejected_listings": sum(m.rejected_listings for m in w.merchants),
        },
        "speed": {
            "seconds": round(seconds, 1),
            "orders_per_second": round(len(paid) / seconds, 2) if seconds else None,
            "cpu_seconds": None if cpu_seconds is None else round(cpu_seconds, 1),
            "orders_per_cpu_second": round(len(paid) / cpu_seconds, 2) if cpu_seconds else None,
        },
    }


def _top(values: list[float], fraction: float) -> float:
    """What the best-served ``fraction`` of merchants (at least one) hold together."""
    ranked = sorted(values, reverse=True)
    return sum(ranked[: max(1, round(len(ranked) * fraction))]) if ranked else 0.0


def _share(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0
