"""Shops: zero-deposit opening (0元开店), review, documents, membership and explicit state transitions.

This module is the shops domain's public face: other domains and the router call these functions.
The work is done, by use case, in ``application``, ``review``, ``documents``, ``members`` and
``governance``, on top of ``state`` (loading, views, the event trail and ``transition``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core.auth import Principal
from laotie.shops import documents, errors
from laotie.shops.application import apply, resubmit
from laotie.shops.documents import DOCUMENT_KINDS, list_documents, read_document, upload
from laotie.shops.governance import (
    close,
    close_own,
    freeze,
    freeze_withdrawals,
    lift_restriction,
    restrict,
    unfreeze,
    unfreeze_withdrawals,
    withdrawals_frozen,
)
from laotie.shops.members import add_staff, list_members, remove_staff
from laotie.shops.models import MemberRole, Shop, ShopMember, ShopStatus
from laotie.shops.review import approve, list_shops, reject, review_detail, review_queue
from laotie.shops.schemas import ShopEventOut, ShopOut, ShopPrivateOut
from laotie.shops.state import (
    PUBLIC,
    SELLING,
    TRANSITIONS,
    events,
    load_private,
    load_shop,
    may_see_private,
    member_role,
    record_event,
    shop_out,
    shop_private_out,
    transition,
)

__all__ = [
    "DOCUMENT_KINDS",
    "PUBLIC",
    "SELLING",
    "TRANSITIONS",
    "add_staff",
    "apply",
    "approve",
    "close",
    "close_own",
    "events",
    "freeze",
    "freeze_withdrawals",
    "get_shop",
    "lift_restriction",
    "list_documents",
    "list_members",
    "list_shops",
    "member_role",
    "missing_documents",
    "read_document",
    "record_event",
    "reject",
    "remove_staff",
    "require_selling_shop",
    "require_shop_member",
    "require_shop_owner",
    "required_documents",
    "restrict",
    "resubmit",
    "review_detail",
    "review_queue",
    "shop_events",
    "shop_out",
    "shop_private_out",
    "shop_view",
    "shops_of",
    "transition",
    "unfreeze",
    "unfreeze_withdrawals",
    "upload",
    "withdrawals_frozen",
]

S = ShopStatus


def get_shop(session: Session, shop_id: int) -> ShopOut:
    return shop_out(load_shop(session, shop_id))


def require_shop_member(session: Session, shop_id: int, principal: Principal) -> ShopOut:
    """The shop, if ``principal`` is its owner or staff; 404 for unknown shops, 403 otherwise."""
    shop = load_shop(session, shop_id)
    if member_role(session, shop_id, principal.user_id) is None:
        raise errors.NOT_SHOP_MEMBER(shop_id=shop_id)
    return shop_out(shop)


def require_shop_owner(session: Session, shop_id: int, principal: Principal) -> ShopOut:
    """The shop, if ``principal`` owns it: NOT_SHOP_OWNER for its staff, NOT_SHOP_MEMBER for others."""
    shop = require_shop_member(session, shop_id, principal)
    if member_role(session, shop_id, principal.user_id) != MemberRole.OWNER:
        raise errors.NOT_SHOP_OWNER(shop_id=shop_id)
    return shop


def require_selling_shop(session: Session, shop_id: int, principal: Principal) -> ShopOut:
    """A member's shop that may list and sell (open or restricted)."""
    shop = require_shop_member(session, shop_id, principal)
    if shop.status == S.FROZEN:
        raise errors.SHOP_FROZEN(shop_id=shop_id)
    if shop.status not in SELLING:
        raise errors.SHOP_NOT_OPEN(status=shop.status.value)
    return shop


def shops_of(session: Session, user_id: int) -> list[ShopPrivateOut]:
    rows = session.scalars(
        select(Shop)
        .join(ShopMember, ShopMember.shop_id == Shop.id)
        .where(ShopMember.user_id == user_id)
        .order_by(Shop.id)
    ).all()
    return [shop_private_out(s) for s in rows]


def shop_view(session: Session, shop_id: int, principal: Principal | None) -> ShopOut | ShopPrivateOut:
    """Members and staff see the private view; anyone sees an open or restricted shop's public view;
    for everyone else the shop does not exist."""
    shop = load_shop(session, shop_id)
    if may_see_private(session, shop, principal):
        return shop_private_out(shop)
    if shop.status not in PUBLIC:
        raise errors.SHOP_NOT_FOUND(shop_id=shop_id)
    return shop_out(shop)


def shop_events(session: Session, principal: Principal, shop_id: int) -> list[ShopEventOut]:
    """The trail, for the shop's members and staff."""
    load_private(session, shop_id, principal)
    return events(session, shop_id)


def required_documents(session: Session, shop_id: int) -> list[str]:
    """Document kinds the shop's main category requires before the shop may open."""
    return documents.required_documents(session, load_shop(session, shop_id))


def missing_documents(session: Session, shop_id: int) -> list[str]:
    """Required kinds with no unexpired document on file; approval waits until this is empty."""
    return documents.missing_documents(session, load_shop(session, shop_id))
