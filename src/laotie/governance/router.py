"""Governance HTTP API: the public rulebook, reports and appeals for users and merchants, and the
staff queues and decisions (governance role)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Request, Response, UploadFile

from laotie.core.auth import AnyUser, Principal, PublicAccess, Role, require_roles
from laotie.core.http import DbSession, PathId
from laotie.core.pagination import Page, PageParams, page_params
from laotie.governance import errors, service
from laotie.governance import evidence as proofs
from laotie.governance.models import AppealStatus, CaseStatus, Evidence, ReportStatus
from laotie.governance.schemas import (
    AppealDecideIn,
    AppealIn,
    AppealOut,
    CaseDecideIn,
    CaseIn,
    CaseOut,
    DashboardOut,
    EvidenceOut,
    PointsOut,
    RatingIn,
    ReportDecideIn,
    ReportIn,
    ReportOut,
    RuleIn,
    RuleOut,
    RuleVersionIn,
    RuleVersionOut,
    TrailOut,
)
from laotie.shops import service as shops
from laotie.shops.schemas import ShopOut

router = APIRouter(prefix="/api/v1", tags=["governance"])
staff_router = APIRouter(prefix="/api/v1/governance", tags=["governance"])
Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)
RuleCode = Annotated[str, Path(min_length=3, max_length=40, pattern=r"^[A-Z]{2,5}-[0-9]{2,3}$")]
# The queues' filters: Literals of the members' values, so the OpenAPI document lists them inline and
# a wrong value is refused with the plain words ("Input should be 'open', …").
# tests/unit/test_state_tables.py checks that each names exactly its enum's values.
ReportFilter = Literal["open", "upheld", "rejected"]
CaseFilter = Literal["open", "violation", "dismissed", "reversed"]
AppealFilter = Literal["open", "upheld", "rejected"]


@router.get("/rules", response_model=list[RuleVersionOut])
def rulebook(
    session: DbSession, category: str | None = None, _: Principal | None = PublicAccess
) -> list[RuleVersionOut]:
    """规则中心: every rule's version in force now."""
    return service.list_rules(session, category[:30] if category else None)


@router.get("/rules/{code}", response_model=RuleOut)
def rule(session: DbSession, code: RuleCode, _: Principal | None = PublicAccess) -> RuleOut:
    return service.get_rule(session, code)


@router.post("/reports", response_model=ReportOut, status_code=201)
def report(session: DbSession, body: ReportIn, principal: Principal = AnyUser) -> ReportOut:
    return service.submit_report(session, principal, body)


@router.post("/governance-evidence", response_model=EvidenceOut, status_code=201)
def upload(
    session: DbSession,
    request: Request,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP photo")],
    note: Annotated[str, Form(max_length=200)] = "",
    principal: Principal = AnyUser,
) -> EvidenceOut:
    """A photo uploaded first, then named in a report's or appeal's ``evidence_ids``."""
    data = file.file.read(request.app.state.settings.max_upload_bytes + 1)
    return service.upload_evidence(session, request.app.state.storage, principal, data, note)


def _viewable_evidence(session: DbSession, evidence_id: PathId, principal: Principal = AnyUser) -> Evidence:
    """Evidence its uploader or staff may open; anyone else's is EVIDENCE_NOT_FOUND."""
    row = proofs.load(session, evidence_id)
    if not principal.is_staff and row.added_by != principal.user_id:
        raise errors.EVIDENCE_NOT_FOUND(evidence_id=evidence_id)
    return row


def _shop_member(session: DbSession, shop_id: PathId, principal: Principal = AnyUser) -> ShopOut:
    return shops.require_shop_member(session, shop_id, principal)


# Load-and-authorise: the route runs only for a caller who may see the thing.
ViewableEvidence = Annotated[Evidence, Depends(_viewable_evidence)]
ShopMember = Annotated[ShopOut, Depends(_shop_member)]


@router.get("/governance-evidence/{evidence_id}", response_class=Response)
def evidence_file(row: ViewableEvidence, request: Request) -> Response:
    """The file, for staff and for whoever uploaded it."""
    try:
        data = request.app.state.storage.read(row.storage_key)
    except (FileNotFoundError, ValueError):  # the file went missing from storage
        raise errors.EVIDENCE_NOT_FOUND(evidence_id=row.id) from None
    headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    return Response(content=data, media_type=row.content_type or "application/octet-stream", headers=headers)


@router.get("/me/reports", response_model=Page[ReportOut])
def my_reports(
    session: DbSession, params: PageParams = Depends(page_params), principal: Principal = AnyUser
) -> Page[ReportOut]:
    return service.my_reports(session, principal, params)


@router.get("/me/reports/{report_id}", response_model=ReportOut)
def my_report(session: DbSession, report_id: PathId, principal: Principal = AnyUser) -> ReportOut:
    return service.my_report(session, principal, report_id)


@router.post("/me/reports/{report_id}/rating", response_model=ReportOut)
def rate_report(
    session: DbSession, report_id: PathId, body: RatingIn, principal: Principal = AnyUser
) -> ReportOut:
    return service.rate(session, principal, report_id, body)


@router.get("/shops/{shop_id}/violations", response_model=Page[CaseOut])
def shop_violations(
    session: DbSession,
    shop_id: PathId,
    params: PageParams = Depends(page_params),
    principal: Principal = AnyUser,
) -> Page[CaseOut]:
    """违规记录: the rule, the evidence shown to the shop, the penalties and their ends."""
    shops.require_shop_member(session, shop_id, principal)  # here, not a dependency: a bad page is 422 first
    return service.shop_record(session, shop_id, params)


@router.get("/shops/{shop_id}/points", response_model=PointsOut)
def shop_points(session: DbSession, shop: ShopMember) -> PointsOut:
    return service.shop_points(session, shop.id)


@router.get("/me/cases/{case_id}", response_model=CaseOut)
def my_case(session: DbSession, case_id: PathId, principal: Principal = AnyUser) -> CaseOut:
    return service.my_case(session, principal, case_id)


@router.post("/me/cases/{case_id}/appeal", response_model=AppealOut, status_code=201)
def appeal(session: DbSession, case_id: PathId, body: AppealIn, principal: Principal = AnyUser) -> AppealOut:
    return service.file_appeal(session, principal, case_id, body)


@staff_router.get("/reports", response_model=Page[ReportOut])
def report_queue(
    session: DbSession,
    status: ReportFilter = "open",
    params: PageParams = Depends(page_params),
    staff: Principal = Staff,
) -> Page[ReportOut]:
    """Open reports, most severe and oldest first."""
    return service.report_queue(session, params, ReportStatus(status))


@staff_router.get("/reports/{report_id}", response_model=ReportOut)
def get_report(session: DbSession, report_id: PathId, staff: Principal = Staff) -> ReportOut:
    return service.get_report(session, report_id)


@staff_router.post("/reports/{report_id}/decide", response_model=ReportOut)
def decide_report(
    session: DbSession, report_id: PathId, body: ReportDecideIn, staff: Principal = Staff
) -> ReportOut:
    return service.decide_report(session, staff, report_id, body)


@staff_router.get("/cases", response_model=Page[CaseOut])
def case_queue(
    session: DbSession,
    status: CaseFilter = "open",
    params: PageParams = Depends(page_params),
    staff: Principal = Staff,
) -> Page[CaseOut]:
    return service.case_queue(session, params, CaseStatus(status))


@staff_router.post("/cases", response_model=CaseOut, status_code=201)
def open_case(session: DbSession, body: CaseIn, staff: Principal = Staff) -> CaseOut:
    return service.open_staff_case(session, staff, body)


@staff_router.get("/cases/{case_id}", response_model=CaseOut)
def get_case(session: DbSession, case_id: PathId, staff: Principal = Staff) -> CaseOut:
    return service.get_case(session, case_id)


@staff_router.get("/cases/{case_id}/trail", response_model=list[TrailOut])
def case_trail(session: DbSession, case_id: PathId, staff: Principal = Staff) -> list[TrailOut]:
    return service.case_trail(session, case_id)


@staff_router.post("/cases/{case_id}/decide", response_model=CaseOut)
def decide_case(session: DbSession, case_id: PathId, body: CaseDecideIn, staff: Principal = Staff) -> CaseOut:
    return service.decide_case(session, staff, case_id, body)


@staff_router.get("/appeals", response_model=Page[AppealOut])
def appeal_queue(
    session: DbSession,
    status: AppealFilter = "open",
    params: PageParams = Depends(page_params),
    staff: Principal = Staff,
) -> Page[AppealOut]:
    return service.appeal_queue(session, params, AppealStatus(status))


@staff_router.post("/appeals/{appeal_id}/decide", response_model=AppealOut)
def decide_appeal(
    session: DbSession, appeal_id: PathId, body: AppealDecideIn, staff: Principal = Staff
) -> AppealOut:
    return service.decide_appeal(session, staff, appeal_id, body)


@staff_router.post("/rules", response_model=RuleOut, status_code=201)
def create_rule(session: DbSession, body: RuleIn, staff: Principal = Staff) -> RuleOut:
    return service.create_rule(session, body, staff.user_id)


@staff_router.post("/rules/{code}/versions", response_model=RuleOut, status_code=201)
def new_version(session: DbSession, code: RuleCode, body: RuleVersionIn, staff: Principal = Staff) -> RuleOut:
    """A change to a rule: a new version in force from ``effective_at`` (now when omitted)."""
    return service.new_version(session, code, body, staff.user_id)


@staff_router.get("/dashboard", response_model=DashboardOut)
def dashboard(session: DbSession, staff: Principal = Staff) -> DashboardOut:
    return service.dashboard(session)
