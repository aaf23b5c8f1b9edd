"""Governance console, part two: report, case and appeal queues, case pages with evidence and trail,
the rule-center editor and the dashboard. Every action needs the governance role and a reason, and
is written to the governance trail (who, when, why)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.accounts import service as accounts
from laotie.core.auth import Principal, Role, require_roles
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.pagination import PageParams
from laotie.governance import service as governance
from laotie.governance.schemas import (
    SOURCE_LABELS,
    AppealDecideIn,
    AppealStatus,
    CaseDecideIn,
    CaseIn,
    CaseStatus,
    ReportDecideIn,
    ReportStatus,
    RuleVersionIn,
)
from laotie.web import forms
from laotie.web.pages_governance_charts import bar_chart
from laotie.web.pages_governance_public import LABELS
from laotie.web.rendering import PageRoute, redirect, render

router = APIRouter(prefix="/governance", include_in_schema=False, route_class=PageRoute)
Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)
PAGE_SIZE = 20
Pg = Annotated[int, Query(ge=1, le=1000)]
CONTEXT: dict[str, Any] = {**LABELS, "sources": SOURCE_LABELS, "trail_labels": governance.TRAIL_LABELS}


def _params(page: int) -> PageParams:
    return PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)


def _act(
    request: Request, session: Session, run: Callable[[], object], back: str, done: str
) -> RedirectResponse:
    """Run a staff action; a refusal goes back to the page with its message, nothing written."""
    try:
        run()
    except AppError as exc:
        session.rollback()
        return redirect(back, f"未能完成：{exc.message('zh')}")
    except ValidationError as exc:
        session.rollback()
        return redirect(back, f"未能完成：{forms.validation_message(exc).message('zh')}")
    session.commit()
    return redirect(back, done)


def _queue(
    request: Request,
    session: Session,
    principal: Principal,
    name: str,
    result: object,
    status: str,
    **extra: Any,
) -> HTMLResponse:
    """A staff queue (reports, cases, appeals): one page of ``result``, filtered by ``status``."""
    return render(
        request,
        session,
        principal,
        f"governance/{name}.html",
        result=result,
        status=status,
        base=f"/governance/{name}",
        query={"status": status},
        **extra,
        **CONTEXT,
    )


@router.get("/reports", response_class=HTMLResponse)
def reports(
    request: Request,
    status: ReportStatus = ReportStatus.OPEN,
    page: Pg = 1,
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> HTMLResponse:
    result = governance.report_queue(session, _params(page), status)
    return _queue(request, session, principal, "reports", result, status)


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(
    request: Request, report_id: PathId, session: Session = Depends(get_session), principal: Principal = Staff
) -> HTMLResponse:
    report = governance.get_report(session, report_id)
    reporter = accounts.get_user_out(session, report.reporter_id)
    return render(
        request, session, principal, "governance/report.html", report=report, reporter=reporter, **CONTEXT
    )


@router.post("/reports/{report_id}/decide", response_model=None)
def decide_report(
    request: Request,
    report_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> RedirectResponse:
    upheld = form.get("upheld") == "1"
    note = str(form.get("note", ""))[:500]
    back = f"/governance/reports/{report_id}"
    return _act(
        request,
        session,
        lambda: governance.decide_report(
            session, principal, report_id, ReportDecideIn(upheld=upheld, note=note)
        ),
        back,
        "已处理举报并通知举报人",
    )


@router.get("/cases", response_class=HTMLResponse)
def cases(
    request: Request,
    status: CaseStatus = CaseStatus.OPEN,
    page: Pg = 1,
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> HTMLResponse:
    result = governance.case_queue(session, _params(page), status)
    return _queue(request, session, principal, "cases", result, status, rules=governance.list_rules(session))


@router.post("/cases", response_model=None)
def open_case(
    request: Request,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> RedirectResponse:
    raw = str(form.get("subject_id", ""))
    created: list[int] = []

    def run() -> None:
        body = CaseIn(
            subject_kind=str(form.get("subject_kind", "shop")),  # type: ignore[arg-type]
            subject_id=int(raw) if raw.isdigit() and len(raw) < 19 else 0,
            rule_code=str(form.get("rule_code", "")),
            summary=str(form.get("summary", ""))[:1000],
        )
        created.append(governance.open_staff_case(session, principal, body).id)

    response = _act(request, session, run, "/governance/cases", "已立案")
    return redirect(f"/governance/cases/{created[0]}", "已立案") if created else response


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request, case_id: PathId, session: Session = Depends(get_session), principal: Principal = Staff
) -> HTMLResponse:
    case = governance.get_case(session, case_id)
    trail = governance.case_trail(session, case_id)
    actors = {t.actor_id for t in trail if t.actor_id}
    names = {uid: accounts.get_user_out(session, uid).nickname for uid in actors}
    return render(
        request,
        session,
        principal,
        "governance/case.html",
        case=case,
        trail=trail,
        names=names,
        rules=governance.list_rules(session),
        **CONTEXT,
    )


@router.post("/cases/{case_id}/decide", response_model=None)
def decide_case(
    request: Request,
    case_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> RedirectResponse:
    violation = form.get("violation") == "1"
    note = str(form.get("note", ""))[:1000]
    rule_code = str(form.get("rule_code", "")) or None
    return _act(
        request,
        session,
        lambda: governance.decide_case(
            session, principal, case_id, CaseDecideIn(violation=violation, note=note, rule_code=rule_code)
        ),
        f"/governance/cases/{case_id}",
        "已判定" if violation else "已驳回（不构成违规）",
    )


@router.get("/appeals", response_class=HTMLResponse)
def appeals(
    request: Request,
    status: AppealStatus = AppealStatus.OPEN,
    page: Pg = 1,
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> HTMLResponse:
    result = governance.appeal_queue(session, _params(page), status)
    return _queue(request, session, principal, "appeals", result, status)


@router.post("/appeals/{appeal_id}/decide", response_model=None)
def decide_appeal(
    request: Request,
    appeal_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> RedirectResponse:
    upheld = form.get("upheld") == "1"
    note = str(form.get("note", ""))[:1000]
    back = (
        str(form.get("back", ""))
        if str(form.get("back", "")).startswith("/governance/cases/")
        else "/governance/appeals"
    )
    return _act(
        request,
        session,
        lambda: governance.decide_appeal(
            session, principal, appeal_id, AppealDecideIn(upheld=upheld, note=note)
        ),
        back,
        "申诉成立，处罚已撤销" if upheld else "申诉已驳回",
    )


@router.get("/rules", response_class=HTMLResponse)
def rule_editor(
    request: Request, session: Session = Depends(get_session), principal: Principal = Staff
) -> HTMLResponse:
    return render(
        request,
        session,
        principal,
        "governance/rule_editor_list.html",
        rules=governance.list_rules(session),
        **CONTEXT,
    )


@router.get("/rules/{code}", response_class=HTMLResponse)
def rule_edit(
    request: Request,
    code: Annotated[str, Path(max_length=40)],
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> HTMLResponse:
    rule = governance.get_rule(session, code)
    penalties = json.dumps(rule.current.penalties, ensure_ascii=False, indent=1)
    return render(
        request, session, principal, "governance/rule_edit.html", rule=rule, penalties=penalties, **CONTEXT
    )


@router.post("/rules/{code}", response_model=None)
def rule_save(
    request: Request,
    code: Annotated[str, Path(max_length=40)],
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> RedirectResponse:
    back = f"/governance/rules/{code}"

    def run() -> None:
        current = governance.get_rule(session, code).current
        try:
            schedule = json.loads(str(form.get("penalties", "")))
        except json.JSONDecodeError:
            schedule = None
        effective = str(form.get("effective_at", "")).strip()
        body = RuleVersionIn.model_validate(
            {
                **current.model_dump(
                    include={
                        "category",
                        "violation_kinds",
                        "report_kinds",
                        "detector_reasons",
                        "scores",
                        "auto_decide",
                    }
                ),
                "title": str(form.get("title", "")),
                "text": str(form.get("text", "")),
                "severity": str(form.get("severity", current.severity.value)),
                "penalties": schedule,
                "evidence_required": form.get("evidence_required") == "1",
                "effective_at": f"{effective}T00:00:00+08:00" if effective else None,
                "change_note": str(form.get("change_note", ""))[:300],
            }
        )
        governance.new_version(session, code, body, principal.user_id)

    return _act(request, session, run, back, "已发布新版本")


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request, session: Session = Depends(get_session), principal: Principal = Staff
) -> HTMLResponse:
    figures = governance.dashboard(session)
    by_rule = bar_chart([(f"{r.code} {r.title}", r.cases) for r in figures.cases_by_rule], unit="件")
    by_source = bar_chart(
        [(SOURCE_LABELS.get(k, k), v) for k, v in figures.cases_by_source.items()], unit="件"
    )
    return render(
        request,
        session,
        principal,
        "governance/dashboard.html",
        figures=figures,
        by_rule=by_rule,
        by_source=by_source,
        **CONTEXT,
    )
