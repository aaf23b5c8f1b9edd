"""Zero-deposit opening (0元开店): applying, the automated checks, and resubmitting after a rejection.

The automated checks run on every submission, before anything is written:

- the main category exists;
- the contact phone is a mainland China mobile number;
- a company or individual business gives the unified social credit code from its licence, with a
  correct check character and the prefix of its entity type (91 company, 92 individual business);
  a person gives none;
- no other shop has the same name (ignoring case and spacing) or the same licence number;
- a person holds at most one application in progress (applying, whether pending review or rejected
  and waiting to be corrected); withdrawing it (closing the shop) frees the way for a new one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.categories import service as categories
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.errors import VALIDATION_ERROR
from laotie.moderation import service as moderation
from laotie.shops import errors
from laotie.shops.licence import ENTITY_PREFIXES, validate_licence
from laotie.shops.models import MemberRole, ReviewState, Shop, ShopEventKind, ShopMember, ShopStatus
from laotie.shops.schemas import ShopApply, ShopPrivateOut
from laotie.shops.state import record_event, require_owner, shop_private_out


@dataclass(frozen=True)
class Details:
    """An application's business details after the checks that need no database."""

    name: str
    main_category_id: int
    entity_type: str
    legal_name: str
    licence_number: str | None
    contact_phone: str
    description: str


def _details(session: Session, body: ShopApply) -> Details:
    # Spacing inside a name is not a way to tell two shops apart.
    name = " ".join(body.name.split())
    if len(name) < 2:
        raise VALIDATION_ERROR(field="name")
    legal_name = " ".join(body.legal_name.split())
    if len(legal_name) < 2:
        raise VALIDATION_ERROR(field="legal_name")
    raw_licence = (body.licence_number or "").strip()
    licence: str | None = None
    if body.entity_type in ENTITY_PREFIXES:
        if not raw_licence:
            raise errors.LICENCE_REQUIRED(entity_type=body.entity_type)
        licence = validate_licence(raw_licence, body.entity_type)
    elif raw_licence:
        raise errors.LICENCE_NOT_ALLOWED(entity_type=body.entity_type)
    phone = accounts.normalize_phone(body.contact_phone)
    categories.get_category(session, body.main_category_id)
    return Details(
        name=name,
        main_category_id=body.main_category_id,
        entity_type=body.entity_type,
        legal_name=legal_name,
        licence_number=licence,
        contact_phone=phone,
        description=body.description.strip(),
    )


def _name_taken(session: Session, name: str, exclude_id: int | None) -> bool:
    query = select(Shop.id).where(func.lower(Shop.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Shop.id != exclude_id)
    return session.scalar(query.limit(1)) is not None


def _licence_taken(session: Session, licence: str | None, exclude_id: int | None) -> bool:
    if licence is None:
        return False
    query = select(Shop.id).where(Shop.licence_number == licence)
    if exclude_id is not None:
        query = query.where(Shop.id != exclude_id)
    return session.scalar(query.limit(1)) is not None


def _check_unique(session: Session, details: Details, exclude_id: int | None = None) -> None:
    if _name_taken(session, details.name, exclude_id):
        raise errors.SHOP_NAME_TAKEN(name=details.name)
    if _licence_taken(session, details.licence_number, exclude_id):
        raise errors.DUPLICATE_LICENCE()


def _write_unique(session: Session, shop: Shop, details: Details, exclude_id: int | None) -> None:
    """Flush in a savepoint: when a concurrent application took the name or licence between our check
    and our write, the database's unique constraint refuses it and the caller gets the same 409."""
    try:
        with session.begin_nested():
            session.add(shop)
            session.flush()
    except IntegrityError:
        with session.no_autoflush:
            _check_unique(session, details, exclude_id)
        raise errors.SHOP_NAME_TAKEN(name=details.name) from None


def apply(session: Session, principal: Principal, body: ShopApply) -> ShopPrivateOut:
    """Submit a zero-deposit shop application: automated checks first, then it waits for review."""
    details = _details(session, body)
    in_progress = select(Shop.id).where(
        Shop.owner_id == principal.user_id, Shop.status == ShopStatus.APPLYING
    )
    if session.scalar(in_progress.limit(1)) is not None:
        raise errors.ALREADY_APPLIED()
    _check_unique(session, details)
    now = clock.now()
    shop = Shop(
        **asdict(details),
        owner_id=principal.user_id,
        status=ShopStatus.APPLYING,
        review_state=ReviewState.PENDING,
        review_reason="",
        created_at=now,
        submitted_at=now,
    )
    _write_unique(session, shop, details, None)
    session.add(ShopMember(shop_id=shop.id, user_id=principal.user_id, role=MemberRole.OWNER, added_at=now))
    record_event(session, shop, ShopEventKind.APPLIED, principal.user_id)
    _screen(session, shop, principal.user_id)
    session.flush()
    return shop_private_out(shop)


def _screen(session: Session, shop: Shop, author_id: int) -> None:
    """Screen the shop's name and profile: a hit is stored with the text and shown on the review page
    (every application waits for a reviewer before the shop opens)."""
    for surface, text in (
        (moderation.Surface.SHOP_NAME, shop.name),
        (moderation.Surface.SHOP_PROFILE, shop.description),
    ):
        if text.strip():
            moderation.screen(
                session,
                text=text,
                surface=surface,
                subject_kind="shop",
                subject_id=shop.id,
                author_id=author_id,
            )


def resubmit(session: Session, principal: Principal, shop_id: int, body: ShopApply) -> ShopPrivateOut:
    """The owner corrects a rejected application; it goes back to the end of the review queue."""
    shop = require_owner(session, shop_id, principal, for_update=True)
    if shop.status != ShopStatus.APPLYING or shop.review_state != ReviewState.REJECTED:
        raise errors.APPLICATION_NOT_EDITABLE(status=shop.status.value, review_state=shop.review_state.value)
    details = _details(session, body)
    _check_unique(session, details, exclude_id=shop.id)
    changes = {
        field: [getattr(shop, field), value]
        for field, value in asdict(details).items()
        if getattr(shop, field) != value
    }
    rejected_for = shop.review_reason
    for field, value in asdict(details).items():
        setattr(shop, field, value)
    shop.review_state = ReviewState.PENDING
    shop.review_reason = ""
    shop.submitted_at = clock.now()
    _write_unique(session, shop, details, shop.id)
    record_event(
        session,
        shop,
        ShopEventKind.RESUBMITTED,
        principal.user_id,
        data={"changes": changes, "rejected_for": rejected_for},
    )
    if "name" in changes or "description" in changes:
        _screen(session, shop, principal.user_id)
    session.flush()
    return shop_private_out(shop)
