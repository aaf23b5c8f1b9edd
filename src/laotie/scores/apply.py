"""Applying one input to every score it touches: keep the input row, bump the day counters of each
subject it concerns, recompute those subjects. Each function is idempotent on its input's id (a
redelivered event, a review published twice, changes nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.orders import service as orders
from laotie.scores import aggregates
from laotie.scores import formulas as f
from laotie.scores.aggregates import Kind
from laotie.scores.compute import Cause, recompute_products, recompute_shops, recompute_users
from laotie.scores.models import FactInput, LineInput, ReviewInput


@dataclass(frozen=True)
class Review:
    review_id: int
    order_line_id: int
    product_id: int
    shop_id: int
    category_id: int
    creator_id: int | None
    product_stars: int
    service_stars: int
    logistics_stars: int
    is_default: bool
    published_at: datetime


def _stars(r: ReviewInput | Review, sign: int) -> dict[str, int]:
    return {
        "reviews": sign,
        "description_sum": sign * r.product_stars,
        "service_sum": sign * r.service_stars,
        "logistics_sum": sign * r.logistics_stars,
        "bad_reviews": sign * (r.product_stars <= f.LOW_STARS),
    }


def _review_subjects(r: ReviewInput | Review) -> list[tuple[str, int]]:
    subjects = [(Kind.PRODUCT, r.product_id), (Kind.SHOP, r.shop_id), (Kind.CATEGORY, r.category_id)]
    if r.creator_id is not None:
        subjects.append((Kind.USER, r.creator_id))
    return subjects


def _recompute_review(session: Session, r: ReviewInput | Review, cause: Cause) -> None:
    recompute_products(session, {r.product_id: (r.shop_id, r.category_id)}, cause)
    recompute_shops(session, [r.shop_id], cause)
    if r.creator_id is not None:
        recompute_users(session, [r.creator_id], cause)


def _insert_review(session: Session) -> Any:
    table: Table = ReviewInput.__table__  # type: ignore[assignment]
    stmt = aggregates.dialect_insert(session, table).on_conflict_do_nothing(index_elements=["review_id"])
    return stmt.returning(table.c.review_id)


def review_published(session: Session, r: Review) -> bool:
    """A review counts (a 系统默认好评 too); False when it was already counted."""
    day = r.published_at.date()
    kept = session.execute(
        aggregates.cached(session, ("review_input",), _insert_review),
        {
            "review_id": r.review_id,
            "order_line_id": r.order_line_id,
            "product_id": r.product_id,
            "shop_id": r.shop_id,
            "category_id": r.category_id,
            "creator_id": r.creator_id,
            "product_stars": r.product_stars,
            "service_stars": r.service_stars,
            "logistics_stars": r.logistics_stars,
            "is_default": r.is_default,
            "day": day,
            "published_at": r.published_at,
        },
    ).first()
    if kept is None:  # already counted (a redelivered event, a review published twice)
        return False
    aggregates.bump(session, _review_subjects(r), day, _stars(r, 1))
    aggregates.count_shop_category(session, r.shop_id, r.category_id, 1)
    _recompute_review(session, r, Cause("review", r.review_id, r.product_id))
    return True


def review_removed(session: Session, review_id: int, at: datetime) -> bool:
    """A removed review stops counting: its stars come off the day it was published."""
    row = session.get(ReviewInput, review_id)
    if row is None or row.removed_at is not None:
        return False
    row.removed_at = at
    aggregates.bump(session, _review_subjects(row), row.day, _stars(row, -1))
    aggregates.count_shop_category(session, row.shop_id, row.category_id, -1)
    _recompute_review(session, row, Cause("review_removed", review_id, row.product_id))
    return True


def order_delivered(session: Session, order_id: int, creator_id: int | None) -> int:
    """The order's lines count as delivered (the 品退率's denominator) on the day they were."""
    order = orders.refundable_order(session, order_id)
    at = order.delivered_at or order.completed_at
    if at is None:
        return 0
    known = set(session.scalars(select(LineInput.line_id).where(LineInput.order_id == order_id)))
    fresh = [x for x in order.lines if x.line_id not in known]
    for x in fresh:
        session.add(
            LineInput(
                line_id=x.line_id,
                order_id=order_id,
                product_id=x.product_id,
                shop_id=order.shop_id,
                category_id=x.category_id,
                creator_id=creator_id,
                day=at.date(),
                delivered_at=at,
            )
        )
        subjects = [(Kind.PRODUCT, x.product_id), (Kind.SHOP, order.shop_id)]
        if creator_id is not None:
            subjects.append((Kind.USER, creator_id))
        aggregates.bump(session, subjects, at.date(), {"delivered": 1})
    if not fresh:
        return 0
    session.flush()
    cause = Cause("delivered", order_id)
    recompute_products(session, {x.product_id: (order.shop_id, x.category_id) for x in fresh}, cause)
    recompute_shops(session, [order.shop_id], cause)
    if creator_id is not None:
        recompute_users(session, [creator_id], cause)
    return len(fresh)


def _fact(
    session: Session,
    kind: str,
    ref: str,
    at: datetime,
    *,
    product_id: int | None = None,
    shop_id: int | None = None,
    user_id: int | None = None,
    value: int = 1,
    extra: int = 0,
) -> FactInput | None:
    """Keep an input once per (kind, ref); None when it was already kept."""
    if session.scalar(select(FactInput.id).where(FactInput.kind == kind, FactInput.ref == ref)):
        return None
    row = FactInput(
        kind=kind,
        ref=ref[:120],
        product_id=product_id,
        shop_id=shop_id,
        user_id=user_id,
        value=value,
        extra=extra,
        day=at.date(),
        at=at,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # the same input applied by another worker meanwhile
        return None
    return row


def _subjects(product_id: int | None, shop_id: int | None, user_id: int | None) -> list[tuple[str, int]]:
    out = []
    if product_id is not None:
        out.append((Kind.PRODUCT, product_id))
    if shop_id is not None:
        out.append((Kind.SHOP, shop_id))
    if user_id is not None:
        out.append((Kind.USER, user_id))
    return out


def _recompute(
    session: Session, subjects: Iterable[tuple[str, int]], cause: Cause, shop_id: int | None
) -> None:
    products = {sid: (shop_id, None) for kind, sid in subjects if kind == Kind.PRODUCT}
    shops = [sid for kind, sid in subjects if kind == Kind.SHOP]
    users = [sid for kind, sid in subjects if kind == Kind.USER]
    if products:
        recompute_products(session, products, cause)
    if shops:
        recompute_shops(session, shops, cause)
    if users:
        recompute_users(session, users, cause)


def fact(
    session: Session,
    kind: str,
    ref: str,
    at: datetime,
    counter: str,
    cause: Cause,
    *,
    product_id: int | None = None,
    shop_id: int | None = None,
    user_id: int | None = None,
    value: int = 1,
    extra: tuple[str, int] | None = None,
) -> bool:
    """Count one input (``counter`` += value, and ``extra``'s counter += its figure) for each
    subject it names."""
    figure = extra[1] if extra else 0
    row = _fact(
        session,
        kind,
        ref,
        at,
        product_id=product_id,
        shop_id=shop_id,
        user_id=user_id,
        value=value,
        extra=figure,
    )
    if row is None:
        return False
    subjects = _subjects(product_id, shop_id, user_id)
    aggregates.bump(session, subjects, row.day, {counter: value, **({extra[0]: figure} if extra else {})})
    _recompute(session, subjects, cause, shop_id)
    return True


def reverse_fact(
    session: Session, kind: str, ref: str, at: datetime, counter: str, cause: Cause, extra_counter: str = ""
) -> bool:
    """Take an input back (a violation reversed on appeal) from the day it was counted."""
    row = session.scalars(
        select(FactInput).where(FactInput.kind == kind, FactInput.ref == ref, FactInput.reversed_at.is_(None))
    ).one_or_none()
    if row is None:
        return False
    row.reversed_at = at
    subjects = _subjects(row.product_id, row.shop_id, row.user_id)
    deltas = {counter: -row.value}
    if extra_counter:
        deltas[extra_counter] = -row.extra
    aggregates.bump(session, subjects, row.day, deltas)
    _recompute(session, subjects, cause, row.shop_id)
    return True


def quality_return(session: Session, case_id: int, order_id: int, line_ids: list[int], at: datetime) -> int:
    """A case refunded for a quality fault: each delivered line it covers is a quality return of
    the product, the shop and whoever sold it."""
    lines = {r.line_id: r for r in session.scalars(select(LineInput).where(LineInput.order_id == order_id))}
    if not lines:  # delivered before scores listened: learn the lines now, if it was delivered
        order_view = orders.order_view(session, order_id)
        if order_delivered(session, order_id, order_view.creator_id):
            lines = {
                r.line_id: r for r in session.scalars(select(LineInput).where(LineInput.order_id == order_id))
            }
    counted = 0
    for line_id in sorted(set(line_ids) or lines):
        line = lines.get(line_id)
        if line is None:
            continue  # never delivered (refunded before shipping): not a quality return
        counted += fact(
            session,
            "quality_return",
            f"case:{case_id}:line:{line_id}",
            at,
            "quality_returns",
            Cause("quality_return", case_id, line.product_id),
            product_id=line.product_id,
            shop_id=line.shop_id,
            user_id=line.creator_id,
        )
    return counted
