"""规则中心 for everyone, and 举报 for logged-in users: the report form, 我的举报 and its rating."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.core.auth import AnyUser, Principal, PublicAccess
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.pagination import PageParams
from laotie.governance import service as governance
from laotie.governance.schemas import (
    ACTION_LABELS,
    CATEGORY_LABELS,
    SEVERITY_LABELS,
    TARGET_LABELS,
    RatingIn,
    ReportIn,
    TargetKind,
)
from laotie.web import errors as web_errors
from laotie.web import forms
from laotie.web.rendering import PageRoute, redirect, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 20
LABELS: dict[str, Any] = {
    "categories": CATEGORY_LABELS,
    "severities": {k.value: v for k, v in SEVERITY_LABELS.items()},
    "actions": {k.value: v for k, v in ACTION_LABELS.items()},
    "targets": {k.value: v for k, v in TARGET_LABELS.items()},
}


@router.get("/rules", response_class=HTMLResponse)
def rulebook(
    request: Request,
    category: Annotated[str, Query(max_length=30)] = "",
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    book = governance.list_rules(session)
    shown = [r for r in book if not category or r.category == category]
    counts = {c: sum(1 for r in book if r.category == c) for c in CATEGORY_LABELS}
    return render(
        request,
        session,
        principal,
        "governance/rules.html",
        rules=shown,
        total=len(book),
        category=category,
        counts=counts,
        **LABELS,
    )


@router.get("/rules/{code}", response_class=HTMLResponse)
def rule_page(
    request: Request,
    code: Annotated[str, Path(max_length=40)],
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    return render(
        request, session, principal, "governance/rule.html", rule=governance.get_rule(session, code), **LABELS
    )


def _report_form(
    request: Request,
    session: Session,
    principal: Principal,
    kind: str,
    target_id: int,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    reasons = [r for r in governance.list_rules(session) if kind in r.report_kinds]
    return render(
        request,
        session,
        principal,
        "governance/report_form.html",
        status_code=status_code,
        kind=kind,
        target_id=target_id,
        reasons=reasons,
        error=error,
        **LABELS,
    )


@router.get("/report", response_class=HTMLResponse)
def report_form(
    request: Request,
    kind: TargetKind,
    target: Annotated[int, Query(ge=1, le=2**63 - 1)],
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    return _report_form(request, session, principal, kind.value, target)


@router.post("/report", response_model=None)
def submit_report(
    request: Request,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    kind = str(form.get("kind", ""))
    raw_target = str(form.get("target_id", ""))
    target_id = int(raw_target) if raw_target.isdigit() and len(raw_target) < 19 else 0
    if kind not in {k.value for k in TargetKind}:
        kind = TargetKind.PRODUCT.value
    try:
        evidence_ids = []
        for upload in forms.uploads(form, "photos")[:9]:
            data = forms.upload_bytes(upload, request.app.state.settings.max_upload_bytes)
            evidence_ids.append(
                governance.upload_evidence(session, request.app.state.storage, principal, data).id
            )
        link = str(form.get("link", "")).strip()
        order = str(form.get("order_id", "")).strip()
        try:
            body = ReportIn(
                target_kind=TargetKind(kind),
                target_id=target_id,
                rule_code=str(form.get("rule_code", "")),
                description=str(form.get("description", ""))[:1000],
                links=[link] if link else [],
                order_id=int(order) if order.isdigit() and len(order) < 19 else None,
                evidence_ids=evidence_ids,
            )
        except ValidationError as exc:
            raise forms.validation_message(exc) from None
        out = governance.submit_report(session, principal, body)
    except AppError as exc:
        session.rollback()
        return _report_form(request, session, principal, kind, target_id, exc.message("zh"), exc.status)
    session.commit()
    return redirect(f"/me/reports/{out.id}", "举报已提交，平台会尽快处理")


@router.get("/me/reports", response_class=HTMLResponse)
def my_reports(
    request: Request,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    result = governance.my_reports(
        session, principal, PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    )
    return render(
        request,
        session,
        principal,
        "governance/my_reports.html",
        result=result,
        base="/me/reports",
        query={},
        **LABELS,
    )


@router.get("/me/reports/{report_id}", response_class=HTMLResponse)
def my_report(
    request: Request,
    report_id: PathId,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    return render(
        request,
        session,
        principal,
        "governance/my_report.html",
        report=governance.my_report(session, principal, report_id),
        **LABELS,
    )


@router.post("/me/reports/{report_id}/rating", response_model=None)
def rate(
    request: Request,
    report_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    stars = str(form.get("stars", ""))
    if stars not in {"1", "2", "3", "4", "5"}:
        raise web_errors.FORM_FIELDS_INVALID(fields="评分")
    body = RatingIn(stars=int(stars), comment=str(form.get("comment", ""))[:300])
    governance.rate(session, principal, report_id, body)
    session.commit()
    return redirect(f"/me/reports/{report_id}", "感谢你的评价")
