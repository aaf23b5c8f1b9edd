"""Governance console, integrity side: counterfeit procedures and their refund progress, brand
authorisations and brand checks, mystery-buyer inspections, crackdown campaigns with their
dashboards; and the merchant's 品牌授权 page."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import MERCHANT_ROLES, Principal, Role, require_roles
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.governance.service import brands, campaigns, counterfeit, inspections
from laotie.shops import service as shops
from laotie.web.rendering import CHINA_TZ, PageRoute, redirect, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)
Member = require_roles(*MERCHANT_ROLES)


def _ids(raw: str) -> list[int]:
    return [int(x) for x in raw.replace("，", ",").split(",") if x.strip().isdigit()][:200]


def _day(raw: str) -> datetime:
    """A date typed in a form, as the start of that day in Beijing."""
    return datetime.fromisoformat(raw).replace(tzinfo=CHINA_TZ)


def _fail(target: str, exc: Exception) -> RedirectResponse:
    message = exc.message("zh") if isinstance(exc, AppError) else "填写的内容不正确"
    return redirect(target, message)


# --- counterfeit procedures -------------------------------------------------------------------


@router.get("/governance/counterfeit", response_class=HTMLResponse)
def counterfeit_page(
    request: Request, session: Session = Depends(get_session), principal: Principal = Staff
) -> HTMLResponse:
    return render(
        request,
        session,
        principal,
        "governance_integrity/counterfeit.html",
        runs=counterfeit.list_runs(session),
    )


@router.post("/governance/counterfeit", response_model=None)
def start_counterfeit(
    shop_id: Annotated[int, Form(ge=1, le=2**63 - 1)],
    product_ids: Annotated[str, Form(max_length=2000)],
    reason: Annotated[str, Form(max_length=500)],
    case_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
    compensation_multiple: Annotated[int, Form(ge=0, le=10)] = 3,
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> RedirectResponse:
    try:
        out = counterfeit.start(
            session,
            principal,
            shop_id=shop_id,
            product_ids=_ids(product_ids),
            reason=reason,
            case_id=case_id,
            compensation_multiple=compensation_multiple,
        )
    except AppError as exc:
        session.rollback()
        return _fail("/governance/counterfeit", exc)
    session.commit()
    return redirect(
        f"/governance/counterfeit/{out.id}", "售假处置已启动：提现已冻结、商品已下架，退款在后台进行"
    )


@router.get("/governance/counterfeit/{run_id}", response_class=HTMLResponse)
def counterfeit_run_page(
    request: Request, run_id: PathId, session: Session = Depends(get_session), principal: Principal = Staff
) -> HTMLResponse:
    return render(
        request, session, principal, "governance_integrity/run.html", run=counterfeit.get_run(session, run_id)
    )


# --- brand authorisations ---------------------------------------------------------------------


@router.get("/governance/brands", response_class=HTMLResponse)
def brands_page(
    request: Request, session: Session = Depends(get_session), principal: Principal = Staff
) -> HTMLResponse:
    return render(
        request,
        session,
        principal,
        "governance_integrity/brands.html",
        auths=brands.queue(session),
        checks=brands.check_queue(session),
    )


@router.post("/governance/brands/{kind}/{row_id}/{verdict}", response_model=None)
def decide_brand(
    kind: Literal["auth", "check"],
    row_id: PathId,
    verdict: Literal["approve", "reject"],
    reason: Annotated[str, Form(max_length=200)] = "",
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> RedirectResponse:
    body = brands.DecisionIn(approve=verdict == "approve", reason=reason)
    try:
        if kind == "auth":
            brands.decide(session, principal, row_id, body)
        else:
            brands.decide_check(session, principal, row_id, body)
    except AppError as exc:
        session.rollback()
        return _fail("/governance/brands", exc)
    session.commit()
    return redirect("/governance/brands", "已处理")


@router.get("/merchant/shops/{shop_id}/brands", response_class=HTMLResponse)
def merchant_brands_page(
    request: Request, shop_id: PathId, session: Session = Depends(get_session), principal: Principal = Member
) -> HTMLResponse:
    auths = brands.shop_authorisations(session, principal, shop_id)
    papers = [d for d in shops.list_documents(session, principal, shop_id) if d.kind == "brand_authorization"]
    return render(
        request,
        session,
        principal,
        "governance_integrity/merchant_brands.html",
        shop_id=shop_id,
        auths=auths,
        papers=papers,
    )


@router.post("/merchant/shops/{shop_id}/brands", response_model=None)
def merchant_submit_brand(
    shop_id: PathId,
    brand: Annotated[str, Form(max_length=60)] = "",
    grantors: Annotated[str, Form(max_length=400)] = "",
    valid_from: Annotated[str, Form(max_length=10)] = "",
    valid_until: Annotated[str, Form(max_length=10)] = "",
    document_id: Annotated[int, Form(ge=0, le=2**63 - 1)] = 0,
    scope_note: Annotated[str, Form(max_length=200)] = "",
    session: Session = Depends(get_session),
    principal: Principal = Member,
) -> RedirectResponse:
    # Membership first: another shop's merchant learns nothing from how its form was filled.
    shops.require_shop_member(session, shop_id, principal)
    target = f"/merchant/shops/{shop_id}/brands"
    try:
        body = brands.BrandAuthIn(
            brand=brand,
            grantor_chain=[g.strip() for g in grantors.replace("→", ">").split(">") if g.strip()],
            valid_from=_day(valid_from),
            valid_until=_day(valid_until),
            document_id=document_id,
            scope_note=scope_note,
        )
        brands.submit(session, principal, shop_id, body)
    except (AppError, ValidationError, ValueError) as exc:
        session.rollback()
        return _fail(target, exc)
    session.commit()
    return redirect(target, "已提交，等待平台审核")


# --- inspections --------------------------------------------------------------------------------


@router.get("/governance/inspections", response_class=HTMLResponse)
def inspections_page(
    request: Request, session: Session = Depends(get_session), principal: Principal = Staff
) -> HTMLResponse:
    return render(
        request,
        session,
        principal,
        "governance_integrity/inspections.html",
        plans=inspections.plans(session),
        rows=inspections.inspections(session),
        rates=inspections.pass_rates(session),
    )


@router.post("/governance/inspections/plans", response_model=None)
def create_plan(
    name: Annotated[str, Form(max_length=60)],
    target_kind: Annotated[str, Form(max_length=10)],
    target_ids: Annotated[str, Form(max_length=500)],
    sample_size: Annotated[int, Form(ge=1, le=50)],
    inspector_id: Annotated[int, Form(ge=1, le=2**63 - 1)],
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> RedirectResponse:
    try:
        body = inspections.PlanIn(
            name=name, target_kind=target_kind, target_ids=_ids(target_ids), sample_size=sample_size,
            inspector_id=inspector_id,
        )  # fmt: skip
        plan = inspections.create_plan(session, principal, body)
        placed = inspections.sample(session, principal, plan.id)
    except (AppError, ValidationError) as exc:
        session.rollback()
        return _fail("/governance/inspections", exc)
    session.commit()
    return redirect("/governance/inspections", f"已按普通买家下单 {len(placed)} 件样品")


@router.post("/governance/inspections/result", response_model=None)
def enter_result(
    order_id: Annotated[int, Form(ge=1, le=2**63 - 1)],
    verdict: Annotated[str, Form(max_length=10)],
    lab_name: Annotated[str, Form(max_length=60)],
    report: Annotated[str, Form(max_length=5000)],
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> RedirectResponse:
    try:
        body = inspections.ResultIn(passed=verdict == "pass", lab_name=lab_name, report=report)
        inspections.enter_result(session, principal, order_id, body)
    except (AppError, ValidationError) as exc:
        session.rollback()
        return _fail("/governance/inspections", exc)
    session.commit()
    return redirect("/governance/inspections", "检测结果已录入")


# --- crackdown campaigns --------------------------------------------------------------------------


@router.get("/governance/campaigns", response_class=HTMLResponse)
def campaigns_page(
    request: Request, session: Session = Depends(get_session), principal: Principal = Staff
) -> HTMLResponse:
    return render(
        request,
        session,
        principal,
        "governance_integrity/campaigns.html",
        items=campaigns.list_campaigns(session),
        kinds=campaigns.VIOLATION_KINDS,
        today=clock.now().astimezone(CHINA_TZ).date().isoformat(),
        later=(clock.now() + timedelta(days=30)).astimezone(CHINA_TZ).date().isoformat(),
    )


@router.post("/governance/campaigns", response_model=None)
def create_campaign(
    name: Annotated[str, Form(max_length=60)],
    category_ids: Annotated[str, Form(max_length=500)],
    violation_kinds: Annotated[list[str], Form(max_length=10)],
    starts_on: Annotated[str, Form(max_length=10)],
    ends_on: Annotated[str, Form(max_length=10)],
    description: Annotated[str, Form(max_length=2000)] = "",
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> RedirectResponse:
    try:
        body = campaigns.CampaignIn(
            name=name, description=description, category_ids=_ids(category_ids), violation_kinds=violation_kinds,
            starts_at=_day(starts_on), ends_at=_day(ends_on),
        )  # fmt: skip
        out = campaigns.create(session, principal, body)
    except (AppError, ValidationError, ValueError) as exc:
        session.rollback()
        return _fail("/governance/campaigns", exc)
    session.commit()
    return redirect(f"/governance/campaigns/{out.id}", "专项治理已创建")


@router.get("/governance/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(
    request: Request,
    campaign_id: PathId,
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> HTMLResponse:
    return render(
        request,
        session,
        principal,
        "governance_integrity/campaign.html",
        board=campaigns.dashboard(session, campaign_id),
    )
