"""Recompute the subjects an input touched, from their window sums, and act on what changed.

For each subject: read its window (≤ 90 day rows), apply the formulas, and compare with the current
row. What changed is written (current row, today's history row, a movement naming the cause), the
lines crossed are announced (``ThresholdCrossed``) and turned into consequences (through
``standing``), and the move is announced (``ProductScoresChanged`` / ``ShopScoresChanged``).
Nothing is written for a subject whose figures did not move.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.events import emit_many
from laotie.events.scores import ProductScoresChanged, ShopScoresChanged
from laotie.scores import aggregates, consequences
from laotie.scores import formulas as f
from laotie.scores.aggregates import Kind, Window
from laotie.scores.models import Current, History, Movement

_MOVEMENT = insert(Movement)
_CURRENT = select(Current).where(
    Current.subject_kind == bindparam("kind"), Current.subject_id.in_(bindparam("ids", expanding=True))
)

PRODUCT_FIELDS = (
    "reviews",
    "rating_avg_x100",
    "quality_return_bp",
    "product_score",
    "price_fen",
    "price_index_bp",
    "own_price_index_bp",
    "overpriced",
)
SHOP_FIELDS = (
    "reviews",
    "dsr_description_x100",
    "dsr_service_x100",
    "dsr_logistics_x100",
    "prior_x100",
    "quality_return_bp",
    "experience",
    "band",
)
USER_FIELDS = ("reviews", "quality_return_bp", "integrity")
FIELDS = {Kind.PRODUCT: PRODUCT_FIELDS, Kind.SHOP: SHOP_FIELDS, Kind.USER: USER_FIELDS}
# What search and feed rank with: a change of these is announced.
_ANNOUNCED = {
    Kind.PRODUCT: ("rating_avg_x100", "product_score", "price_index_bp", "overpriced"),
    Kind.SHOP: ("dsr_description_x100", "dsr_service_x100", "dsr_logistics_x100", "experience", "band"),
}


@dataclass(frozen=True)
class Cause:
    """What moved the scores: ``review`` 812, ``quality_return`` (售后单) 31, ``window`` (days passed)."""

    kind: str
    id: int | None = None
    product_id: int | None = None


def today() -> date:
    return clock.now().date()


def _window(session: Session, kind: str, ids: Iterable[int], day: date) -> dict[int, Window]:
    return aggregates.windows(session, kind, ids, day, f.DSR_DAYS, f.RATE_DAYS)


def category_priors(session: Session, category_ids: Iterable[int | None], day: date) -> dict[int, float]:
    """Each category's average product rating over the DSR window (smoothed), the DSR prior."""
    ids = [c for c in set(category_ids) if c is not None]
    sums = _window(session, Kind.CATEGORY, ids, day)
    return {c: f.category_mean(w.long["description_sum"], w.long["reviews"]) for c, w in sums.items()}


def _current(
    session: Session, kind: str, ids: list[int], meta: Mapping[int, tuple[int | None, int | None]]
) -> dict[int, Current]:
    rows = {r.subject_id: r for r in session.scalars(_CURRENT, {"kind": kind, "ids": ids})}
    for sid in ids:
        shop_id, category_id = meta.get(sid, (None, None))
        row = rows.get(sid)
        if row is None:
            row = Current(
                subject_kind=kind,
                subject_id=sid,
                shop_id=shop_id,
                category_id=category_id,
                reviews=0,
                overpriced=False,
                below="",
                updated_at=clock.now(),
            )
            session.add(row)
            rows[sid] = row
        else:
            row.shop_id = shop_id if shop_id is not None else row.shop_id
            row.category_id = category_id if category_id is not None else row.category_id
    return rows


def product_values(
    w: Window, prior: float, row: Current, price: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    lg, st = w.long, w.short
    inputs = f.ProductInputs(
        reviews=lg["reviews"],
        product_star_sum=lg["description_sum"],
        delivered=st["delivered"],
        quality_returns=st["quality_returns"],
        complaints=st["complaints"],
        violation_points=lg["violation_points"],
        category_prior=prior,
    )
    return {
        "reviews": lg["reviews"],
        "rating_avg_x100": f.average_x100(lg["description_sum"], lg["reviews"]),
        "quality_return_bp": f.quality_return_bp(st["quality_returns"], st["delivered"]),
        "product_score": f.product_score(inputs),
        "price_fen": row.price_fen,
        "price_index_bp": row.price_index_bp,
        "own_price_index_bp": row.own_price_index_bp,
        "overpriced": row.overpriced,
        **(price or {}),
    }


def shop_inputs(w: Window, prior: float) -> f.ShopInputs:
    lg, st = w.long, w.short
    return f.ShopInputs(
        reviews=lg["reviews"],
        description_sum=lg["description_sum"],
        service_sum=lg["service_sum"],
        logistics_sum=lg["logistics_sum"],
        prior=prior,
        delivered=st["delivered"],
        quality_returns=st["quality_returns"],
        answered=st["answered"],
        answer_hours_sum=st["answer_minutes"] / 60,
        shipped=st["shipped"],
        shipped_late=st["shipped_late"],
        disputes_lost=st["disputes_lost"],
    )


def shop_values(w: Window, prior: float) -> dict[str, Any]:
    lg, st = w.long, w.short
    n = lg["reviews"]
    score = f.experience(shop_inputs(w, prior))
    return {
        "reviews": n,
        "dsr_description_x100": f.dsr_x100(lg["description_sum"], n, prior),
        "dsr_service_x100": f.dsr_x100(lg["service_sum"], n, prior),
        "dsr_logistics_x100": f.dsr_x100(lg["logistics_sum"], n, prior),
        "prior_x100": round(100 * prior),
        "quality_return_bp": f.quality_return_bp(st["quality_returns"], st["delivered"]),
        "experience": score,
        "band": f.band(score),
    }


def user_values(w: Window) -> dict[str, Any]:
    lg, st = w.long, w.short
    inputs = f.PromoterInputs(
        delivered=st["delivered"],
        quality_returns=st["quality_returns"],
        complaints=st["complaints"],
        reviews=lg["reviews"],
        bad_reviews=lg["bad_reviews"],
    )
    return {
        "reviews": lg["reviews"],
        "quality_return_bp": f.quality_return_bp(st["quality_returns"], st["delivered"]),
        "integrity": f.integrity(inputs),
    }


@dataclass
class Writes:
    """What a recompute writes besides the current rows, sent in one statement each at its end (or at
    the end of the caller's, when one input recomputes several kinds of subject: ``shared``)."""

    history: list[dict[str, Any]] = field(default_factory=list)
    movements: list[dict[str, Any]] = field(default_factory=list)
    events: list[ProductScoresChanged | ShopScoresChanged] = field(default_factory=list)

    def flush(self, session: Session) -> None:
        if self.history:
            session.execute(aggregates.cached(session, ("history",), _history_stmt), self.history)
        if self.movements:
            session.execute(_MOVEMENT, self.movements)
        emit_many(session, self.events)


def _history_stmt(session: Session) -> Any:
    table: Table = History.__table__  # type: ignore[assignment]
    stmt = aggregates.dialect_insert(session, table)
    return stmt.on_conflict_do_update(
        index_elements=["subject_kind", "subject_id", "day"], set_={"values": stmt.excluded["values"]}
    )


def _store(
    session: Session,
    row: Current,
    values: dict[str, Any],
    cause: Cause,
    day: date,
    now: datetime,
    out: Writes,
) -> dict[str, list[Any]]:
    """Apply what changed to the current row; the history row and the movement go to ``out``; then
    the consequences and the announcements of what changed."""
    kind = row.subject_kind
    changes = {k: [getattr(row, k), v] for k, v in values.items() if getattr(row, k) != v}
    if not changes:
        return {}
    for k, (_, v) in changes.items():
        setattr(row, k, v)
    row.updated_at = now
    values_now = {k: getattr(row, k) for k in FIELDS[kind]}
    out.history.append({"subject_kind": kind, "subject_id": row.subject_id, "day": day, "values": values_now})
    if cause.kind != "rebuild":  # a rebuild moves nothing a merchant should read about
        out.movements.append(
            {
                "subject_kind": kind,
                "subject_id": row.subject_id,
                "cause": cause.kind,
                "cause_id": cause.id,
                "product_id": cause.product_id,
                "changes": changes,
                "at": now,
            }
        )
    consequences.follow(session, row)
    if any(k in changes for k in _ANNOUNCED.get(kind, ())):
        if kind == Kind.PRODUCT:
            out.events.append(ProductScoresChanged(product_id=row.subject_id, shop_id=row.shop_id))
        elif kind == Kind.SHOP:
            out.events.append(ShopScoresChanged(shop_id=row.subject_id))
    return changes


def recompute_products(
    session: Session,
    meta: Mapping[int, tuple[int | None, int | None]],
    cause: Cause,
    day: date | None = None,
    prices: Mapping[int, Mapping[str, Any]] | None = None,
    shared: Writes | None = None,
) -> dict[int, dict[str, list[Any]]]:
    """``meta``: product id -> (shop id, leaf category id), None where unknown (kept from before);
    ``prices``: new price figures (价格力) of some of them."""
    day = day or today()
    ids = sorted(meta)
    rows = _current(session, Kind.PRODUCT, ids, meta)
    sums = _window(session, Kind.PRODUCT, ids, day)
    priors = category_priors(session, (r.category_id for r in rows.values()), day)
    now, writes = clock.now(), shared or Writes()
    out = {}
    for pid in ids:
        row = rows[pid]
        prior = priors.get(row.category_id or 0, f.DEFAULT_PRIOR)
        values = product_values(sums[pid], prior, row, (prices or {}).get(pid))
        out[pid] = _store(session, row, values, cause, day, now, writes)
    if shared is None:
        writes.flush(session)
    return out


def recompute_shops(
    session: Session,
    shop_ids: Iterable[int],
    cause: Cause,
    day: date | None = None,
    shared: Writes | None = None,
) -> dict[int, dict[str, list[Any]]]:
    day = day or today()
    ids = sorted(set(shop_ids))
    mains = {sid: aggregates.main_category(session, sid) for sid in ids}
    rows = _current(session, Kind.SHOP, ids, {sid: (sid, mains[sid]) for sid in ids})
    sums = _window(session, Kind.SHOP, ids, day)
    priors = category_priors(session, mains.values(), day)
    now, writes = clock.now(), shared or Writes()
    out = {}
    for sid in ids:
        prior = priors.get(mains[sid] or 0, f.DEFAULT_PRIOR)
        out[sid] = _store(session, rows[sid], shop_values(sums[sid], prior), cause, day, now, writes)
    if shared is None:
        writes.flush(session)
    return out


def recompute_users(
    session: Session,
    user_ids: Iterable[int],
    cause: Cause,
    day: date | None = None,
    shared: Writes | None = None,
) -> dict[int, dict[str, list[Any]]]:
    day = day or today()
    ids = sorted(set(user_ids))
    rows = _current(session, Kind.USER, ids, {})
    sums = _window(session, Kind.USER, ids, day)
    now, writes = clock.now(), shared or Writes()
    out = {}
    for uid in ids:
        out[uid] = _store(session, rows[uid], user_values(sums[uid]), cause, day, now, writes)
    if shared is None:
        writes.flush(session)
    return out
