"""价格力: a product's price against equivalent goods and against its own recent prices.

Scores keep each product's price as the catalog last announced it (``scores_price``: leaf category,
attribute values, visibility) and its price per day (``scores_price_day``). Equivalent goods are the
other visible products of the same leaf category within the price band, preferring those with close
attributes (``formulas.peer_reference``); the product's own reference is the median of its daily
prices over the previous 30 days. A price change moves the product at once; its category's other
products are marked and moved by the ``scores.refresh_prices`` job (their reference moved a little).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.scores import aggregates
from laotie.scores import formulas as f
from laotie.scores.compute import Cause, recompute_products, today
from laotie.scores.models import PriceDay, PricePoint

PEERS_READ = 2_000  # at most this many peers are read per product (the nearest in price)
REFRESH_WINDOW = timedelta(hours=1)  # the job runs every 30 minutes: categories moved in the last hour


def observe(session: Session, product_ids: Iterable[int], cause: Cause) -> None:
    """Record the catalog's current price of these products and move their 价格力."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    now, day = clock.now(), today()
    facts = {x.product_id: x for x in catalog.search_facts(session, ids)}
    points: Table = PricePoint.__table__  # type: ignore[assignment]
    days: Table = PriceDay.__table__  # type: ignore[assignment]
    for pid in ids:
        x = facts.get(pid)
        if x is None:
            session.execute(update(PricePoint).where(PricePoint.product_id == pid).values(visible=False))
            continue
        row = {
            "product_id": pid,
            "shop_id": x.shop_id,
            "category_id": x.category_id,
            "price_fen": x.min_price_fen,
            "attributes": sorted(set(x.attribute_values))[:40],
            "visible": x.visible,
            "updated_at": now,
        }
        stmt = aggregates.dialect_insert(session, points)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["product_id"], set_={k: stmt.excluded[k] for k in row if k != "product_id"}
            ),
            [row],
        )
        stmt = aggregates.dialect_insert(session, days)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["product_id", "day"], set_={"price_fen": stmt.excluded.price_fen}
            ),
            [{"product_id": pid, "day": day, "price_fen": x.min_price_fen}],
        )
    session.flush()
    reprice(session, [pid for pid in ids if pid in facts], cause, day)


def own_reference(session: Session, product_id: int, day: date) -> int | None:
    """The median of the product's daily prices over the previous 30 days (today excluded)."""
    since = day - timedelta(days=f.PRICE_OWN_DAYS)
    prices = session.scalars(
        select(PriceDay.price_fen).where(
            PriceDay.product_id == product_id, PriceDay.day >= since, PriceDay.day < day
        )
    ).all()
    return round(statistics.median(prices)) if prices else None


def peers_of(session: Session, point: PricePoint) -> list[tuple[int, frozenset[str]]]:
    low, high = point.price_fen / f.PRICE_BAND, point.price_fen * f.PRICE_BAND
    rows = session.execute(
        select(PricePoint.price_fen, PricePoint.attributes)
        .where(
            PricePoint.category_id == point.category_id,
            PricePoint.visible.is_(True),
            PricePoint.product_id != point.product_id,
            PricePoint.price_fen >= int(low),
            PricePoint.price_fen <= int(high) + 1,
        )
        .limit(PEERS_READ)
    ).all()
    return [(p, frozenset(a or [])) for p, a in rows]


def reprice(session: Session, product_ids: list[int], cause: Cause, day: date | None = None) -> None:
    """Move the price figures of these products and recompute them (flags, consequences, events)."""
    day = day or today()
    points = {
        p.product_id: p
        for p in session.scalars(select(PricePoint).where(PricePoint.product_id.in_(product_ids)))
    }
    meta: dict[int, tuple[int | None, int | None]] = {}
    figures: dict[int, dict[str, object]] = {}
    for pid, point in points.items():
        peer_ref = f.peer_reference(
            point.price_fen, frozenset(point.attributes or []), peers_of(session, point)
        )
        own_ref = own_reference(session, pid, day)
        peer_bp = f.price_index_bp(point.price_fen, peer_ref) if point.visible else None
        own_bp = f.price_index_bp(point.price_fen, own_ref) if point.visible else None
        figures[pid] = {
            "price_fen": point.price_fen,
            "price_index_bp": peer_bp,
            "own_price_index_bp": own_bp,
            "overpriced": f.overpriced(peer_bp, own_bp),
        }
        meta[pid] = (point.shop_id, point.category_id)
    if meta:
        recompute_products(session, meta, cause, day, prices=figures)


def refresh_moved_categories(session: Session, limit: int = 2_000) -> int:
    """The other products of categories whose prices moved lately: their reference moved too."""
    since = clock.now() - REFRESH_WINDOW
    categories = session.scalars(
        select(PricePoint.category_id).where(PricePoint.updated_at >= since).distinct()
    ).all()
    moved = 0
    for category_id in sorted(categories):
        if moved >= limit:
            break
        ids = list(
            session.scalars(
                select(PricePoint.product_id)
                .where(PricePoint.category_id == category_id, PricePoint.visible.is_(True))
                .limit(limit)
            )
        )
        reprice(session, ids, Cause("price_peers", category_id))
        moved += len(ids)
    return moved
