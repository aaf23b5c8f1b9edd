"""Governance actions on a shop's standing, each one explicit transition with a reason in the trail.

    open --restrict--> restricted --lift--> open
    open | restricted --freeze--> frozen --unfreeze--> the status it was frozen from
    any but closed --close--> closed            (staff; the owner too, unless the shop is frozen)

Freezing withdrawals (冻结提现) is a separate, lighter penalty: the shop keeps selling but its money
stays on the platform until staff lift it. A frozen shop's withdrawals are held as well.

Staff must give a reason: penalties and disputes rest on the trail. The owner may close (or, while
applying, withdraw) their own shop, but not a frozen one: freezing holds the shop for governance.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.events import emit
from laotie.events.shops import ShopWithdrawalsFrozen, ShopWithdrawalsUnfrozen
from laotie.shops import errors
from laotie.shops.models import Shop, ShopEvent, ShopStatus
from laotie.shops.models import ShopEventKind as E
from laotie.shops.schemas import ShopOut, ShopPrivateOut
from laotie.shops.state import load_shop, record_event, require_owner, shop_private_out, transition

S = ShopStatus


def _reason(reason: str) -> str:
    if not reason.strip():
        raise errors.REASON_REQUIRED()
    return reason.strip()


def restrict(session: Session, shop_id: int, staff: Principal, reason: str) -> ShopOut:
    return transition(
        session, shop_id, S.RESTRICTED, staff.user_id, E.RESTRICTED, _reason(reason), allowed_from={S.OPEN}
    )


def lift_restriction(session: Session, shop_id: int, staff: Principal, reason: str) -> ShopOut:
    return transition(
        session,
        shop_id,
        S.OPEN,
        staff.user_id,
        E.RESTRICTION_LIFTED,
        _reason(reason),
        allowed_from={S.RESTRICTED},
    )


def freeze(session: Session, shop_id: int, staff: Principal, reason: str) -> ShopOut:
    return transition(
        session,
        shop_id,
        S.FROZEN,
        staff.user_id,
        E.FROZEN,
        _reason(reason),
        allowed_from={S.OPEN, S.RESTRICTED},
    )


def _status_before_freeze(session: Session, shop_id: int) -> ShopStatus:
    frozen_from = session.scalar(
        select(ShopEvent.from_status)
        .where(ShopEvent.shop_id == shop_id, ShopEvent.to_status == S.FROZEN.value)
        .order_by(ShopEvent.id.desc())
        .limit(1)
    )
    return S.RESTRICTED if frozen_from == S.RESTRICTED.value else S.OPEN


def unfreeze(session: Session, shop_id: int, staff: Principal, reason: str) -> ShopOut:
    """Back to where the freeze found it: a restricted shop stays restricted after unfreezing."""
    reason = _reason(reason)
    return transition(
        session,
        shop_id,
        _status_before_freeze(session, shop_id),
        staff.user_id,
        E.UNFROZEN,
        reason,
        allowed_from={S.FROZEN},
    )


def close(session: Session, shop_id: int, staff: Principal, reason: str) -> ShopOut:
    return transition(session, shop_id, S.CLOSED, staff.user_id, E.CLOSED, _reason(reason))


def close_own(session: Session, principal: Principal, shop_id: int, reason: str = "") -> ShopOut:
    """The owner closes the shop, or withdraws an application still under review."""
    shop = require_owner(session, shop_id, principal, for_update=True)
    if shop.status == S.FROZEN:
        raise errors.SHOP_FROZEN(shop_id=shop_id)
    kind = E.WITHDRAWN if shop.status == S.APPLYING else E.CLOSED_BY_OWNER
    return transition(session, shop_id, S.CLOSED, principal.user_id, kind, reason.strip())


def _set_withdrawal_freeze(
    session: Session, shop_id: int, staff: Principal, reason: str, frozen: bool
) -> Shop:
    reason = _reason(reason)
    shop = load_shop(session, shop_id, for_update=True)
    session.refresh(shop)  # the row lock is what counts: read what the last holder committed
    if (shop.withdrawals_frozen_at is not None) == frozen:
        raise (errors.WITHDRAWALS_ALREADY_FROZEN if frozen else errors.WITHDRAWALS_NOT_FROZEN)(
            shop_id=shop_id
        )
    shop.withdrawals_frozen_at = clock.now() if frozen else None
    shop.withdrawals_frozen_reason = reason if frozen else ""
    kind = E.WITHDRAWALS_FROZEN if frozen else E.WITHDRAWALS_UNFROZEN
    record_event(session, shop, kind, staff.user_id, reason)
    event = ShopWithdrawalsFrozen if frozen else ShopWithdrawalsUnfrozen
    emit(session, event(shop_id=shop.id, actor_id=staff.user_id, reason=reason))
    session.flush()
    return shop


def freeze_withdrawals(session: Session, shop_id: int, staff: Principal, reason: str) -> ShopPrivateOut:
    """冻结提现: hold the shop's money; it may still sell."""
    return shop_private_out(_set_withdrawal_freeze(session, shop_id, staff, reason, frozen=True))


def unfreeze_withdrawals(session: Session, shop_id: int, staff: Principal, reason: str) -> ShopPrivateOut:
    return shop_private_out(_set_withdrawal_freeze(session, shop_id, staff, reason, frozen=False))


def withdrawals_frozen(session: Session, shop_id: int, *, lock: bool = False) -> bool:
    """Whether the shop may not withdraw now: its withdrawals are frozen, or the whole shop is.
    ``lock`` holds the shop's row until commit, so that a withdrawal and a freeze of the same shop
    (or two withdrawals) take turns instead of deciding on what the other has not yet committed."""
    query = select(Shop.status, Shop.withdrawals_frozen_at).where(Shop.id == shop_id)
    row = session.execute(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise errors.SHOP_NOT_FOUND(shop_id=shop_id)
    return row.status == S.FROZEN or row.withdrawals_frozen_at is not None
