"""Governance's public face: the rule center, reports, cases, penalties and appeals.

Routes, pages, the CLI and the demo call these functions; the work is done by use case in
``rules``, ``reports``, ``cases`` (with ``penalties`` and ``points``), ``appeals`` and ``dashboard``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.catalog import service as catalog
from laotie.core.auth import Principal
from laotie.core.pagination import Page, PageParams
from laotie.governance import appeals, case_views, cases, errors, penalties, points, reports

# Brand authorisations, the counterfeit procedure, inspections and crackdowns: their own use-case
# modules, opened here as they are to the pages and routes.
from laotie.governance import brands as brands
from laotie.governance import campaigns as campaigns
from laotie.governance import counterfeit as counterfeit
from laotie.governance import inspections as inspections
from laotie.governance.appeals import file as file_appeal
from laotie.governance.appeals import party_case
from laotie.governance.appeals import queue as appeal_queue
from laotie.governance.cases import finish_closures, open_case
from laotie.governance.dashboard import figures as dashboard
from laotie.governance.evidence import upload as upload_evidence
from laotie.governance.labels import TRAIL_LABELS
from laotie.governance.models import CaseStatus, TrailObject
from laotie.governance.reports import mine as my_report
from laotie.governance.reports import my_reports, rate
from laotie.governance.reports import queue as report_queue
from laotie.governance.reports import submit as submit_report
from laotie.governance.rules import create_rule, get_rule, list_rules, new_version, seed_rules
from laotie.governance.schemas import (
    AppealDecideIn,
    AppealOut,
    CaseDecideIn,
    CaseIn,
    CaseOut,
    PointsOut,
    ReportDecideIn,
    ReportOut,
    TrailOut,
)
from laotie.governance.trail import trail_of
from laotie.shops import service as shops

__all__ = [
    "TRAIL_LABELS",
    "appeal_queue",
    "case_queue",
    "case_trail",
    "create_rule",
    "dashboard",
    "decide_appeal",
    "decide_case",
    "decide_report",
    "end_due_penalties",
    "file_appeal",
    "finish_closures",
    "get_case",
    "get_report",
    "get_rule",
    "list_rules",
    "my_case",
    "my_report",
    "my_reports",
    "new_version",
    "open_case",
    "open_staff_case",
    "party_case",
    "rate",
    "report_queue",
    "seed_rules",
    "shop_points",
    "shop_record",
    "submit_report",
    "upload_evidence",
]


def decide_case(session: Session, staff: Principal, case_id: int, body: CaseDecideIn) -> CaseOut:
    return case_views.case_out(session, cases.decide(session, staff.user_id, case_id, body))


def open_staff_case(session: Session, staff: Principal, body: CaseIn) -> CaseOut:
    """平台巡查: staff open a case by hand, with their summary and links as evidence."""
    shop_id = body.subject_id if body.subject_kind == "shop" else None
    if body.subject_kind == "product":
        shop_id = catalog.inspect_product(session, staff, body.subject_id).shop_id
    elif body.subject_kind == "shop":
        shops.get_shop(session, body.subject_id)
    else:
        accounts.get_user_out(session, body.subject_id)  # USER_NOT_FOUND for nobody
    if any(not link.startswith(("http://", "https://")) or len(link) > 500 for link in body.links):
        raise errors.BAD_EVIDENCE(why="链接须以 http:// 或 https:// 开头")
    evidence: list[dict[str, object] | str] = [{"kind": "link", "url": link} for link in body.links]
    case = open_case(
        session,
        source="staff",
        subject_kind=body.subject_kind,
        subject_id=body.subject_id,
        shop_id=shop_id,
        rule_code=body.rule_code,
        summary=body.summary,
        evidence=evidence,
        actor_id=staff.user_id,
    )
    return case_views.case_out(session, case)


def get_case(session: Session, case_id: int) -> CaseOut:
    return case_views.case_out(session, cases.load_case(session, case_id))


def my_case(session: Session, principal: Principal, case_id: int) -> CaseOut:
    """A case as its merchant (or creator) sees it: the evidence shown to them, not the reporter's."""
    return case_views.case_out(session, party_case(session, principal, case_id), subject_view=True)


def case_trail(session: Session, case_id: int) -> list[TrailOut]:
    case = cases.load_case(session, case_id)
    objects = [(TrailObject.CASE, case.id)]
    if case.report_id is not None:
        objects.append((TrailObject.REPORT, case.report_id))
    appeal = case_views.case_out(session, case).appeal
    if appeal is not None:
        objects.append((TrailObject.APPEAL, appeal.id))
    return trail_of(session, objects)


def case_queue(session: Session, params: PageParams, status: CaseStatus = CaseStatus.OPEN) -> Page[CaseOut]:
    return case_views.queue(session, params, status)


def shop_record(session: Session, shop_id: int, params: PageParams) -> Page[CaseOut]:
    return case_views.shop_record(session, shop_id, params)


def get_report(session: Session, report_id: int) -> ReportOut:
    return reports.report_out(session, reports.load(session, report_id))


def decide_report(session: Session, staff: Principal, report_id: int, body: ReportDecideIn) -> ReportOut:
    return reports.decide(session, staff, report_id, body)


def decide_appeal(session: Session, staff: Principal, appeal_id: int, body: AppealDecideIn) -> AppealOut:
    return appeals.decide(session, staff, appeal_id, body)


def shop_points(session: Session, shop_id: int) -> PointsOut:
    return points.shop_points(session, shop_id)


def end_due_penalties(session: Session) -> int:
    return penalties.end_due(session)
