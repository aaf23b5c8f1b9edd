"""HTTP API of the integrity side of governance (staff): counterfeit procedures and their bulk
refunds, brand authorisations, mystery-buyer inspections and crackdown campaigns."""

from __future__ import annotations

import enum
from typing import Annotated

from fastapi import APIRouter, Query

from laotie.core.auth import MERCHANT_ROLES, Principal, Role, require_roles
from laotie.core.http import DbSession, PathId
from laotie.governance import brands, campaigns, counterfeit, counterfeit_refund, inspections
from laotie.governance.counterfeit_schemas import RunOut, RunStart
from laotie.governance.models_integrity import BrandAuthorisationStatus, BrandCheckStatus, InspectionStatus

router = APIRouter(prefix="/api/v1/governance", tags=["governance"])
Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)
Member = require_roles(*MERCHANT_ROLES)


def one_of(kind: type[enum.StrEnum]) -> str:
    """A status filter's pattern: exactly the kind's values, ``^(a|b|c)$``."""
    return f"^({'|'.join(kind)})$"


@router.post("/counterfeit-runs", response_model=RunOut, status_code=201)
def start_counterfeit_run(session: DbSession, body: RunStart, staff: Principal = Staff) -> RunOut:
    """Start the counterfeit procedure: withdrawals frozen, goods off the shelf, every open and
    recently completed order of the products refunded in the background (a second start of the
    same case: 409 COUNTERFEIT_RUN_EXISTS)."""
    return counterfeit.start(
        session,
        staff,
        shop_id=body.shop_id,
        product_ids=body.product_ids,
        reason=body.reason,
        case_id=body.case_id,
        campaign_id=body.campaign_id,
        compensation_multiple=body.compensation_multiple,
        window_days=body.window_days,
    )


@router.post("/cases/{case_id}/counterfeit-run", response_model=RunOut, status_code=201)
def start_counterfeit_from_case(session: DbSession, case_id: PathId, staff: Principal = Staff) -> RunOut:
    """From a decided counterfeit case (409 COUNTERFEIT_CASE_NOT_DECIDED otherwise; a second start
    409 COUNTERFEIT_RUN_EXISTS)."""
    return counterfeit.start_from_case(session, staff, case_id)


@router.get("/counterfeit-runs", response_model=list[RunOut])
def counterfeit_runs(session: DbSession, staff: Principal = Staff) -> list[RunOut]:
    return counterfeit.list_runs(session)


@router.get("/counterfeit-runs/{run_id}", response_model=RunOut)
def counterfeit_run(session: DbSession, run_id: PathId, staff: Principal = Staff) -> RunOut:
    """A run's progress, and its final report once done."""
    return counterfeit.get_run(session, run_id)


@router.post("/counterfeit-runs/{run_id}/retry-failed", response_model=RunOut)
def retry_failed(session: DbSession, run_id: PathId, staff: Principal = Staff) -> RunOut:
    counterfeit_refund.retry_failed(session, run_id, staff.user_id)
    return counterfeit.get_run(session, run_id)


# 品牌授权: the merchant files, staff check; branded products sent to review wait in a queue.
merchant_router = APIRouter(prefix="/api/v1/shops", tags=["governance"])


@merchant_router.post("/{shop_id}/brand-authorisations", response_model=brands.BrandAuthOut, status_code=201)
def submit_brand_authorisation(
    session: DbSession, shop_id: PathId, body: brands.BrandAuthIn, principal: Principal = Member
) -> brands.BrandAuthOut:
    """File a brand authorisation (an expired one: 422 BRAND_AUTH_EXPIRED, nothing kept)."""
    return brands.submit(session, principal, shop_id, body)


@merchant_router.get("/{shop_id}/brand-authorisations", response_model=list[brands.BrandAuthOut])
def shop_brand_authorisations(
    session: DbSession, shop_id: PathId, principal: Principal = Member
) -> list[brands.BrandAuthOut]:
    return brands.shop_authorisations(session, principal, shop_id)


@router.get("/brand-authorisations", response_model=list[brands.BrandAuthOut])
def brand_authorisation_queue(
    session: DbSession,
    status: Annotated[
        str, Query(pattern=one_of(BrandAuthorisationStatus))
    ] = BrandAuthorisationStatus.PENDING,
    staff: Principal = Staff,
) -> list[brands.BrandAuthOut]:
    return brands.queue(session, BrandAuthorisationStatus(status))


@router.post("/brand-authorisations/{auth_id}/decide", response_model=brands.BrandAuthOut)
def decide_brand_authorisation(
    session: DbSession, auth_id: PathId, body: brands.DecisionIn, staff: Principal = Staff
) -> brands.BrandAuthOut:
    return brands.decide(session, staff, auth_id, body)


@router.get("/brand-checks", response_model=list[brands.BrandCheckOut])
def brand_checks(
    session: DbSession,
    status: Annotated[str, Query(pattern=one_of(BrandCheckStatus))] = BrandCheckStatus.PENDING,
    staff: Principal = Staff,
) -> list[brands.BrandCheckOut]:
    return brands.check_queue(session, BrandCheckStatus(status))


@router.post("/brand-checks/{check_id}/decide", response_model=brands.BrandCheckOut)
def decide_brand_check(
    session: DbSession, check_id: PathId, body: brands.DecisionIn, staff: Principal = Staff
) -> brands.BrandCheckOut:
    return brands.decide_check(session, staff, check_id, body)


# 神秘买家: plans, samples bought as an ordinary buyer, lab results by order.
@router.post("/inspection-plans", response_model=inspections.PlanOut, status_code=201)
def create_inspection_plan(
    session: DbSession, body: inspections.PlanIn, staff: Principal = Staff
) -> inspections.PlanOut:
    return inspections.create_plan(session, staff, body)


@router.get("/inspection-plans", response_model=list[inspections.PlanOut])
def inspection_plans(session: DbSession, staff: Principal = Staff) -> list[inspections.PlanOut]:
    return inspections.plans(session)


@router.post("/inspection-plans/{plan_id}/sample", response_model=list[inspections.InspectionOut])
def sample_inspection_plan(
    session: DbSession, plan_id: PathId, staff: Principal = Staff
) -> list[inspections.InspectionOut]:
    return inspections.sample(session, staff, plan_id)


@router.get("/inspections", response_model=list[inspections.InspectionOut])
def inspection_list(
    session: DbSession,
    status: Annotated[str | None, Query(pattern=one_of(InspectionStatus))] = None,
    staff: Principal = Staff,
) -> list[inspections.InspectionOut]:
    return inspections.inspections(session, InspectionStatus(status) if status else None)


@router.post("/inspections/by-order/{order_id}/result", response_model=inspections.InspectionOut)
def inspection_result(
    session: DbSession, order_id: PathId, body: inspections.ResultIn, staff: Principal = Staff
) -> inspections.InspectionOut:
    """The lab's verdict (an order no inspection placed: 404 INSPECTION_NOT_FOUND, nothing kept)."""
    return inspections.enter_result(session, staff, order_id, body)


@router.get("/inspection-pass-rates", response_model=list[inspections.CategoryRate])
def inspection_pass_rates(session: DbSession, staff: Principal = Staff) -> list[inspections.CategoryRate]:
    return inspections.pass_rates(session)


# 雷霆计划: crackdown campaigns and their dashboards.
@router.post("/campaigns", response_model=campaigns.CampaignOut, status_code=201)
def create_campaign(
    session: DbSession, body: campaigns.CampaignIn, staff: Principal = Staff
) -> campaigns.CampaignOut:
    return campaigns.create(session, staff, body)


@router.get("/campaigns", response_model=list[campaigns.CampaignOut])
def campaign_list(session: DbSession, staff: Principal = Staff) -> list[campaigns.CampaignOut]:
    return campaigns.list_campaigns(session)


@router.get("/campaigns/{campaign_id}/dashboard", response_model=campaigns.DashboardOut)
def campaign_dashboard(
    session: DbSession, campaign_id: PathId, staff: Principal = Staff
) -> campaigns.DashboardOut:
    return campaigns.dashboard(session, campaign_id)
