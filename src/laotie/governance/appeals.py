"""申诉: the party a violation was found against appeals once, within 7 days of the decision, with a
statement and evidence; a staff member other than the one who decided the case answers. A successful
appeal reverses the case exactly: every measure still in force is undone (points stop counting,
freezes lift, delisted products return, standing restrictions lift) and ``governance.violation_reversed``
tells the other domains."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.events import emit
from laotie.core.pagination import Page, PageParams
from laotie.events.governance import ViolationReversed
from laotie.governance import case_views, cases, errors, penalties, points
from laotie.governance import evidence as proofs
from laotie.governance.models import (
    APPEAL_TRANSITIONS,
    CASE_TRANSITIONS,
    Appeal,
    AppealStatus,
    Case,
    CaseStatus,
    PenaltyStatus,
    TrailAction,
    TrailObject,
)
from laotie.governance.schemas import AppealDecideIn, AppealIn, AppealOut
from laotie.governance.trail import move_recorded, record
from laotie.shops import service as shops


def is_party(session: Session, principal: Principal, case: Case) -> bool:
    """The merchant's owner and staff answer for a shop's case; a creator or anchor for their own."""
    if case.shop_id is not None and shops.member_role(session, case.shop_id, principal.user_id) is not None:
        return True
    return case.user_id is not None and case.user_id == principal.user_id


def party_case(session: Session, principal: Principal, case_id: int) -> Case:
    case = cases.load_case(session, case_id)
    if not is_party(session, principal, case) or case.status == CaseStatus.OPEN:
        raise errors.NOT_CASE_PARTY(case_id=case_id)
    return case


def file(session: Session, principal: Principal, case_id: int, body: AppealIn) -> AppealOut:
    case = cases.load_case(session, case_id, lock=True)
    if not is_party(session, principal, case):
        raise errors.NOT_CASE_PARTY(case_id=case_id)
    if case.status != CaseStatus.VIOLATION:
        raise errors.NOT_APPEALABLE(case_id=case_id)
    if session.scalar(select(Appeal.id).where(Appeal.case_id == case_id)) is not None:
        raise errors.APPEAL_EXISTS(case_id=case_id)
    if case.appeal_until is None or clock.now() > case.appeal_until:
        raise errors.APPEAL_DEADLINE_PASSED(case_id=case_id)
    links = [link.strip() for link in body.links if link.strip()]
    if any(not link.startswith(("http://", "https://")) for link in links):
        raise errors.BAD_EVIDENCE(why="链接须以 http:// 或 https:// 开头")
    row = Appeal(
        case_id=case_id,
        appellant_id=principal.user_id,
        statement=body.statement.strip(),
        status=AppealStatus.OPEN,
        created_at=clock.now(),
        decision_note="",
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # the same case appealed at the same moment from two tabs
        raise errors.APPEAL_EXISTS(case_id=case_id) from None
    proofs.claim(session, principal, body.evidence_ids, "appeal", row.id, shown=True)
    for link in links:
        proofs.add(session, "appeal", row.id, "link", url=link, added_by=principal.user_id)
    record(
        session,
        TrailObject.APPEAL,
        row.id,
        TrailAction.FILED,
        principal.user_id,
        body.statement[:300],
        {"case_id": case_id},
    )
    record(
        session,
        TrailObject.CASE,
        case_id,
        TrailAction.APPEALED,
        principal.user_id,
        body.statement[:300],
        {"appeal_id": row.id},
    )
    return case_views.appeal_out(session, row)


def load(session: Session, appeal_id: int, *, lock: bool = False) -> Appeal:
    query = select(Appeal).where(Appeal.id == appeal_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = session.scalar(query)
    if row is None:
        raise errors.APPEAL_NOT_FOUND(appeal_id=appeal_id)
    return row


def decide(session: Session, staff: Principal, appeal_id: int, body: AppealDecideIn) -> AppealOut:
    row = load(session, appeal_id)
    case = cases.load_case(session, row.case_id, lock=True)  # the case first, as every decision locks it
    row = load(session, appeal_id, lock=True)
    decision = AppealStatus.UPHELD if body.upheld else AppealStatus.REJECTED

    def refuse(_before: AppealStatus, _to: AppealStatus) -> Exception:
        return errors.APPEAL_ALREADY_DECIDED(appeal_id=appeal_id)

    if not APPEAL_TRANSITIONS.allows(row.status, decision):  # refused before anything is written
        raise refuse(row.status, decision)
    if row.appellant_id == staff.user_id:
        raise errors.SELF_DECISION(appeal_id=appeal_id)
    if case.decided_by == staff.user_id:
        raise errors.SAME_DECIDER(appeal_id=appeal_id)
    now = clock.now()
    row.decided_by = staff.user_id
    row.decided_at = now
    row.decision_note = body.note
    move_recorded(
        session,
        row,
        decision,
        APPEAL_TRANSITIONS,
        refuse=refuse,
        object_kind=TrailObject.APPEAL,
        actor_id=staff.user_id,
        reason=body.note,
        data={"case_id": case.id},
    )
    outcome = "申诉成立，处罚已撤销" if body.upheld else "申诉被驳回"
    cases.tell_party(session, case, f"申诉结果：{outcome}", body.note, f"appeal:{row.id}")
    if body.upheld:
        _reverse(session, staff, case, body.note)
    else:
        record(
            session,
            TrailObject.CASE,
            case.id,
            TrailAction.APPEAL_REJECTED,
            staff.user_id,
            body.note,
            {"appeal_id": row.id},
        )
        # The one appeal is spent: a pending closure need not wait for the window to end.
        for penalty in penalties.penalties_of(session, case.id):
            if penalty.kind == "closure" and penalty.status == PenaltyStatus.ACTIVE:
                cases.close_now(session, penalty, case, "申诉被驳回，店铺清退")
    session.flush()
    return case_views.appeal_out(session, row)


def _reverse(session: Session, staff: Principal, case: Case, note: str) -> None:
    def refuse(_before: CaseStatus, _to: CaseStatus) -> Exception:
        return errors.NOT_APPEALABLE(case_id=case.id)

    # Only a violation is reversed (an appeal is filed against nothing else): refused before anything
    # is undone.
    if not CASE_TRANSITIONS.allows(case.status, CaseStatus.REVERSED):
        raise refuse(case.status, CaseStatus.REVERSED)
    why = f"申诉成功，撤销处罚：{note}"[:200]
    undone = penalties.reverse_all(session, case, staff.user_id, why)
    case.reversed_at = clock.now()
    points.sync_thresholds(session, case, staff.user_id)
    _release_threshold_closures(session, staff, case, why)
    move_recorded(
        session,
        case,
        CaseStatus.REVERSED,
        CASE_TRANSITIONS,
        refuse=refuse,
        object_kind=TrailObject.CASE,
        actor_id=staff.user_id,
        reason=note,
        data={"penalty_ids": [p.id for p in undone], "points_returned": case.points},
        action=TrailAction.REVERSED,
    )
    emit(
        session,
        ViolationReversed(
            case_id=case.id,
            rule_code=case.rule_code,
            violation_kind=case.violation_kind,
            subject_kind=case.subject_kind,
            subject_id=case.subject_id,
            shop_id=case.shop_id,
            product_id=case.product_id,
            user_id=case.user_id,
            points=case.points,
            reversed_at=case.reversed_at.isoformat(),
        ),
    )


def _release_threshold_closures(session: Session, staff: Principal, case: Case, why: str) -> None:
    """A closure another case added for crossing 48 points goes too once the total is below 48."""
    if case.shop_id is None or points.year_points(session, case.shop_id, clock.now().year) >= 48:
        return
    for other in session.scalars(
        select(Case).where(
            Case.shop_id == case.shop_id, Case.status == CaseStatus.VIOLATION, Case.id != case.id
        )
    ).all():
        for penalty in penalties.penalties_of(session, other.id):
            if (
                penalty.kind == "closure"
                and penalty.status == PenaltyStatus.ACTIVE
                and penalty.undo.get("threshold")
            ):
                penalties.reverse_one(session, penalty, other, staff.user_id, why)
                record(
                    session,
                    TrailObject.CASE,
                    other.id,
                    TrailAction.PENALTY_REVERSED,
                    staff.user_id,
                    why,
                    {"penalty_id": penalty.id},
                )


def queue(session: Session, params: PageParams, status: AppealStatus = AppealStatus.OPEN) -> Page[AppealOut]:
    where = Appeal.status == status
    total = session.scalar(select(func.count(Appeal.id)).where(where)) or 0
    order = Appeal.created_at if status == AppealStatus.OPEN else Appeal.decided_at.desc()
    rows = session.scalars(
        select(Appeal).where(where).order_by(order).limit(params.limit).offset(params.offset)
    ).all()
    return Page(
        items=[case_views.appeal_out(session, r) for r in rows],
        total=total,
        limit=params.limit,
        offset=params.offset,
    )
