"""Loading shops, what callers see of them, who may see more, the event trail, and the one function
through which a shop's status changes. The use-case modules (application, documents, members,
governance) build on this; other domains use ``laotie.shops.service``."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.events import emit
from laotie.core.transitions import Transitions, move
from laotie.events.shops import ShopStatusChanged
from laotie.shops import errors
from laotie.shops.models import MemberRole, Shop, ShopEvent, ShopEventKind, ShopMember, ShopStatus
from laotie.shops.schemas import ShopEventOut, ShopOut, ShopPrivateOut

S = ShopStatus
# Every allowed change of state; anything else is refused with INVALID_TRANSITION.
TRANSITIONS: Transitions[ShopStatus] = Transitions(
    {
        S.APPLYING: {S.OPEN, S.CLOSED},
        S.OPEN: {S.RESTRICTED, S.FROZEN, S.CLOSED},
        S.RESTRICTED: {S.OPEN, S.FROZEN, S.CLOSED},
        S.FROZEN: {S.OPEN, S.RESTRICTED, S.CLOSED},
        S.CLOSED: set(),
    }
)
SELLING = {S.OPEN, S.RESTRICTED}
# Shops anyone may look at; the others exist, for outsiders, not at all.
PUBLIC = SELLING


def shop_out(shop: Shop) -> ShopOut:
    return ShopOut(
        id=shop.id,
        name=shop.name,
        status=shop.status,
        review_state=shop.review_state,
        review_reason=shop.review_reason,
        main_category_id=shop.main_category_id,
        description=shop.description,
        created_at=shop.created_at,
        opened_at=shop.opened_at,
    )


def shop_private_out(shop: Shop) -> ShopPrivateOut:
    return ShopPrivateOut(
        **shop_out(shop).model_dump(),
        owner_id=shop.owner_id,
        entity_type=shop.entity_type,
        legal_name=shop.legal_name,
        licence_number=shop.licence_number,
        contact_phone=shop.contact_phone,
        submitted_at=shop.submitted_at,
        withdrawals_frozen_at=shop.withdrawals_frozen_at,
        withdrawals_frozen_reason=shop.withdrawals_frozen_reason,
    )


def record_event(
    session: Session,
    shop: Shop,
    kind: ShopEventKind,
    actor_id: int | None,
    reason: str = "",
    from_status: ShopStatus | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        ShopEvent(
            shop_id=shop.id,
            actor_id=actor_id,
            kind=kind,
            from_status=from_status.value if from_status else None,
            to_status=shop.status.value if from_status else None,
            reason=reason,
            data=data or {},
            at=clock.now(),
        )
    )


def load_shop(session: Session, shop_id: int, for_update: bool = False) -> Shop:
    query = select(Shop).where(Shop.id == shop_id)
    if for_update:
        query = query.with_for_update()
    shop = session.scalar(query)
    if shop is None:
        raise errors.SHOP_NOT_FOUND(shop_id=shop_id)
    return shop


def member_role(session: Session, shop_id: int, user_id: int) -> MemberRole | None:
    member = session.get(ShopMember, (shop_id, user_id))
    return member.role if member else None


def may_see_private(session: Session, shop: Shop, principal: Principal | None) -> bool:
    """The shop's own members and governance or admin staff."""
    if principal is None:
        return False
    return principal.is_staff or member_role(session, shop.id, principal.user_id) is not None


def load_private(session: Session, shop_id: int, principal: Principal, for_update: bool = False) -> Shop:
    """A shop whose private side (documents, trail) ``principal`` may see. Outsiders learn no more than
    the public does: a shop that is not public is 404 for them, a public one is 403."""
    shop = load_shop(session, shop_id, for_update=for_update)
    if not may_see_private(session, shop, principal):
        if shop.status not in PUBLIC:
            raise errors.SHOP_NOT_FOUND(shop_id=shop_id)
        raise errors.NOT_SHOP_MEMBER(shop_id=shop_id)
    return shop


def require_owner(session: Session, shop_id: int, principal: Principal, for_update: bool = False) -> Shop:
    shop = load_private(session, shop_id, principal, for_update=for_update)
    if shop.owner_id != principal.user_id:
        raise errors.NOT_SHOP_OWNER(shop_id=shop_id)
    return shop


def transition(
    session: Session,
    shop_id: int,
    to: ShopStatus,
    actor_id: int | None,
    kind: ShopEventKind,
    reason: str = "",
    *,
    allowed_from: Collection[ShopStatus] | None = None,
) -> ShopOut:
    """The one place a shop's status changes: checks the move, records it, and announces it.

    ``allowed_from`` narrows the moves an action may make (lifting a restriction must start from
    restricted even though frozen -> open is also a legal move)."""
    shop = load_shop(session, shop_id, for_update=True)

    def refuse(before: ShopStatus, to: ShopStatus) -> Exception:
        return errors.INVALID_TRANSITION(from_status=before.value, to_status=to.value)

    if allowed_from is not None and shop.status not in allowed_from:
        raise refuse(shop.status, to)
    before = move(
        shop,
        to,
        TRANSITIONS,
        refuse=refuse,
        trail=lambda before, _: record_event(session, shop, kind, actor_id, reason, from_status=before),
    )
    emit(
        session,
        ShopStatusChanged(
            shop_id=shop.id,
            from_=before.value,
            to=to.value,
            kind=kind,
            actor_id=actor_id,
            reason=reason,
        ),
    )
    session.flush()
    return shop_out(shop)


def events(session: Session, shop_id: int) -> list[ShopEventOut]:
    rows = session.scalars(select(ShopEvent).where(ShopEvent.shop_id == shop_id).order_by(ShopEvent.id)).all()
    return [
        ShopEventOut(
            id=r.id,
            actor_id=r.actor_id,
            kind=r.kind,
            from_status=r.from_status,
            to_status=r.to_status,
            reason=r.reason,
            data=dict(r.data),
            at=r.at,
        )
        for r in rows
    ]
