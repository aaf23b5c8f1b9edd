"""Review of shop applications by governance staff: the queue, the detail page, approve and reject.

An application can be approved only when every document its main category requires is on file and
unexpired (``documents.missing_documents``); otherwise the reviewer gets MISSING_QUALIFICATIONS with
the missing kinds and can reject with a reason instead. Approving opens the shop through
``transition`` and makes the applicant a merchant owner.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.categories import service as categories
from laotie.core import clock
from laotie.core.auth import Principal, Role
from laotie.core.pagination import Page, PageParams
from laotie.shops import errors
from laotie.shops.documents import documents_of, kind_label, missing_documents, required_documents
from laotie.shops.members import members_of
from laotie.shops.models import ReviewState, Shop, ShopEventKind, ShopStatus
from laotie.shops.schemas import ReviewQueueItem, ShopOut, ShopPrivateOut, ShopReviewDetail
from laotie.shops.state import events, load_shop, record_event, shop_out, shop_private_out, transition


def _require_pending(shop: Shop, to: str) -> None:
    if shop.status != ShopStatus.APPLYING or shop.review_state != ReviewState.PENDING:
        raise errors.INVALID_TRANSITION(
            from_status=f"{shop.status.value}/{shop.review_state.value}", to_status=to
        )


def approve(session: Session, shop_id: int, reviewer: Principal, reason: str = "") -> ShopOut:
    shop = load_shop(session, shop_id, for_update=True)
    _require_pending(shop, ShopStatus.OPEN.value)
    missing = missing_documents(session, shop)
    if missing:
        raise errors.MISSING_QUALIFICATIONS(
            missing=missing, missing_text="、".join(f"{kind_label(k)}（{k}）" for k in missing)
        )
    shop.review_state = ReviewState.APPROVED
    shop.review_reason = reason.strip()
    shop.opened_at = clock.now()
    out = transition(
        session, shop_id, ShopStatus.OPEN, reviewer.user_id, ShopEventKind.APPROVED, reason.strip()
    )
    accounts.grant_role(session, shop.owner_id, Role.MERCHANT_OWNER)
    return out


def reject(session: Session, shop_id: int, reviewer: Principal, reason: str) -> ShopOut:
    """Send the application back with a reason; the shop stays applying so the owner can correct it."""
    if not reason.strip():
        raise errors.REASON_REQUIRED()
    shop = load_shop(session, shop_id, for_update=True)
    _require_pending(shop, "rejected")
    shop.review_state = ReviewState.REJECTED
    shop.review_reason = reason.strip()
    record_event(session, shop, ShopEventKind.REJECTED, reviewer.user_id, reason.strip())
    session.flush()
    return shop_out(shop)


def review_queue(session: Session, params: PageParams) -> Page[ReviewQueueItem]:
    """Applications waiting for a decision, the longest-waiting first."""
    pending = (Shop.status == ShopStatus.APPLYING, Shop.review_state == ReviewState.PENDING)
    total = session.scalar(select(func.count()).select_from(Shop).where(*pending)) or 0
    rows = session.scalars(
        select(Shop)
        .where(*pending)
        .order_by(Shop.submitted_at, Shop.id)
        .limit(params.limit)
        .offset(params.offset)
    ).all()
    items = [
        ReviewQueueItem(
            **shop_private_out(s).model_dump(),
            required_documents=required_documents(session, s),
            missing_documents=missing_documents(session, s),
        )
        for s in rows
    ]
    return Page(items=items, total=total, limit=params.limit, offset=params.offset)


def review_detail(session: Session, shop_id: int) -> ShopReviewDetail:
    """For staff: the application, its category, documents, members and the whole event trail."""
    shop = load_shop(session, shop_id)
    return ShopReviewDetail(
        shop=shop_private_out(shop),
        category_path=categories.get_category(session, shop.main_category_id).path,
        required_documents=required_documents(session, shop),
        missing_documents=missing_documents(session, shop),
        documents=documents_of(session, shop.id),
        members=members_of(session, shop.id),
        events=events(session, shop.id),
    )


def list_shops(
    session: Session, params: PageParams, status: ShopStatus | None = None
) -> Page[ShopPrivateOut]:
    """For staff: every shop, or those in one status, newest first."""
    where = [Shop.status == status] if status is not None else []
    total = session.scalar(select(func.count()).select_from(Shop).where(*where)) or 0
    rows = session.scalars(
        select(Shop).where(*where).order_by(Shop.id.desc()).limit(params.limit).offset(params.offset)
    ).all()
    return Page(
        items=[shop_private_out(s) for s in rows], total=total, limit=params.limit, offset=params.offset
    )
