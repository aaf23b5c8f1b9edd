"""The governance dashboard's figures: reports answered within their target time, reporters'
satisfaction, cases by rule and source, appeals, penalties in force."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.governance import rules
from laotie.governance.models import (
    Appeal,
    AppealStatus,
    Case,
    CaseStatus,
    Penalty,
    PenaltyStatus,
    Report,
    ReportStatus,
)
from laotie.governance.schemas import DashboardOut, RuleCount


def figures(session: Session) -> DashboardOut:
    total = session.scalar(select(func.count(Report.id))) or 0
    open_ = session.scalar(select(func.count(Report.id)).where(Report.status == ReportStatus.OPEN)) or 0
    decided = total - open_
    in_time = (
        session.scalar(
            select(func.count(Report.id)).where(
                Report.status != ReportStatus.OPEN, Report.decided_at <= Report.due_at
            )
        )
        or 0
    )
    rated, average = session.execute(
        select(func.count(Report.rating), func.avg(Report.rating)).where(Report.rating.is_not(None))
    ).one()
    titles = {r.code: r.title for r in rules.list_rules(session)}
    by_rule = session.execute(
        select(Case.rule_code, func.count(Case.id))
        .where(Case.status.in_(list(CaseStatus)))
        .group_by(Case.rule_code)
        .order_by(func.count(Case.id).desc(), Case.rule_code)
        .limit(15)
    ).all()
    by_source = {
        row[0]: row[1]
        for row in session.execute(select(Case.source, func.count(Case.id)).group_by(Case.source))
    }
    appeals = {
        row[0]: row[1]
        for row in session.execute(select(Appeal.status, func.count(Appeal.id)).group_by(Appeal.status))
    }
    return DashboardOut(
        reports_total=total,
        reports_open=open_,
        reports_decided=decided,
        answered_in_time=in_time,
        answered_in_time_share=round(in_time / decided, 4) if decided else None,
        satisfaction=round(float(average), 2) if average is not None else None,
        ratings=rated or 0,
        cases_open=session.scalar(select(func.count(Case.id)).where(Case.status == CaseStatus.OPEN)) or 0,
        cases_by_rule=[
            RuleCount(code=code, title=titles.get(code, code), cases=count) for code, count in by_rule
        ],
        cases_by_source={str(k): int(v) for k, v in by_source.items()},
        appeals_open=int(appeals.get(AppealStatus.OPEN, 0)),
        appeals_upheld=int(appeals.get(AppealStatus.UPHELD, 0)),
        appeals_rejected=int(appeals.get(AppealStatus.REJECTED, 0)),
        penalties_active=session.scalar(
            select(func.count(Penalty.id)).where(Penalty.status == PenaltyStatus.ACTIVE)
        )
        or 0,
    )
