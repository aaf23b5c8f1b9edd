"""Shops over HTTP: merchants apply, upload documents and manage staff; governance staff review and
change a shop's standing. Product routes under ``/api/v1/shops/{shop_id}/products`` live in catalog."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile

from laotie.core.auth import AnyUser, Principal, PublicAccess, Role, require_roles
from laotie.core.http import DbSession
from laotie.core.pagination import Page, PageParams, page_params
from laotie.core.request_body import BodyLimit, body_limit
from laotie.shops import service
from laotie.shops.models import ShopStatus
from laotie.shops.schemas import (
    MAX_ID,
    Decision,
    DocumentOut,
    MemberAdd,
    MemberOut,
    ReviewQueueItem,
    ShopApply,
    ShopEventOut,
    ShopOut,
    ShopPrivateOut,
    ShopReviewDetail,
)

router = APIRouter(prefix="/api/v1/shops", tags=["shops"])
governance_router = APIRouter(prefix="/api/v1/governance/shops", tags=["governance"])

Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)
# Ids past BIGINT would reach the database as an overflow error instead of a clean 404 or 422.
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/apply", response_model=ShopPrivateOut, status_code=201)
def apply(session: DbSession, body: ShopApply, principal: Principal = AnyUser) -> ShopPrivateOut:
    """Apply for a shop with no deposit (0元开店); it opens when governance staff approve it."""
    return service.apply(session, principal, body)


@router.get("/mine", response_model=list[ShopPrivateOut])
def my_shops(session: DbSession, principal: Principal = AnyUser) -> list[ShopPrivateOut]:
    """Shops the caller owns or works for, applications included."""
    return service.shops_of(session, principal.user_id)


@router.get("/{shop_id}", response_model=ShopPrivateOut | ShopOut)
def get_shop(
    session: DbSession, shop_id: Id, principal: Principal | None = PublicAccess
) -> ShopOut | ShopPrivateOut:
    return service.shop_view(session, shop_id, principal)


@router.put("/{shop_id}/application", response_model=ShopPrivateOut)
def resubmit(
    session: DbSession, shop_id: Id, body: ShopApply, principal: Principal = AnyUser
) -> ShopPrivateOut:
    """Correct a rejected application and send it back for review."""
    return service.resubmit(session, principal, shop_id, body)


@router.post("/{shop_id}/close", response_model=ShopOut)
def close_own(session: DbSession, shop_id: Id, body: Decision, principal: Principal = AnyUser) -> ShopOut:
    """The owner closes the shop (or withdraws an application)."""
    return service.close_own(session, principal, shop_id, body.reason)


@router.post(
    "/{shop_id}/documents",
    response_model=DocumentOut,
    status_code=201,
    openapi_extra=body_limit(BodyLimit.DOCUMENT),
)
def upload_document(
    session: DbSession,
    shop_id: Id,
    request: Request,
    file: Annotated[UploadFile, File(description="PDF, JPEG, PNG or WebP")],
    kind: Annotated[str, Form(min_length=1, max_length=40, examples=["food_license"])],
    brand: Annotated[str, Form(max_length=60, description="brand_authorization only")] = "",
    expires_on: Annotated[date | None, Form(description="YYYY-MM-DD, if the document expires")] = None,
    principal: Principal = AnyUser,
) -> DocumentOut:
    limit = request.app.state.settings.max_upload_bytes
    # Read one byte past the limit: enough to know it is too large without holding all of it.
    data = file.file.read(limit + 1)
    return service.upload(
        session,
        request.app.state.storage,
        principal,
        shop_id,
        kind=kind,
        filename=file.filename or "",
        data=data,
        brand=brand,
        expires_on=expires_on,
        max_bytes=limit,
    )


@router.get("/{shop_id}/documents", response_model=list[DocumentOut])
def list_documents(session: DbSession, shop_id: Id, principal: Principal = AnyUser) -> list[DocumentOut]:
    return service.list_documents(session, principal, shop_id)


@router.get("/{shop_id}/documents/{document_id}", response_class=Response)
def download_document(
    session: DbSession, shop_id: Id, document_id: Id, request: Request, principal: Principal = AnyUser
) -> Response:
    """The file itself, for the shop's members and staff only."""
    doc, data = service.read_document(session, request.app.state.storage, principal, shop_id, document_id)
    disposition = "attachment" if doc.content_type == "application/pdf" else "inline"
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(doc.filename)}",
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(content=data, media_type=doc.content_type, headers=headers)


@router.get("/{shop_id}/events", response_model=list[ShopEventOut])
def shop_events(session: DbSession, shop_id: Id, principal: Principal = AnyUser) -> list[ShopEventOut]:
    return service.shop_events(session, principal, shop_id)


@router.get("/{shop_id}/members", response_model=list[MemberOut])
def list_members(session: DbSession, shop_id: Id, principal: Principal = AnyUser) -> list[MemberOut]:
    return service.list_members(session, principal, shop_id)


@router.post("/{shop_id}/members", response_model=MemberOut, status_code=201)
def add_member(session: DbSession, shop_id: Id, body: MemberAdd, principal: Principal = AnyUser) -> MemberOut:
    """The owner adds a staff account (子账号) by its registered phone number."""
    return service.add_staff(session, principal, shop_id, body.phone)


@router.delete("/{shop_id}/members/{user_id}", status_code=204)
def remove_member(session: DbSession, shop_id: Id, user_id: Id, principal: Principal = AnyUser) -> None:
    service.remove_staff(session, principal, shop_id, user_id)


@governance_router.get("/review-queue", response_model=Page[ReviewQueueItem])
def review_queue(
    session: DbSession, params: PageParams = Depends(page_params), _: Principal = Staff
) -> Page[ReviewQueueItem]:
    """Applications waiting for review, the longest-waiting first."""
    return service.review_queue(session, params)


@governance_router.get("", response_model=Page[ShopPrivateOut])
def list_shops(
    session: DbSession,
    status: Annotated[ShopStatus | None, Query()] = None,
    params: PageParams = Depends(page_params),
    _: Principal = Staff,
) -> Page[ShopPrivateOut]:
    return service.list_shops(session, params, status)


@governance_router.get("/{shop_id}", response_model=ShopReviewDetail)
def review_detail(session: DbSession, shop_id: Id, _: Principal = Staff) -> ShopReviewDetail:
    return service.review_detail(session, shop_id)


@governance_router.post("/{shop_id}/approve", response_model=ShopOut)
def approve(session: DbSession, shop_id: Id, body: Decision, staff: Principal = Staff) -> ShopOut:
    return service.approve(session, shop_id, staff, body.reason)


@governance_router.post("/{shop_id}/reject", response_model=ShopOut)
def reject(session: DbSession, shop_id: Id, body: Decision, staff: Principal = Staff) -> ShopOut:
    return service.reject(session, shop_id, staff, body.reason)


@governance_router.post("/{shop_id}/restrict", response_model=ShopOut)
def restrict(session: DbSession, shop_id: Id, body: Decision, staff: Principal = Staff) -> ShopOut:
    return service.restrict(session, shop_id, staff, body.reason)


@governance_router.post("/{shop_id}/lift", response_model=ShopOut)
def lift_restriction(session: DbSession, shop_id: Id, body: Decision, staff: Principal = Staff) -> ShopOut:
    return service.lift_restriction(session, shop_id, staff, body.reason)


@governance_router.post("/{shop_id}/freeze", response_model=ShopOut)
def freeze(session: DbSession, shop_id: Id, body: Decision, staff: Principal = Staff) -> ShopOut:
    return service.freeze(session, shop_id, staff, body.reason)


@governance_router.post("/{shop_id}/unfreeze", response_model=ShopOut)
def unfreeze(session: DbSession, shop_id: Id, body: Decision, staff: Principal = Staff) -> ShopOut:
    return service.unfreeze(session, shop_id, staff, body.reason)


@governance_router.post("/{shop_id}/close", response_model=ShopOut)
def close(session: DbSession, shop_id: Id, body: Decision, staff: Principal = Staff) -> ShopOut:
    return service.close(session, shop_id, staff, body.reason)


@governance_router.post("/{shop_id}/freeze-withdrawals", response_model=ShopPrivateOut)
def freeze_withdrawals(
    session: DbSession, shop_id: Id, body: Decision, staff: Principal = Staff
) -> ShopPrivateOut:
    """冻结提现: the shop keeps selling, but withdraws nothing until staff unfreeze it."""
    return service.freeze_withdrawals(session, shop_id, staff, body.reason)


@governance_router.post("/{shop_id}/unfreeze-withdrawals", response_model=ShopPrivateOut)
def unfreeze_withdrawals(
    session: DbSession, shop_id: Id, body: Decision, staff: Principal = Staff
) -> ShopPrivateOut:
    return service.unfreeze_withdrawals(session, shop_id, staff, body.reason)
