"""What staff and a case's subject see of cases and appeals: the read side of ``cases``."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.pagination import Page, PageParams
from laotie.governance import evidence as proofs
from laotie.governance import penalties, rules
from laotie.governance.models import Appeal, Case, CaseStatus
from laotie.governance.schemas import AppealOut, CaseOut


def case_out(session: Session, case: Case, *, subject_view: bool = False) -> CaseOut:
    version = rules.version_by_id(session, case.rule_version_id)
    appeal = session.scalar(select(Appeal).where(Appeal.case_id == case.id))
    return CaseOut(
        id=case.id,
        source=case.source,
        subject_kind=case.subject_kind,
        subject_id=case.subject_id,
        shop_id=case.shop_id,
        product_id=case.product_id,
        user_id=case.user_id,
        rule_code=case.rule_code,
        rule_version=version.version,
        rule_title=version.title,
        violation_kind=case.violation_kind,
        severity_rank=case.severity_rank,
        summary=case.summary,
        status=case.status,
        offence=case.offence,
        points=case.points,
        campaign_id=case.campaign_id,
        report_id=case.report_id,
        created_at=case.created_at,
        decided_at=case.decided_at,
        decision_note=case.decision_note,
        appeal_until=case.appeal_until,
        reversed_at=case.reversed_at,
        penalties=[penalties.penalty_out(p) for p in penalties.penalties_of(session, case.id)],
        # Staff also see the report's own proof (its photos, the reporter's order); the subject does not.
        evidence=proofs.of(session, [("case", case.id)], subject_view=True)
        if subject_view
        else proofs.of(
            session, [("case", case.id)] + ([("report", case.report_id)] if case.report_id else [])
        ),
        appeal=appeal_out(session, appeal) if appeal else None,
    )


def queue(
    session: Session,
    params: PageParams,
    status: CaseStatus = CaseStatus.OPEN,
    shop_id: int | None = None,
) -> Page[CaseOut]:
    """Open cases most severe first, then oldest; decided ones newest first."""
    where = [Case.status == status]
    if shop_id is not None:
        where.append(Case.shop_id == shop_id)
    order = (Case.severity_rank.desc(), Case.created_at) if status == CaseStatus.OPEN else (Case.id.desc(),)
    total = session.scalar(select(func.count(Case.id)).where(*where)) or 0
    rows = session.scalars(
        select(Case).where(*where).order_by(*order).limit(params.limit).offset(params.offset)
    ).all()
    return Page(
        items=[case_out(session, c) for c in rows], total=total, limit=params.limit, offset=params.offset
    )


def shop_record(session: Session, shop_id: int, params: PageParams) -> Page[CaseOut]:
    """违规记录: the shop's confirmed (and reversed) violations, with the evidence shown to it."""
    where = (Case.shop_id == shop_id, Case.status.in_((CaseStatus.VIOLATION, CaseStatus.REVERSED)))
    total = session.scalar(select(func.count(Case.id)).where(*where)) or 0
    rows = session.scalars(
        select(Case).where(*where).order_by(Case.id.desc()).limit(params.limit).offset(params.offset)
    ).all()
    return Page(
        items=[case_out(session, c, subject_view=True) for c in rows],
        total=total,
        limit=params.limit,
        offset=params.offset,
    )


def appeal_out(session: Session, row: Appeal) -> AppealOut:
    return AppealOut(
        id=row.id,
        case_id=row.case_id,
        appellant_id=row.appellant_id,
        statement=row.statement,
        status=row.status,
        created_at=row.created_at,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        evidence=proofs.of(session, [("appeal", row.id)]),
    )
