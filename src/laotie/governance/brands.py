"""品牌授权: a shop's right to sell a brand (brand, the chain of grantors from the brand owner down to
the shop, the categories it covers, its validity, the papers), checked by staff; and the check of a
branded product when it is sent to review.

The papers are a shop document of kind ``brand_authorization`` for the same brand, uploaded through
the shops' document upload, which already sniffs the file type from its bytes, limits its size and
refuses an expired one. A product is "branded" when its title or description names a protected
brand (a famous brand, or any brand some shop holds an authorisation for); the listener makes one
check per submission, with the valid authorisation found (if any), for staff to pass or fail.
Failing it rejects the product in review, or delists it if it was approved meanwhile.

Events handled: ``ProductStatusChanged`` (to ``in_review``).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.catalog.schemas import ProductStatus
from laotie.core import clock
from laotie.core.auth import Principal, Role
from laotie.core.errors import ErrorKind
from laotie.core.ids import Id
from laotie.events.catalog import ProductStatusChanged
from laotie.governance.counterfeit import audit
from laotie.governance.models_integrity import (
    BrandAuthorisation,
    BrandAuthorisationStatus,
    BrandCheck,
    BrandCheckStatus,
)
from laotie.shops import service as shops

BRAND_AUTH_EXPIRED = ErrorKind(
    "BRAND_AUTH_EXPIRED",
    422,
    "授权已过期或有效期不正确",
    "The authorisation has expired or its validity is wrong",
)
BRAND_DOCUMENT_INVALID = ErrorKind(
    "BRAND_DOCUMENT_INVALID",
    422,
    "授权书须为本店上传的该品牌的品牌授权书（且未过期）",
    "The document must be this shop's unexpired brand authorisation for this brand",
)
BRAND_AUTH_NOT_FOUND = ErrorKind(
    "BRAND_AUTH_NOT_FOUND", 404, "品牌授权不存在", "Brand authorisation not found"
)
BRAND_AUTH_DECIDED = ErrorKind("BRAND_AUTH_DECIDED", 409, "该记录已处理", "This has already been decided")
BRAND_CHECK_NOT_FOUND = ErrorKind("BRAND_CHECK_NOT_FOUND", 404, "品牌核验不存在", "Brand check not found")

# Brands whose fakes are common enough that naming them calls for papers (plus every brand on file).
PROTECTED_BRANDS = (
    "耐克", "阿迪达斯", "李宁", "安踏", "苹果", "华为", "小米", "兰蔻", "雅诗兰黛", "迪奥",
    "香奈儿", "欧莱雅", "茅台", "五粮液", "戴森", "飞利浦", "Nike", "Adidas", "Apple", "Dyson",
)  # fmt: skip


class BrandAuthIn(BaseModel):
    brand: str = Field(min_length=1, max_length=60)
    grantor_chain: list[str] = Field(
        min_length=1, max_length=6, description="brand owner first, e.g. ['耐克（中国）', '华东一级代理']"
    )
    scope_category_ids: list[Id] = Field(default_factory=list, max_length=50, description="empty: all")
    scope_note: str = Field(default="", max_length=200)
    valid_from: datetime
    valid_until: datetime
    document_id: Id = Field(description="a brand_authorization shop document")


class BrandAuthOut(BaseModel):
    id: int
    shop_id: int
    brand: str
    grantor_chain: list[str]
    scope_category_ids: list[int]
    scope_note: str
    valid_from: datetime
    valid_until: datetime
    document_id: int
    status: str
    valid_now: bool
    review_reason: str
    submitted_at: datetime
    reviewed_at: datetime | None


class DecisionIn(BaseModel):
    approve: bool
    reason: str = Field(default="", max_length=200)


class BrandCheckOut(BaseModel):
    id: int
    product_id: int
    shop_id: int
    brand: str
    authorisation_id: int | None
    status: str
    reason: str
    created_at: datetime
    decided_at: datetime | None


def auth_out(row: BrandAuthorisation) -> BrandAuthOut:
    now = clock.now()
    return BrandAuthOut(
        id=row.id,
        shop_id=row.shop_id,
        brand=row.brand,
        grantor_chain=list(row.grantor_chain),
        scope_category_ids=list(row.scope_category_ids),
        scope_note=row.scope_note,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        document_id=row.document_id,
        status=row.status,
        valid_now=row.status == BrandAuthorisationStatus.APPROVED and row.valid_from <= now < row.valid_until,
        review_reason=row.review_reason,
        submitted_at=row.submitted_at,
        reviewed_at=row.reviewed_at,
    )


def check_out(row: BrandCheck) -> BrandCheckOut:
    return BrandCheckOut.model_validate(row, from_attributes=True)


def submit(session: Session, principal: Principal, shop_id: int, body: BrandAuthIn) -> BrandAuthOut:
    """A member files an authorisation; it waits for staff. Checked before anything is written."""
    shops.require_shop_member(session, shop_id, principal)
    brand = body.brand.strip()
    chain = [g.strip()[:60] for g in body.grantor_chain if g.strip()]
    if not brand or not chain:
        raise BRAND_DOCUMENT_INVALID()
    if body.valid_until <= clock.now() or body.valid_from >= body.valid_until:
        raise BRAND_AUTH_EXPIRED()
    docs = {d.id: d for d in shops.list_documents(session, principal, shop_id)}
    doc = docs.get(body.document_id)
    if doc is None or doc.kind != "brand_authorization" or doc.brand != brand or doc.expired:
        raise BRAND_DOCUMENT_INVALID()
    row = BrandAuthorisation(
        shop_id=shop_id,
        brand=brand,
        grantor_chain=chain,
        scope_category_ids=sorted(set(body.scope_category_ids)),
        scope_note=body.scope_note.strip(),
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        document_id=doc.id,
        status=BrandAuthorisationStatus.PENDING,
        submitted_by=principal.user_id,
        review_reason="",
        submitted_at=clock.now(),
    )
    session.add(row)
    session.flush()
    audit(session, "brand_authorisation", row.id, principal.user_id, "submitted", brand)
    return auth_out(row)


def shop_authorisations(session: Session, principal: Principal, shop_id: int) -> list[BrandAuthOut]:
    shops.require_shop_member(session, shop_id, principal)
    rows = session.scalars(
        select(BrandAuthorisation)
        .where(BrandAuthorisation.shop_id == shop_id)
        .order_by(BrandAuthorisation.id.desc())
    )
    return [auth_out(r) for r in rows]


def queue(
    session: Session, status: BrandAuthorisationStatus = BrandAuthorisationStatus.PENDING, limit: int = 100
) -> list[BrandAuthOut]:
    rows = session.scalars(
        select(BrandAuthorisation)
        .where(BrandAuthorisation.status == status)
        .order_by(BrandAuthorisation.id)
        .limit(limit)
    )
    return [auth_out(r) for r in rows]


def decide(session: Session, staff: Principal, auth_id: int, body: DecisionIn) -> BrandAuthOut:
    row = session.get(BrandAuthorisation, auth_id, with_for_update=True)
    if row is None:
        raise BRAND_AUTH_NOT_FOUND(auth_id=auth_id)
    if row.status != BrandAuthorisationStatus.PENDING:
        raise BRAND_AUTH_DECIDED()
    if body.approve and row.valid_until <= clock.now():
        raise BRAND_AUTH_EXPIRED()
    row.status = BrandAuthorisationStatus.APPROVED if body.approve else BrandAuthorisationStatus.REJECTED
    row.reviewed_by, row.reviewed_at, row.review_reason = staff.user_id, clock.now(), body.reason.strip()
    audit(session, "brand_authorisation", row.id, staff.user_id, row.status, body.reason)
    session.flush()
    return auth_out(row)


def valid_authorisation(session: Session, shop_id: int, brand: str, category_id: int) -> int | None:
    now = clock.now()
    for row in session.scalars(
        select(BrandAuthorisation).where(
            BrandAuthorisation.shop_id == shop_id,
            BrandAuthorisation.brand == brand,
            BrandAuthorisation.status == BrandAuthorisationStatus.APPROVED,
            BrandAuthorisation.valid_from <= now,
            BrandAuthorisation.valid_until > now,
        )
    ):
        if not row.scope_category_ids or category_id in row.scope_category_ids:
            return row.id
    return None


def brand_named(session: Session, text: str) -> str | None:
    """The protected brand a product's text names, if any."""
    known = set(session.scalars(select(BrandAuthorisation.brand).distinct())) | set(PROTECTED_BRANDS)
    lowered = text.lower()
    for brand in sorted(known, key=len, reverse=True):
        if brand and brand.lower() in lowered:
            return brand
    return None


READER = Principal(user_id=0, roles=frozenset({Role.GOVERNANCE}))  # reads only, never writes


def on_product_submitted(session: Session, ev: ProductStatusChanged) -> None:
    if ev.to != ProductStatus.IN_REVIEW.value:
        return
    product = catalog.inspect_product(session, READER, ev.product_id)
    brand = brand_named(session, f"{product.title} {product.description}")
    if brand is None:
        return
    check = BrandCheck(
        product_id=product.id,
        shop_id=product.shop_id,
        brand=brand,
        source_event_id=ev.event_id,
        authorisation_id=valid_authorisation(session, product.shop_id, brand, product.category_id),
        status=BrandCheckStatus.PENDING,
        reason="",
        created_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(check)
            session.flush()
    except IntegrityError:
        return  # the same event delivered again


def check_queue(
    session: Session, status: BrandCheckStatus = BrandCheckStatus.PENDING, limit: int = 100
) -> list[BrandCheckOut]:
    rows = session.scalars(
        select(BrandCheck).where(BrandCheck.status == status).order_by(BrandCheck.id).limit(limit)
    )
    return [check_out(r) for r in rows]


def decide_check(session: Session, staff: Principal, check_id: int, body: DecisionIn) -> BrandCheckOut:
    row = session.get(BrandCheck, check_id, with_for_update=True)
    if row is None:
        raise BRAND_CHECK_NOT_FOUND(check_id=check_id)
    if row.status != BrandCheckStatus.PENDING:
        raise BRAND_AUTH_DECIDED()
    reason = body.reason.strip() or ("品牌授权核验通过" if body.approve else "品牌授权不符，请补充有效授权")
    if not body.approve:
        status = catalog.inspect_product(session, staff, row.product_id).status
        if status == ProductStatus.IN_REVIEW:
            catalog.reject(session, staff, row.product_id, reason)
        elif status == ProductStatus.LISTED:
            catalog.staff_delist(session, staff, row.product_id, reason)
    row.status = BrandCheckStatus.PASSED if body.approve else BrandCheckStatus.FAILED
    row.decided_by, row.decided_at, row.reason = staff.user_id, clock.now(), reason
    audit(session, "brand_check", row.id, staff.user_id, row.status, reason, {"product_id": row.product_id})
    session.flush()
    return check_out(row)
