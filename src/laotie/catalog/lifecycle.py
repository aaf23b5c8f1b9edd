"""A product's life: draft → in review → listed, and every other move, each explicit and recorded.

Each action names the states it may leave and the one it enters; any other move is refused with
``INVALID_PRODUCT_TRANSITION``. Every move writes the product's event trail and announces
``ProductStatusChanged`` in the same transaction.

Editing after review (see ``content_changed``): the title, description, category, size chart,
images, attribute list and the set of variants are what reviewers approve, so changing any of them
on a listed product sends it back to review (off the shelf until approved again), and on a delisted
product returns it to draft (it must be submitted again before it can sell). Prices, original
prices, stock, SKU codes and the purchase limit are trading data: they change at once, without
review, and each price change is kept in the price history.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.catalog import errors
from laotie.catalog.access import editable_product, load_product, owned_product
from laotie.catalog.models import Product, ProductEvent, ProductEventKind, ProductStatus
from laotie.catalog.schemas import ProductEventOut, ProductOut
from laotie.catalog.views import event_out, product_out
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.errors import FORBIDDEN
from laotie.core.events import emit
from laotie.core.transitions import Transitions, move
from laotie.events.catalog import ProductStatusChanged
from laotie.shops import errors as shop_errors
from laotie.shops import service as shops
from laotie.standing import service as standing
from laotie.standing.schemas import Effect, SubjectKind

S = ProductStatus
RESTRICTED = "restricted"  # the shops domain's status for a penalised shop
A = ProductEventKind
# Every allowed change of state; anything else is refused with INVALID_PRODUCT_TRANSITION.
TRANSITIONS: Transitions[ProductStatus] = Transitions(
    {
        S.DRAFT: {S.IN_REVIEW, S.BANNED},
        S.IN_REVIEW: {S.LISTED, S.REJECTED, S.BANNED},
        S.LISTED: {S.DELISTED, S.IN_REVIEW, S.BANNED},
        S.REJECTED: {S.IN_REVIEW, S.BANNED},
        S.DELISTED: {S.LISTED, S.DRAFT, S.BANNED},
        S.BANNED: set(),
    }
)
# action -> (states it may leave, state it enters): two actions may enter one state from different
# ones (approved and relisted both list), so an action narrows the table's moves to its own.
ACTIONS: dict[ProductEventKind, tuple[frozenset[ProductStatus], ProductStatus]] = {
    A.SUBMITTED: (frozenset({S.DRAFT, S.REJECTED}), S.IN_REVIEW),
    A.APPROVED: (frozenset({S.IN_REVIEW}), S.LISTED),
    A.REJECTED: (frozenset({S.IN_REVIEW}), S.REJECTED),
    A.DELISTED: (frozenset({S.LISTED}), S.DELISTED),
    A.RELISTED: (frozenset({S.DELISTED}), S.LISTED),
    A.RESUBMITTED: (frozenset({S.LISTED}), S.IN_REVIEW),  # content edited while listed
    A.REVERTED_TO_DRAFT: (frozenset({S.DELISTED}), S.DRAFT),  # content edited while delisted
    A.BANNED: (TRANSITIONS.entered_from(S.BANNED), S.BANNED),
}


def record_event(
    session: Session,
    product: Product,
    kind: ProductEventKind,
    actor_id: int | None,
    reason: str = "",
    from_status: ProductStatus | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        ProductEvent(
            product_id=product.id,
            actor_id=actor_id,
            kind=kind,
            from_status=from_status.value if from_status else None,
            to_status=product.status.value if from_status else None,
            reason=reason,
            data=data or {},
            at=clock.now(),
        )
    )


def transition(
    session: Session,
    product: Product,
    action: ProductEventKind,
    actor_id: int | None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """The one place a product's status changes."""
    sources, target = ACTIONS[action]

    def refuse(before: ProductStatus, to: ProductStatus) -> Exception:
        return errors.INVALID_PRODUCT_TRANSITION(
            product_id=product.id, from_status=before.value, to_status=to.value
        )

    def trail(before: ProductStatus, to: ProductStatus) -> None:
        now = clock.now()
        product.updated_at = now
        if to == S.IN_REVIEW:
            product.submitted_at = now
        if to == S.LISTED and product.listed_at is None:
            product.listed_at = now
        if action in (A.APPROVED, A.REJECTED, A.BANNED):
            product.review_reason = reason
        record_event(session, product, action, actor_id, reason, from_status=before, data=data)

    if product.status not in sources:
        raise refuse(product.status, target)
    before = move(product, target, TRANSITIONS, refuse=refuse, trail=trail)
    emit(
        session,
        ProductStatusChanged(
            product_id=product.id,
            shop_id=product.shop_id,
            from_=before.value,
            to=target.value,
            kind=action,
        ),
    )
    session.flush()


def content_changed(session: Session, product: Product, actor_id: int, fields: list[str]) -> None:
    """Reviewed content changed: a listed product goes back to review, a delisted one to draft."""
    if product.status == S.LISTED:
        transition(session, product, A.RESUBMITTED, actor_id, "商品信息修改，需重新审核", {"fields": fields})
    elif product.status == S.DELISTED:
        transition(
            session, product, A.REVERTED_TO_DRAFT, actor_id, "商品信息修改，需重新提交", {"fields": fields}
        )


def _require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise FORBIDDEN()


def _reason(reason: str) -> str:
    if not reason.strip():
        raise shop_errors.REASON_REQUIRED()
    return reason.strip()


def submit_for_review(
    session: Session, principal: Principal, product_id: int, *, shop_id: int | None = None
) -> ProductOut:
    product = owned_product(session, principal, product_id, shop_id=shop_id, selling=True, for_update=True)
    # A restricted shop keeps selling what it has, but lists nothing new (see shops.models).
    if shops.get_shop(session, product.shop_id).status == RESTRICTED:
        raise errors.SHOP_RESTRICTED(shop_id=product.shop_id)
    # A governance penalty (or 12 points this year) may forbid new listings for a while.
    if standing.restriction(session, SubjectKind.SHOP, product.shop_id, Effect.NO_NEW_LISTINGS) is not None:
        raise errors.SHOP_RESTRICTED(shop_id=product.shop_id)
    transition(session, product, A.SUBMITTED, principal.user_id)
    return product_out(product)


def approve(session: Session, reviewer: Principal, product_id: int, reason: str = "") -> ProductOut:
    _require_staff(reviewer)
    product = load_product(session, product_id, for_update=True)
    transition(session, product, A.APPROVED, reviewer.user_id, reason.strip())
    return product_out(product)


def reject(session: Session, reviewer: Principal, product_id: int, reason: str) -> ProductOut:
    _require_staff(reviewer)
    product = load_product(session, product_id, for_update=True)
    transition(session, product, A.REJECTED, reviewer.user_id, _reason(reason))
    return product_out(product)


def ban(session: Session, reviewer: Principal, product_id: int, reason: str) -> ProductOut:
    _require_staff(reviewer)
    product = load_product(session, product_id, for_update=True)
    transition(session, product, A.BANNED, reviewer.user_id, _reason(reason))
    return product_out(product)


def staff_delist(session: Session, reviewer: Principal, product_id: int, reason: str) -> ProductOut:
    """Governance takes a listed product off the shelf (the merchant may relist it later)."""
    _require_staff(reviewer)
    product = load_product(session, product_id, for_update=True)
    transition(session, product, A.DELISTED, reviewer.user_id, _reason(reason))
    return product_out(product)


def inspect_product(session: Session, reviewer: Principal, product_id: int) -> ProductOut:
    """Any product in any state, for governance staff."""
    _require_staff(reviewer)
    return product_out(load_product(session, product_id))


def delist(
    session: Session, principal: Principal, product_id: int, *, shop_id: int | None = None
) -> ProductOut:
    product = editable_product(session, principal, product_id, shop_id=shop_id)
    transition(session, product, A.DELISTED, principal.user_id)
    return product_out(product)


def relist(
    session: Session, principal: Principal, product_id: int, *, shop_id: int | None = None
) -> ProductOut:
    product = owned_product(session, principal, product_id, shop_id=shop_id, selling=True, for_update=True)
    if held_by_governance(session, product_id) is not None:
        raise errors.PRODUCT_HELD_BY_GOVERNANCE(product_id=product_id)
    transition(session, product, A.RELISTED, principal.user_id)
    return product_out(product)


def product_events(
    session: Session, principal: Principal, product_id: int, *, shop_id: int | None = None
) -> list[ProductEventOut]:
    """The trail, for the product's shop members and for governance staff."""
    if principal.is_staff and shop_id is None:
        load_product(session, product_id)
    else:
        owned_product(session, principal, product_id, shop_id=shop_id)
    rows = session.scalars(
        select(ProductEvent).where(ProductEvent.product_id == product_id).order_by(ProductEvent.id)
    ).all()
    return [event_out(r) for r in rows]


def governance_delist(session: Session, staff: Principal, product_id: int, reason: str, case_id: int) -> bool:
    """A penalty's 下架: a listed product leaves the shelf under a governance case. Returns whether it
    was listed (only what this case delisted is relisted if the case is reversed)."""
    _require_staff(staff)
    product = load_product(session, product_id, for_update=True)
    if product.status != S.LISTED:
        return False
    transition(session, product, A.DELISTED, staff.user_id, _reason(reason), {"governance_case": case_id})
    return True


def governance_relist(session: Session, staff: Principal, product_id: int, reason: str, case_id: int) -> bool:
    """A won appeal puts back what its case delisted, if the product is still off the shelf."""
    _require_staff(staff)
    product = load_product(session, product_id, for_update=True)
    if product.status != S.DELISTED or held_by_governance(session, product_id) != case_id:
        return False
    transition(session, product, A.RELISTED, staff.user_id, _reason(reason), {"governance_case": case_id})
    return True


def held_by_governance(session: Session, product_id: int) -> int | None:
    """The governance case whose 下架 is the product's latest delisting, if it was one."""
    last = session.scalar(
        select(ProductEvent)
        .where(ProductEvent.product_id == product_id, ProductEvent.kind.in_((A.DELISTED, A.RELISTED)))
        .order_by(ProductEvent.id.desc())
        .limit(1)
    )
    if last is None or last.kind != A.DELISTED:
        return None
    case_id = (last.data or {}).get("governance_case")
    return case_id if isinstance(case_id, int) else None
