"""Addresses: the buyer's address book, region data, and guarded access to addresses on orders.

What other domains call (orders copies an address at checkout and keeps it as JSON):

- ``snapshot(session, user_id, address_id)`` -> ``AddressSnapshot``: the full copy to store on an order;
- ``masked(snapshot)`` -> ``MaskedAddress``: what a merchant sees (``138****8000``, ``张*``);
- ``reveal_for_shipping(session, snapshot, actor_user_id=, shop_id=, order_ref=, purpose=)``: the full
  address for a shipping label, with an audit row written every time. The caller checks that the
  actor may see this order's address (addresses sits below shops and orders and cannot);
- region look-ups (``validate_region``, ``path_of``, ``province_of``, ``is_remote`` …) for shipping
  templates and remote-region consolidation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.addresses import errors
from laotie.addresses.masking import mask_detail, mask_name
from laotie.addresses.models import Address, RevealLog
from laotie.addresses.regions import (
    REMOTE_PROVINCES,
    children,
    cities,
    data_version,
    districts,
    get_region,
    is_remote,
    path_of,
    province_of,
    provinces,
)
from laotie.addresses.regions import validate as validate_region
from laotie.addresses.schemas import (
    AddressCreate,
    AddressIn,
    AddressOut,
    AddressSnapshot,
    MaskedAddress,
    RegionPath,
    RevealLogEntry,
    RevealPurpose,
)
from laotie.core import clock
from laotie.core.errors import CONFLICT

__all__ = [
    "MAX_ADDRESSES",
    "REMOTE_PROVINCES",
    "children",
    "cities",
    "create_address",
    "data_version",
    "default_address",
    "delete_address",
    "districts",
    "get_address",
    "get_region",
    "is_remote",
    "list_addresses",
    "masked",
    "path_of",
    "province_of",
    "provinces",
    "reveal_for_shipping",
    "reveal_log",
    "set_default",
    "snapshot",
    "snapshots",
    "update_address",
    "validate_region",
]

MAX_ADDRESSES = 20


def address_out(row: Address) -> AddressOut:
    return AddressOut(
        id=row.id,
        recipient=row.recipient,
        phone=row.phone,
        province_code=row.province_code,
        province_name=row.province_name,
        city_code=row.city_code,
        city_name=row.city_name,
        district_code=row.district_code,
        district_name=row.district_name,
        detail=row.detail,
        postal_code=row.postal_code,
        is_default=row.is_default,
        remote=is_remote(row.province_code),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _live(user_id: int) -> ColumnElement[bool]:
    return (Address.user_id == user_id) & Address.deleted_at.is_(None)


def _load(session: Session, user_id: int, address_id: int) -> Address:
    """The user's own live address; another user's looks exactly like a missing one."""
    row = session.scalar(select(Address).where(Address.id == address_id, _live(user_id)))
    if row is None:
        raise errors.ADDRESS_NOT_FOUND(address_id=address_id)
    return row


def _lock_book(session: Session, user_id: int) -> int:
    """Lock the user's live addresses, then count them in a fresh statement, so that concurrent
    writers to one address book queue here and each sees the others' new rows."""
    session.execute(select(Address.id).where(_live(user_id)).with_for_update())
    return session.scalar(select(func.count()).select_from(Address).where(_live(user_id))) or 0


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError:
        # Only a concurrent write to the same address book gets here (a second default).
        raise CONFLICT() from None


def _clear_default(session: Session, user_id: int) -> None:
    session.execute(
        update(Address).where(_live(user_id), Address.is_default.is_(True)).values(is_default=False),
        execution_options={"synchronize_session": "fetch"},
    )


def _checked(body: AddressIn) -> tuple[str, RegionPath]:
    """Everything about the input that can be wrong, checked before anything is written."""
    phone = accounts.normalize_phone(body.phone)
    region = validate_region(body.province_code, body.city_code or None, body.district_code or None)
    return phone, region


def _fill(row: Address, body: AddressIn, phone: str, region: RegionPath) -> None:
    row.recipient = body.recipient
    row.phone = phone
    row.province_code = region.province_code
    row.province_name = region.province_name
    row.city_code = region.city_code
    row.city_name = region.city_name
    row.district_code = region.district_code
    row.district_name = region.district_name
    row.detail = body.detail
    row.postal_code = body.postal_code or None


def list_addresses(session: Session, user_id: int) -> list[AddressOut]:
    rows = session.scalars(
        select(Address)
        .where(_live(user_id))
        .order_by(Address.is_default.desc(), Address.updated_at.desc(), Address.id.desc())
    ).all()
    return [address_out(r) for r in rows]


def get_address(session: Session, user_id: int, address_id: int) -> AddressOut:
    return address_out(_load(session, user_id, address_id))


def default_address(session: Session, user_id: int) -> AddressOut | None:
    row = session.scalar(select(Address).where(_live(user_id), Address.is_default.is_(True)))
    return address_out(row) if row else None


def create_address(session: Session, user_id: int, body: AddressCreate) -> AddressOut:
    """Add an address; the first one, or one asked to be, becomes the default."""
    phone, region = _checked(body)
    count = _lock_book(session, user_id)
    if count >= MAX_ADDRESSES:
        raise errors.ADDRESS_LIMIT(limit=MAX_ADDRESSES)
    make_default = body.is_default or count == 0
    if make_default:
        _clear_default(session, user_id)
    now = clock.now()
    row = Address(user_id=user_id, is_default=make_default, created_at=now, updated_at=now)
    _fill(row, body, phone, region)
    session.add(row)
    _flush(session)
    return address_out(row)


def update_address(session: Session, user_id: int, address_id: int, body: AddressIn) -> AddressOut:
    """Replace an address's contents; whether it is the default does not change here."""
    phone, region = _checked(body)
    row = _load(session, user_id, address_id)
    _fill(row, body, phone, region)
    row.updated_at = clock.now()
    _flush(session)
    return address_out(row)


def set_default(session: Session, user_id: int, address_id: int) -> AddressOut:
    _lock_book(session, user_id)
    row = _load(session, user_id, address_id)
    if not row.is_default:
        _clear_default(session, user_id)
        row.is_default = True
        row.updated_at = clock.now()
        _flush(session)
    return address_out(row)


def delete_address(session: Session, user_id: int, address_id: int) -> None:
    """Soft-delete; orders keep their own snapshot. If the default goes, the most recently
    changed remaining address becomes the default, so a non-empty book always has one."""
    _lock_book(session, user_id)
    row = _load(session, user_id, address_id)
    was_default = row.is_default
    row.is_default = False
    row.deleted_at = clock.now()
    _flush(session)
    if was_default:
        heir = session.scalar(
            select(Address)
            .where(_live(user_id))
            .order_by(Address.updated_at.desc(), Address.id.desc())
            .limit(1)
        )
        if heir is not None:
            heir.is_default = True
            _flush(session)


def snapshot(session: Session, user_id: int, address_id: int) -> AddressSnapshot:
    """The full copy of a buyer's own address for an order to keep (orders copy it at checkout)."""
    row = _load(session, user_id, address_id)
    return AddressSnapshot(
        address_id=row.id,
        recipient=row.recipient,
        phone=row.phone,
        province_code=row.province_code,
        province_name=row.province_name,
        city_code=row.city_code,
        city_name=row.city_name,
        district_code=row.district_code,
        district_name=row.district_name,
        detail=row.detail,
        postal_code=row.postal_code,
    )


def snapshots(session: Session, wanted: list[tuple[int, int]]) -> dict[tuple[int, int], AddressSnapshot]:
    """``snapshot`` for many ``(user_id, address_id)`` pairs in one query (a batch of orders). A pair
    that is not the user's own live address is left out of the answer; the caller decides what then."""
    ids = {address_id for _, address_id in wanted}
    if not ids:
        return {}
    rows = session.execute(
        select(
            Address.id,
            Address.user_id,
            Address.recipient,
            Address.phone,
            Address.province_code,
            Address.province_name,
            Address.city_code,
            Address.city_name,
            Address.district_code,
            Address.district_name,
            Address.detail,
            Address.postal_code,
        ).where(Address.id.in_(sorted(ids)), Address.deleted_at.is_(None))
    ).all()
    found: dict[tuple[int, int], AddressSnapshot] = {}
    for row in rows:
        found[(row.user_id, row.id)] = AddressSnapshot(
            address_id=row.id,
            recipient=row.recipient,
            phone=row.phone,
            province_code=row.province_code,
            province_name=row.province_name,
            city_code=row.city_code,
            city_name=row.city_name,
            district_code=row.district_code,
            district_name=row.district_name,
            detail=row.detail,
            postal_code=row.postal_code,
        )
    return {pair: found[pair] for pair in wanted if pair in found}


def _as_snapshot(address: AddressSnapshot | Mapping[str, Any]) -> AddressSnapshot:
    if isinstance(address, AddressSnapshot):
        return address
    return AddressSnapshot.model_validate(dict(address))


def masked(address: AddressSnapshot | Mapping[str, Any]) -> MaskedAddress:
    """The address as a merchant sees it before shipping: regions in full, person and street masked."""
    snap = _as_snapshot(address)
    return MaskedAddress(
        recipient=mask_name(snap.recipient),
        phone=accounts.mask_phone(snap.phone) or "",
        province_code=snap.province_code,
        province_name=snap.province_name,
        city_code=snap.city_code,
        city_name=snap.city_name,
        district_code=snap.district_code,
        district_name=snap.district_name,
        detail=mask_detail(snap.detail),
    )


def reveal_for_shipping(
    session: Session,
    address: AddressSnapshot | Mapping[str, Any],
    *,
    actor_user_id: int,
    shop_id: int | None,
    order_ref: str,
    purpose: RevealPurpose | str = RevealPurpose.SHIPPING_LABEL,
) -> AddressSnapshot:
    """The full address, for printing a label (or another listed purpose), and an audit row saying
    who saw it, for which shop and order, why and when. The caller's transaction must commit for the
    row to stay: reveal inside the request that returns the address, and commit it."""
    snap = _as_snapshot(address)
    ref = order_ref.strip()
    if not ref or len(ref) > 64:
        raise errors.RevealRequestInvalid("order_ref must be 1-64 characters")
    try:
        reason = RevealPurpose(purpose)
    except ValueError:
        raise errors.RevealRequestInvalid(f"unknown purpose {purpose!r}") from None
    session.add(
        RevealLog(
            actor_user_id=actor_user_id,
            shop_id=shop_id,
            order_ref=ref,
            purpose=reason,
            address_id=snap.address_id,
            province_code=snap.province_code,
            at=clock.now(),
        )
    )
    session.flush()
    return snap


def reveal_log(
    session: Session, *, shop_id: int | None = None, order_ref: str | None = None
) -> list[RevealLogEntry]:
    """Who saw full addresses, oldest first: for one shop, one order, or one order of one shop."""
    if shop_id is None and not order_ref:
        raise errors.RevealRequestInvalid("give a shop_id or an order_ref")
    query = select(RevealLog).order_by(RevealLog.id)
    if shop_id is not None:
        query = query.where(RevealLog.shop_id == shop_id)
    if order_ref:
        query = query.where(RevealLog.order_ref == order_ref.strip())
    return [
        RevealLogEntry(
            id=r.id,
            actor_user_id=r.actor_user_id,
            shop_id=r.shop_id,
            order_ref=r.order_ref,
            purpose=r.purpose,
            address_id=r.address_id,
            province_code=r.province_code,
            at=r.at,
        )
        for r in session.scalars(query)
    ]
