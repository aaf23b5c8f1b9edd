"""Merchant console: 违规记录 (rule, evidence shown to the shop, penalties and their ends, points this
year) and 申诉 (once per case, within 7 days, with a statement and photos)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.core import clock
from laotie.core.auth import AnyUser, Principal
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.pagination import PageParams
from laotie.governance import service as governance
from laotie.governance.schemas import AppealIn, CaseStatus
from laotie.shops import service as shops
from laotie.web import forms
from laotie.web.pages_governance_public import LABELS
from laotie.web.rendering import PageRoute, redirect, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 20


@router.get("/merchant/violations", response_class=HTMLResponse)
def violations(
    request: Request,
    shop: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    my_shops = shops.shops_of(session, principal.user_id)
    current = next((s for s in my_shops if s.id == shop), my_shops[0] if my_shops and shop is None else None)
    if current is None:
        return render(
            request, session, principal, "governance/merchant_violations.html", shop=None, my_shops=my_shops
        )
    result = governance.shop_record(
        session, current.id, PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    )
    return render(
        request,
        session,
        principal,
        "governance/merchant_violations.html",
        shop=current,
        my_shops=my_shops,
        result=result,
        points=governance.shop_points(session, current.id),
        base="/merchant/violations",
        query={"shop": current.id},
        **LABELS,
    )


def _case_page(
    request: Request,
    session: Session,
    principal: Principal,
    case_id: int,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    case = governance.my_case(session, principal, case_id)
    can_appeal = (
        case.status == CaseStatus.VIOLATION
        and case.appeal is None
        and case.appeal_until is not None
        and clock.now() <= case.appeal_until
    )
    return render(
        request,
        session,
        principal,
        "governance/merchant_case.html",
        status_code=status_code,
        case=case,
        can_appeal=can_appeal,
        error=error,
        sources={},
        **LABELS,
    )


@router.get("/merchant/violations/{case_id}", response_class=HTMLResponse)
def violation(
    request: Request, case_id: PathId, session: Session = Depends(get_session), principal: Principal = AnyUser
) -> HTMLResponse:
    return _case_page(request, session, principal, case_id)


@router.post("/merchant/violations/{case_id}/appeal", response_model=None)
def appeal(
    request: Request,
    case_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    try:
        ids = []
        for upload in forms.uploads(form, "photos")[:9]:
            data = forms.upload_bytes(upload, request.app.state.settings.max_upload_bytes)
            ids.append(governance.upload_evidence(session, request.app.state.storage, principal, data).id)
        link = str(form.get("link", "")).strip()
        try:
            body = AppealIn(
                statement=str(form.get("statement", ""))[:2000],
                links=[link] if link else [],
                evidence_ids=ids,
            )
        except ValidationError as exc:
            raise forms.validation_message(exc) from None
        governance.file_appeal(session, principal, case_id, body)
    except AppError as exc:
        session.rollback()
        return _case_page(request, session, principal, case_id, exc.message("zh"), exc.status)
    session.commit()
    return redirect(f"/merchant/violations/{case_id}", "申诉已提交，将由其他工作人员复核")
