"""Governance's public face: the rule center, reports, cases, penalties and appeals.

Routes, pages, the CLI and the demo call these functions; the work is done by use case in
``rules``, ``reports``, ``cases`` (with ``penalties`` and ``points``), ``appeals`` and ``dashboard``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.auth import Principal
from laotie.core.pagination import Page, PageParams
from laotie.governance import cases, penalties, points
from laotie.governance.cases import finish_closures, open_case
from laotie.governance.rules import create_rule, get_rule, list_rules, new_version, seed_rules
from laotie.governance.schemas import CaseDecideIn, CaseOut, PointsOut

__all__ = [
    "create_rule",
    "decide_case",
    "end_due_penalties",
    "finish_closures",
    "get_case",
    "get_rule",
    "list_rules",
    "new_version",
    "open_case",
    "seed_rules",
    "shop_points",
]


def decide_case(session: Session, staff: Principal, case_id: int, body: CaseDecideIn) -> CaseOut:
    return cases.case_out(session, cases.decide(session, staff.user_id, case_id, body))


def get_case(session: Session, case_id: int) -> CaseOut:
    return cases.case_out(session, cases.load_case(session, case_id))


def case_queue(session: Session, params: PageParams, status: str = "open") -> Page[CaseOut]:
    return cases.queue(session, params, status)


def shop_points(session: Session, shop_id: int) -> PointsOut:
    return points.shop_points(session, shop_id)


def end_due_penalties(session: Session) -> int:
    return penalties.end_due(session)
