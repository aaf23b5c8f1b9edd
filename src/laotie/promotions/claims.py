"""Claiming what a priced cart uses, atomically, and giving it back when an order is cancelled.

- budgets: ``UPDATE promotions_budget SET spent_fen = spent_fen + x WHERE id = :id AND spent_fen + x
  <= budget_fen``; no row means the budget is used up and the checkout is refused;
- wallet coupons: ``UPDATE ... SET status = 'used' WHERE id = :id AND status = 'available'``;
- the 一元购: an insert into ``promotions_new_buyer_claim`` whose unique keys (buyer, normalised
  address, phone) conflict with any earlier claim (``ON CONFLICT DO NOTHING``: no row, refused).

A refusal undoes what the same checkout had claimed so far, so the caller may carry on with the
rest of its batch in the same transaction. Budgets are touched in id order (no lock cycles).

A partial refund gives the platform-funded part it reversed back to the budgets (``release_share``),
pro rata over the order's budget uses, once per refund; a later full release gives back the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from laotie.core.errors import AppError
from laotie.ledger import service as ledger
from laotie.promotions import errors
from laotie.promotions.models import (
    Budget,
    BudgetRelease,
    BuyerCoupon,
    Coupon,
    CouponStatus,
    NewBuyerClaim,
    PromotionUse,
)
from laotie.promotions.offers import address_key, phone_key
from laotie.promotions.pricing import DEAL, Breakdown


@dataclass
class Reservation:
    """What one checkout claimed, per shop, so each order can record (and later release) its part."""

    budgets: dict[int, dict[int, int]] = field(default_factory=dict)  # shop -> budget id -> fen
    coupons: dict[int, set[int]] = field(default_factory=dict)  # shop -> buyer coupon ids
    deal_claim: tuple[int, int] | None = None  # (shop, claim id)

    def empty(self) -> bool:
        return not (self.budgets or self.coupons or self.deal_claim)


def _spend(session: Session, budget_id: int, amount: int) -> bool:
    done = session.execute(
        update(Budget)
        .where(Budget.id == budget_id, Budget.spent_fen + amount <= Budget.budget_fen)
        .values(spent_fen=Budget.spent_fen + amount)
    )
    return done.rowcount == 1  # type: ignore[attr-defined]


def _unspend(session: Session, budget_id: int, amount: int) -> None:
    session.execute(update(Budget).where(Budget.id == budget_id).values(spent_fen=Budget.spent_fen - amount))


def _use_coupon(session: Session, buyer_id: int, buyer_coupon_id: int, now: datetime) -> bool:
    done = session.execute(
        update(BuyerCoupon)
        .where(
            BuyerCoupon.id == buyer_coupon_id,
            BuyerCoupon.buyer_id == buyer_id,
            BuyerCoupon.status == CouponStatus.AVAILABLE,
        )
        .values(status=CouponStatus.USED, used_at=now)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return False
    coupon_id = session.scalar(select(BuyerCoupon.coupon_id).where(BuyerCoupon.id == buyer_coupon_id))
    session.execute(update(Coupon).where(Coupon.id == coupon_id).values(used_count=Coupon.used_count + 1))
    return True


def _unuse_coupon(session: Session, buyer_coupon_id: int) -> None:
    done = session.execute(
        update(BuyerCoupon)
        .where(BuyerCoupon.id == buyer_coupon_id, BuyerCoupon.status == CouponStatus.USED)
        .values(status=CouponStatus.AVAILABLE, used_at=None)
    )
    if done.rowcount == 1:  # type: ignore[attr-defined]
        coupon_id = session.scalar(select(BuyerCoupon.coupon_id).where(BuyerCoupon.id == buyer_coupon_id))
        session.execute(update(Coupon).where(Coupon.id == coupon_id).values(used_count=Coupon.used_count - 1))


def _claim_deal(
    session: Session, deal_id: int, buyer_id: int, address: Mapping[str, Any], now: datetime
) -> int | None:
    values = {
        "deal_id": deal_id,
        "buyer_id": buyer_id,
        "address_key": address_key(address),
        "phone_key": phone_key(str(address.get("phone") or "")),
        "claimed_at": now,
    }
    maker = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    row = session.execute(
        maker(NewBuyerClaim).values(**values).on_conflict_do_nothing().returning(NewBuyerClaim.id)
    ).first()
    return None if row is None else int(row[0])


def reserve(
    session: Session, buyer_id: int, address: Mapping[str, Any], priced: Breakdown, now: datetime
) -> Reservation:
    """Claim every budget fen, wallet coupon and deal ``priced`` relies on, or refuse and undo."""
    res = Reservation()
    per_budget: dict[int, int] = {}
    coupon_ids: set[int] = set()
    deal: tuple[int, int] | None = None  # (shop, deal id)
    for p in priced.lines:
        for d in p.discounts:
            if d.budget_id is not None:
                shop_budgets = res.budgets.setdefault(p.line.shop_id, {})
                shop_budgets[d.budget_id] = shop_budgets.get(d.budget_id, 0) + d.amount_fen
                per_budget[d.budget_id] = per_budget.get(d.budget_id, 0) + d.amount_fen
            if d.kind in ("shop_coupon", "platform_coupon") and d.ref_id is not None:
                res.coupons.setdefault(p.line.shop_id, set()).add(d.ref_id)
                coupon_ids.add(d.ref_id)
            if d.kind == DEAL:
                deal = (p.line.shop_id, d.promotion_id)
    spent: list[tuple[int, int]] = []
    used: list[int] = []
    try:
        for budget_id, amount in sorted(per_budget.items()):
            if not _spend(session, budget_id, amount):
                raise errors.SUBSIDY_BUDGET_EXHAUSTED(budget_id=budget_id)
            spent.append((budget_id, amount))
        for bc_id in sorted(coupon_ids):
            if not _use_coupon(session, buyer_id, bc_id, now):
                raise errors.COUPON_ALREADY_USED(coupon_id=bc_id)
            used.append(bc_id)
        if deal is not None:
            claim_id = _claim_deal(session, deal[1], buyer_id, address, now)
            if claim_id is None:
                raise errors.NEW_BUYER_DEAL_REFUSED(reason="每人（同一收货地址或手机号）限一次")
            res.deal_claim = (deal[0], claim_id)
    except AppError:
        for budget_id, amount in spent:
            _unspend(session, budget_id, amount)
        for bc_id in used:
            _unuse_coupon(session, bc_id)
        raise
    return res


def record_uses(session: Session, res: Reservation, order_of_shop: dict[int, int], now: datetime) -> None:
    """Write what each order holds, so cancelling it gives exactly that back."""
    rows: list[dict[str, Any]] = []
    for shop_id, budgets in res.budgets.items():
        for budget_id, amount in budgets.items():
            rows.append(_use(order_of_shop[shop_id], "budget", budget_id, amount, now))
    for shop_id, ids in res.coupons.items():
        for bc_id in sorted(ids):
            rows.append(_use(order_of_shop[shop_id], "buyer_coupon", bc_id, 0, now))
    if res.deal_claim is not None:
        rows.append(_use(order_of_shop[res.deal_claim[0]], "deal_claim", res.deal_claim[1], 0, now))
    if rows:
        session.execute(PromotionUse.__table__.insert(), rows)  # type: ignore[attr-defined]


def _use(order_id: int, kind: str, ref_id: int, amount: int, now: datetime) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "kind": kind,
        "ref_id": ref_id,
        "amount_fen": amount,
        "released_fen": 0,
        "detail": {},
        "created_at": now,
        "released_at": None,
    }


def release(session: Session, order_id: int, now: datetime) -> int:
    """Give back what ``order_id`` holds (once: each use is released by one conditional update).
    A coupon shared by several orders of a checkout comes back when the last of them lets go."""
    released = 0
    uses = session.execute(
        select(PromotionUse.id, PromotionUse.kind, PromotionUse.ref_id, PromotionUse.amount_fen)
        .where(PromotionUse.order_id == order_id, PromotionUse.released_at.is_(None))
        .order_by(PromotionUse.kind, PromotionUse.ref_id)
    ).all()
    for use_id, kind, ref_id, amount in uses:
        won = session.execute(
            update(PromotionUse)
            .where(PromotionUse.id == use_id, PromotionUse.released_at.is_(None))
            .values(released_at=now)
            .returning(PromotionUse.released_fen)
        ).first()
        if won is None:
            continue
        released += 1
        if kind == "budget":
            # Partial refunds may have given some back already: only the rest is still spent.
            _unspend(session, ref_id, amount - int(won.released_fen))
            continue
        still_held = session.scalar(
            select(PromotionUse.id)
            .where(
                PromotionUse.kind == kind, PromotionUse.ref_id == ref_id, PromotionUse.released_at.is_(None)
            )
            .limit(1)
        )
        if still_held is not None:
            continue
        if kind == "buyer_coupon":
            _unuse_coupon(session, ref_id)
        elif kind == "deal_claim":
            session.execute(delete(NewBuyerClaim).where(NewBuyerClaim.id == ref_id))
    return released


def budget_held(session: Session, order_id: int) -> int:
    """Budget fen ``order_id`` still holds: claimed at checkout, less what refunds gave back."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(PromotionUse.amount_fen - PromotionUse.released_fen), 0)).where(
                PromotionUse.order_id == order_id,
                PromotionUse.kind == "budget",
                PromotionUse.released_at.is_(None),
            )
        )
        or 0
    )


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def release_share(
    session: Session, order_id: int, amount_fen: int, idempotency_key: str, now: datetime
) -> int:
    """A partial refund reversed ``amount_fen`` of the order's platform-funded discounts: give that
    back to the budgets it came from, spread over the order's budget uses in proportion to what each
    still holds (largest remainder), never more than they hold. Once per ``idempotency_key`` (an
    insert that conflicts on a second try). Returns the fen given back."""
    if amount_fen <= 0:
        return 0
    first = session.execute(
        _insert(session)(BudgetRelease)
        .values(
            order_id=order_id,
            idempotency_key=idempotency_key,
            asked_fen=amount_fen,
            amount_fen=0,
            detail={},
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(BudgetRelease.id)
    ).first()
    if first is None:
        return 0  # this refund already gave its share back
    query = (
        select(PromotionUse.id, PromotionUse.ref_id, PromotionUse.amount_fen, PromotionUse.released_fen)
        .where(
            PromotionUse.order_id == order_id,
            PromotionUse.kind == "budget",
            PromotionUse.released_at.is_(None),
        )
        .order_by(PromotionUse.id)
    )
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()  # two refunds of one order share the uses in turn
    uses = session.execute(query).all()
    held = [int(u.amount_fen) - int(u.released_fen) for u in uses]
    total = min(amount_fen, sum(held))
    given = 0
    detail: dict[str, int] = {}
    for use, share in zip(uses, ledger.allocate(total, held, sum(held)), strict=True):
        if share <= 0:
            continue
        done = session.execute(
            update(PromotionUse)
            .where(
                PromotionUse.id == use.id,
                PromotionUse.released_at.is_(None),
                PromotionUse.released_fen + share <= PromotionUse.amount_fen,
            )
            .values(released_fen=PromotionUse.released_fen + share)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            continue
        _unspend(session, int(use.ref_id), share)
        given += share
        detail[str(use.ref_id)] = detail.get(str(use.ref_id), 0) + share
    session.execute(
        update(BudgetRelease).where(BudgetRelease.id == first.id).values(amount_fen=given, detail=detail)
    )
    return given
