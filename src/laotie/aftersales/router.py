"""After-sales over HTTP: buyers open and follow cases, merchants answer them, governance staff
judge disputes. Every write a client may retry takes an Idempotency-Key: the same key and body get
the stored answer and move nothing twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from laotie.aftersales import errors, service
from laotie.aftersales.models import CaseStatus
from laotie.aftersales.schemas import (
    CaseIn,
    CaseOut,
    DecisionIn,
    DisputeView,
    EvidenceOut,
    NoteIn,
    ReceiveIn,
    ShipBackIn,
)
from laotie.core import idempotency
from laotie.core.auth import AnyUser, Principal, Role, require_roles
from laotie.core.http import DbSession, PathId
from laotie.core.idempotency import idempotency_key_header
from laotie.core.pagination import Page, PageParams, page_params
from laotie.core.request_body import BodyLimit, body_limit

router = APIRouter(prefix="/api/v1", tags=["aftersales"])
governance_router = APIRouter(prefix="/api/v1/governance/aftersales", tags=["governance"])
Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)
IdempotencyKey = idempotency_key_header("retry with the same key: done once")


def _once(
    session: Session,
    principal: Principal,
    action: str,
    key: str,
    body: Any,
    run: Callable[[], BaseModel],
    status_code: int = 200,
) -> JSONResponse:
    if not key:
        raise errors.IDEMPOTENCY_KEY_REQUIRED()
    scope = f"aftersales.{action}:user:{principal.user_id}"
    stored = idempotency.claim(session, scope, key, jsonable_encoder(body))
    if stored is not None:
        return JSONResponse(stored.body, status_code=stored.status_code)
    payload = jsonable_encoder(run())
    idempotency.remember(session, scope, key, status_code, payload)
    return JSONResponse(payload, status_code=status_code)


@router.post("/aftersales/cases", response_model=CaseOut, status_code=201)
def open_case(
    session: DbSession, body: CaseIn, principal: Principal = AnyUser, idempotency_key: str = IdempotencyKey
) -> JSONResponse:
    """申请售后: a return (七天无理由 or for a fault), refund only (仅退款) or price protection (七天保价)."""
    return _once(
        session,
        principal,
        "open",
        idempotency_key,
        body.model_dump(mode="json"),
        lambda: service.open_case(session, principal, body, idempotency_key),
        201,
    )


@router.get("/aftersales/cases", response_model=Page[CaseOut])
def my_cases(
    session: DbSession,
    order_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    params: PageParams = Depends(page_params),
    principal: Principal = AnyUser,
) -> Page[CaseOut]:
    return service.buyer_cases(session, principal, params, order_id)


@router.get("/aftersales/cases/{case_id}", response_model=CaseOut)
def get_case(session: DbSession, case_id: PathId, principal: Principal = AnyUser) -> CaseOut:
    """The case with its timeline and evidence, for its buyer, the shop's members and staff."""
    return service.get_case(session, principal, case_id)


def _action(name: str, run: Callable[[Session, Principal, int], CaseOut]) -> Callable[..., JSONResponse]:
    def endpoint(
        session: DbSession,
        case_id: PathId,
        principal: Principal = AnyUser,
        idempotency_key: str = IdempotencyKey,
    ) -> JSONResponse:
        return _once(
            session,
            principal,
            name,
            idempotency_key,
            {"case_id": case_id},
            lambda: run(session, principal, case_id),
        )

    endpoint.__name__ = f"{name}_case"
    return endpoint


for _name, _run, _doc in (
    ("approve", service.approve, "商家同意: a return waits for the goods; refund only pays now"),
    ("refund", service.refund_received, "商家退款 after the return arrived"),
    ("cancel", service.cancel, "买家撤销 the request"),
):
    router.add_api_route(
        f"/aftersales/cases/{{case_id}}/{_name}",
        _action(_name, _run),  # type: ignore[arg-type]
        methods=["POST"],
        response_model=CaseOut,
        summary=_doc,
    )


@router.post("/aftersales/cases/{case_id}/receive", response_model=CaseOut)
def receive_case(
    session: DbSession,
    case_id: PathId,
    body: ReceiveIn | None = None,
    principal: Principal = AnyUser,
    idempotency_key: str = IdempotencyKey,
) -> JSONResponse:
    """商家确认收到退货: the refund is due within the deadline. A no-reason return goes back on sale
    unless the body says it arrived damaged (``{"damaged": true}``)."""
    damaged = body.damaged if body else False
    return _once(
        session,
        principal,
        "receive",
        idempotency_key,
        {"case_id": case_id, "damaged": damaged},
        lambda: service.receive(session, principal, case_id, damaged),
    )


def _noted_action(
    name: str, doc: str, run: Callable[[Session, Principal, int, str], CaseOut]
) -> Callable[..., JSONResponse]:
    """An action on a case that carries a note (``{"note": ...}``)."""

    def endpoint(
        session: DbSession,
        case_id: PathId,
        body: NoteIn,
        principal: Principal = AnyUser,
        idempotency_key: str = IdempotencyKey,
    ) -> JSONResponse:
        return _once(
            session,
            principal,
            name,
            idempotency_key,
            {"case_id": case_id, **body.model_dump()},
            lambda: run(session, principal, case_id, body.note),
        )

    endpoint.__name__ = f"{name}_case"
    endpoint.__doc__ = doc
    return endpoint


for _name, _run_noted, _doc in (
    ("reject", service.reject, "商家拒绝 a request, or a return that came back wrong."),
    ("escalate", service.escalate, "申请平台介入, by the buyer or the merchant."),
):
    router.add_api_route(
        f"/aftersales/cases/{{case_id}}/{_name}",
        _noted_action(_name, _doc, _run_noted),
        methods=["POST"],
        response_model=CaseOut,
    )


@router.post("/aftersales/cases/{case_id}/ship-back", response_model=CaseOut)
def ship_back(
    session: DbSession,
    case_id: PathId,
    body: ShipBackIn,
    principal: Principal = AnyUser,
    idempotency_key: str = IdempotencyKey,
) -> JSONResponse:
    """买家寄回: carrier and tracking number of the return parcel."""
    return _once(
        session,
        principal,
        "ship_back",
        idempotency_key,
        {"case_id": case_id, **body.model_dump()},
        lambda: service.ship_back(session, principal, case_id, body),
    )


def _upload(request: Request, file: UploadFile) -> bytes:
    limit = request.app.state.settings.max_upload_bytes
    return file.file.read(limit + 1)  # one byte past the limit tells it is too large


@router.post(
    "/aftersales/evidence",
    response_model=EvidenceOut,
    status_code=201,
    openapi_extra=body_limit(BodyLimit.IMAGE),
)
def upload_evidence(
    session: DbSession,
    request: Request,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP photo")],
    note: Annotated[str, Form(max_length=200)] = "",
    principal: Principal = AnyUser,
) -> EvidenceOut:
    """A photo uploaded before opening a refund-only claim, then named in ``evidence_ids``."""
    return service.upload_evidence(
        session, request.app.state.storage, principal, _upload(request, file), note
    )


@router.post(
    "/aftersales/cases/{case_id}/evidence",
    response_model=EvidenceOut,
    status_code=201,
    openapi_extra=body_limit(BodyLimit.IMAGE),
)
def add_evidence(
    session: DbSession,
    case_id: PathId,
    request: Request,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP photo")],
    note: Annotated[str, Form(max_length=200)] = "",
    principal: Principal = AnyUser,
) -> EvidenceOut:
    """A photo for an open case, by its buyer or the shop."""
    return service.upload_evidence(
        session, request.app.state.storage, principal, _upload(request, file), note, case_id
    )


@router.get("/aftersales/evidence/{evidence_id}", response_class=Response)
def evidence_file(
    session: DbSession, evidence_id: PathId, request: Request, principal: Principal = AnyUser
) -> Response:
    row, data = service.read_evidence(session, request.app.state.storage, principal, evidence_id)
    headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    return Response(content=data, media_type=row.content_type, headers=headers)


@router.get("/shops/{shop_id}/aftersales", response_model=Page[CaseOut])
def shop_queue(
    session: DbSession,
    shop_id: PathId,
    status: CaseStatus | None = None,
    params: PageParams = Depends(page_params),
    principal: Principal = AnyUser,
) -> Page[CaseOut]:
    """The shop's 售后 queue."""
    return service.shop_cases(session, principal, shop_id, params, status)


@governance_router.get("", response_model=Page[CaseOut])
def dispute_queue(
    session: DbSession,
    status: CaseStatus | None = None,
    params: PageParams = Depends(page_params),
    _: Principal = Staff,
) -> Page[CaseOut]:
    """纠纷 queue: escalated cases and refund-only claims sent to review."""
    return service.governance_queue(session, params, status)


@governance_router.get("/{case_id}", response_model=DisputeView)
def dispute(session: DbSession, case_id: PathId, _: Principal = Staff) -> DisputeView:
    """Both sides' evidence and the order's trail."""
    return service.dispute_view(session, case_id)


@governance_router.post("/{case_id}/decide", response_model=CaseOut)
def decide(
    session: DbSession,
    case_id: PathId,
    body: DecisionIn,
    staff: Principal = Staff,
    idempotency_key: str = IdempotencyKey,
) -> JSONResponse:
    """判责: refund, partial refund, return or reject; it executes itself."""
    return _once(
        session,
        staff,
        "decide",
        idempotency_key,
        {"case_id": case_id, **body.model_dump(mode="json")},
        lambda: service.decide(session, staff, case_id, body),
    )
