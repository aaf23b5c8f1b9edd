"""A buyer's coupons (我的优惠券): claiming, being issued one by a shop, listing.

The total quantity holds by one conditional update (``issued_count < total_quantity``); the
per-buyer limit by a unique key (coupon, buyer, seq) where seq counts the buyer's copies: two
concurrent claims by one buyer compute the same seq and one insert conflicts.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.promotions import errors
from laotie.promotions.models import BuyerCoupon, Coupon, CouponStatus
from laotie.promotions.schemas import BuyerCouponOut, CouponOut, IssueIn
from laotie.promotions.views import coupon_out
from laotie.shops import service as shops


def _grant(session: Session, coupon: Coupon, buyer_id: int, source: str) -> BuyerCouponOut:
    now = clock.now()
    valid_until = (
        coupon.valid_until if coupon.valid_until.tzinfo else coupon.valid_until.replace(tzinfo=now.tzinfo)
    )
    if not coupon.active or now >= valid_until:
        raise errors.COUPON_EXPIRED(
            coupon_id=coupon.id,
            valid_from=coupon.valid_from.isoformat(),
            valid_until=coupon.valid_until.isoformat(),
        )
    held = (
        session.scalar(
            select(func.count())
            .select_from(BuyerCoupon)
            .where(BuyerCoupon.coupon_id == coupon.id, BuyerCoupon.buyer_id == buyer_id)
        )
        or 0
    )
    if held >= coupon.per_buyer_limit:
        raise errors.COUPON_LIMIT_REACHED(limit=coupon.per_buyer_limit)
    maker = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    row = session.execute(
        maker(BuyerCoupon)
        .values(
            coupon_id=coupon.id,
            buyer_id=buyer_id,
            seq=held + 1,
            status=CouponStatus.AVAILABLE,
            source=source,
            claimed_at=now,
            used_at=None,
        )
        .on_conflict_do_nothing()
        .returning(BuyerCoupon.id)
    ).first()
    if row is None:  # a concurrent claim by the same buyer took this seq
        raise errors.COUPON_LIMIT_REACHED(limit=coupon.per_buyer_limit)
    taken = session.execute(
        update(Coupon)
        .where(Coupon.id == coupon.id, Coupon.issued_count < Coupon.total_quantity)
        .values(issued_count=Coupon.issued_count + 1)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.execute(BuyerCoupon.__table__.delete().where(BuyerCoupon.id == row[0]))  # type: ignore[attr-defined]
        raise errors.COUPON_SOLD_OUT(coupon_id=coupon.id)
    bc = session.get(BuyerCoupon, int(row[0]))
    assert bc is not None
    return buyer_coupon_out(bc, coupon)


def claim(session: Session, buyer: Principal, coupon_id: int) -> BuyerCouponOut:
    coupon = session.get(Coupon, coupon_id)
    if coupon is None:
        raise errors.COUPON_NOT_FOUND(coupon_id=coupon_id)
    if not coupon.claimable:
        raise errors.COUPON_NOT_CLAIMABLE(coupon_id=coupon_id)
    return _grant(session, coupon, buyer.user_id, "claimed")


def issue(session: Session, principal: Principal, shop_id: int, body: IssueIn) -> list[BuyerCouponOut]:
    """A shop sends its coupon to chosen buyers (e.g. its fans); each buyer's limit still holds."""
    shops.require_shop_member(session, shop_id, principal)
    coupon = session.get(Coupon, body.coupon_id)
    if coupon is None or coupon.shop_id != shop_id:
        raise errors.COUPON_NOT_FOUND(coupon_id=body.coupon_id)
    buyer_ids = sorted(set(body.buyer_ids))
    # All or nothing: an unknown buyer refuses the whole batch before any coupon (or quantity) is used.
    unknown = sorted(set(buyer_ids) - accounts.active_user_ids(session, buyer_ids))
    if unknown:
        raise errors.BUYERS_NOT_FOUND(buyer_ids=unknown[:20])
    return [_grant(session, coupon, buyer_id, "issued") for buyer_id in buyer_ids]


def buyer_coupon_out(bc: BuyerCoupon, c: Coupon) -> BuyerCouponOut:
    return BuyerCouponOut(
        id=bc.id,
        coupon=coupon_out(c),
        status=bc.status,
        source=bc.source,
        claimed_at=bc.claimed_at,
        used_at=bc.used_at,
    )


def my_coupons(session: Session, buyer_id: int, status: str | None = None) -> list[BuyerCouponOut]:
    query = (
        select(BuyerCoupon, Coupon)
        .join(Coupon, Coupon.id == BuyerCoupon.coupon_id)
        .where(BuyerCoupon.buyer_id == buyer_id)
        .order_by(BuyerCoupon.id.desc())
        .limit(200)
    )
    if status:
        query = query.where(BuyerCoupon.status == status)
    return [buyer_coupon_out(bc, c) for bc, c in session.execute(query).all()]


def claimable(session: Session, shop_id: int | None = None) -> list[CouponOut]:
    now = clock.now()
    query = select(Coupon).where(
        Coupon.claimable, Coupon.active, Coupon.valid_until > now, Coupon.issued_count < Coupon.total_quantity
    )
    query = (
        query.where(Coupon.shop_id == shop_id)
        if shop_id is not None
        else query.where(Coupon.shop_id.is_(None))
    )
    return [coupon_out(c) for c in session.scalars(query.order_by(Coupon.id.desc()).limit(100))]
