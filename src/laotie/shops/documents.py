"""Qualification documents (资质) and brand authorisations (品牌授权书) a shop uploads for review.

Files are checked by content (``filetypes.sniff``) and size before anything is stored, kept in the
platform's ``FileStorage`` (local disk by default) under keys nobody can guess, and served only to
the shop's own members and to governance or admin staff.

The rule for approval: every kind in the main category's ``required_qualifications`` must be on
file and not expired (see ``missing_documents``). Brand authorisations and the business licence are
kept for the reviewer but do not block approval on their own.
"""

from __future__ import annotations

import re
from datetime import date, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.categories import service as categories
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.errors import VALIDATION_ERROR
from laotie.core.storage import FileStorage
from laotie.settings import get_settings
from laotie.shops import errors
from laotie.shops.filetypes import sniff
from laotie.shops.models import Shop, ShopDocument, ShopEventKind, ShopStatus
from laotie.shops.schemas import CONTROL_CHARACTERS, DocumentOut
from laotie.shops.state import load_private, member_role, record_event

BUSINESS_LICENSE = "business_license"
BRAND_AUTHORIZATION = "brand_authorization"
# Kinds the platform knows by name. A category an admin creates may require another kind; shops whose
# main category requires it may upload it too (see ``accepted_kinds``).
DOCUMENT_KINDS: dict[str, str] = {
    BUSINESS_LICENSE: "营业执照",
    BRAND_AUTHORIZATION: "品牌授权书",
    "food_license": "食品经营许可证",
    "cosmetics_filing": "化妆品备案凭证",
    "ccc_certificate": "3C认证证书",
    "publication_license": "出版物经营许可证",
}
# Licences state their expiry as a calendar date in China, which keeps no daylight saving.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\"\\/]")


def today_in_china() -> date:
    return clock.now().astimezone(CHINA).date()


def kind_label(kind: str) -> str:
    return DOCUMENT_KINDS.get(kind, kind)


def required_documents(session: Session, shop: Shop) -> list[str]:
    return list(categories.get_category(session, shop.main_category_id).required_qualifications)


def accepted_kinds(session: Session, shop: Shop) -> set[str]:
    return set(DOCUMENT_KINDS) | set(required_documents(session, shop))


def _expired(doc: ShopDocument, today: date) -> bool:
    return doc.expires_on is not None and date.fromisoformat(doc.expires_on) < today


def document_out(doc: ShopDocument, today: date | None = None) -> DocumentOut:
    return DocumentOut(
        id=doc.id,
        shop_id=doc.shop_id,
        kind=doc.kind,
        kind_label=kind_label(doc.kind),
        brand=doc.brand,
        filename=doc.filename,
        content_type=doc.content_type,
        size_bytes=doc.size_bytes,
        uploaded_by=doc.uploaded_by,
        uploaded_at=doc.uploaded_at,
        expires_on=date.fromisoformat(doc.expires_on) if doc.expires_on else None,
        expired=_expired(doc, today or today_in_china()),
        url=f"/api/v1/shops/{doc.shop_id}/documents/{doc.id}",
    )


def _rows(session: Session, shop_id: int) -> list[ShopDocument]:
    query = select(ShopDocument).where(ShopDocument.shop_id == shop_id).order_by(ShopDocument.id)
    return list(session.scalars(query).all())


def documents_of(session: Session, shop_id: int) -> list[DocumentOut]:
    """Without an access check: for callers that have made their own."""
    today = today_in_china()
    return [document_out(d, today) for d in _rows(session, shop_id)]


def missing_documents(session: Session, shop: Shop) -> list[str]:
    """Required kinds with no unexpired document on file, in the category's order."""
    today = today_in_china()
    on_file = {d.kind for d in _rows(session, shop.id) if not _expired(d, today)}
    return [kind for kind in required_documents(session, shop) if kind not in on_file]


def _safe_filename(filename: str, kind: str, suffix: str) -> str:
    # Only the last path part, no control characters or quotes: it ends up in a response header.
    name = _UNSAFE_NAME.sub("", re.split(r"[\\/]", filename)[-1]).strip()
    return name[-200:] if name else f"{kind}{suffix}"


def upload(
    session: Session,
    storage: FileStorage,
    principal: Principal,
    shop_id: int,
    *,
    kind: str,
    filename: str,
    data: bytes,
    brand: str = "",
    expires_on: date | None = None,
    max_bytes: int | None = None,
) -> DocumentOut:
    """Check everything, then store the file and record it; a refused upload leaves nothing behind."""
    shop = load_private(session, shop_id, principal)
    if member_role(session, shop_id, principal.user_id) is None:
        raise errors.NOT_SHOP_MEMBER(shop_id=shop_id)
    if shop.status == ShopStatus.CLOSED:
        raise errors.SHOP_CLOSED(shop_id=shop_id)
    kind = kind.strip()
    if kind not in accepted_kinds(session, shop):
        raise errors.UNKNOWN_DOCUMENT_KIND(kind=kind[:40])
    brand = brand.strip()
    if kind == BRAND_AUTHORIZATION and not brand:
        raise errors.BRAND_REQUIRED()
    if kind != BRAND_AUTHORIZATION and brand:
        raise errors.BRAND_NOT_EXPECTED()
    if len(brand) > 60 or CONTROL_CHARACTERS.search(brand):
        raise VALIDATION_ERROR(field="brand")
    if expires_on is not None and expires_on < today_in_china():
        raise errors.DOCUMENT_EXPIRED(expires_on=expires_on.isoformat())
    limit = max_bytes if max_bytes is not None else get_settings().max_upload_bytes
    if len(data) > limit:
        raise errors.FILE_TOO_LARGE(limit_mb=round(limit / 1024 / 1024, 1), limit_bytes=limit)
    filetype = sniff(data)
    key = storage.put(f"shops/{shop_id}/documents", filetype.suffix, data)
    try:
        doc = ShopDocument(
            shop_id=shop_id,
            kind=kind,
            brand=brand,
            filename=_safe_filename(filename, kind, filetype.suffix),
            content_type=filetype.content_type,
            size_bytes=len(data),
            storage_key=key,
            uploaded_by=principal.user_id,
            uploaded_at=clock.now(),
            expires_on=expires_on.isoformat() if expires_on else None,
        )
        session.add(doc)
        session.flush()
        data_out = {"document_id": doc.id, "kind": kind, "brand": brand}
        record_event(session, shop, ShopEventKind.DOCUMENT_UPLOADED, principal.user_id, data=data_out)
        session.flush()
    except Exception:
        storage.delete(key)
        raise
    return document_out(doc)


def list_documents(session: Session, principal: Principal, shop_id: int) -> list[DocumentOut]:
    load_private(session, shop_id, principal)
    return documents_of(session, shop_id)


def read_document(
    session: Session, storage: FileStorage, principal: Principal, shop_id: int, document_id: int
) -> tuple[DocumentOut, bytes]:
    """The document and its bytes, for the shop's members and staff only."""
    load_private(session, shop_id, principal)
    doc = session.get(ShopDocument, document_id)
    if doc is None or doc.shop_id != shop_id:
        raise errors.DOCUMENT_NOT_FOUND(document_id=document_id)
    try:
        data = storage.read(doc.storage_key)
    except FileNotFoundError:
        raise errors.DOCUMENT_NOT_FOUND(document_id=document_id) from None
    return document_out(doc), data
