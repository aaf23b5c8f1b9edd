"""A shop's people: the owner, and staff accounts (子账号) the owner adds by phone number.

Staff hold ``Role.MERCHANT_STAFF`` while they belong to at least one shop; they may work on the
shop (products, documents) but only the owner manages members or closes the shop.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.accounts import errors as account_errors
from laotie.accounts import service as accounts
from laotie.core import clock
from laotie.core.auth import Principal, Role
from laotie.shops import errors
from laotie.shops.models import MemberRole, ShopEventKind, ShopMember, ShopStatus
from laotie.shops.schemas import MemberOut
from laotie.shops.state import load_private, record_event, require_owner

MAX_STAFF = 20


def _member_out(session: Session, member: ShopMember) -> MemberOut:
    user = accounts.get_user_out(session, member.user_id)
    return MemberOut(
        user_id=member.user_id,
        role=member.role,
        added_at=member.added_at,
        nickname=user.nickname,
        phone=accounts.mask_phone(user.phone),
    )


def members_of(session: Session, shop_id: int) -> list[MemberOut]:
    """Without an access check: for callers that have made their own. The owner comes first."""
    rows = session.scalars(
        select(ShopMember)
        .where(ShopMember.shop_id == shop_id)
        .order_by(ShopMember.role != MemberRole.OWNER, ShopMember.added_at, ShopMember.user_id)
    ).all()
    return [_member_out(session, m) for m in rows]


def list_members(session: Session, principal: Principal, shop_id: int) -> list[MemberOut]:
    load_private(session, shop_id, principal)
    return members_of(session, shop_id)


def add_staff(session: Session, principal: Principal, shop_id: int, phone: str) -> MemberOut:
    shop = require_owner(session, shop_id, principal, for_update=True)
    if shop.status == ShopStatus.CLOSED:
        raise errors.SHOP_CLOSED(shop_id=shop_id)
    user_id = accounts.find_user_id_by_phone(session, phone)
    if user_id is None:
        raise account_errors.USER_NOT_FOUND()
    if session.get(ShopMember, (shop_id, user_id)) is not None:
        raise errors.ALREADY_MEMBER(user_id=user_id)
    staff_count = session.scalar(
        select(func.count())
        .select_from(ShopMember)
        .where(ShopMember.shop_id == shop_id, ShopMember.role == MemberRole.STAFF)
    )
    if (staff_count or 0) >= MAX_STAFF:
        raise errors.TOO_MANY_MEMBERS(limit=MAX_STAFF)
    member = ShopMember(shop_id=shop_id, user_id=user_id, role=MemberRole.STAFF, added_at=clock.now())
    session.add(member)
    accounts.grant_role(session, user_id, Role.MERCHANT_STAFF)
    record_event(
        session,
        shop,
        ShopEventKind.MEMBER_ADDED,
        principal.user_id,
        data={"user_id": user_id, "role": "staff"},
    )
    session.flush()
    return _member_out(session, member)


def remove_staff(session: Session, principal: Principal, shop_id: int, user_id: int) -> None:
    shop = require_owner(session, shop_id, principal, for_update=True)
    member = session.get(ShopMember, (shop_id, user_id))
    if member is None:
        raise errors.MEMBER_NOT_FOUND(user_id=user_id)
    if member.role == MemberRole.OWNER:
        raise errors.CANNOT_REMOVE_OWNER()
    session.delete(member)
    session.flush()
    still_staff = session.scalar(
        select(ShopMember.shop_id)
        .where(ShopMember.user_id == user_id, ShopMember.role == MemberRole.STAFF)
        .limit(1)
    )
    if still_staff is None:
        accounts.revoke_role(session, user_id, Role.MERCHANT_STAFF)
    record_event(session, shop, ShopEventKind.MEMBER_REMOVED, principal.user_id, data={"user_id": user_id})
    session.flush()
