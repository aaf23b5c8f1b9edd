"""Cases: opened from a report, a detector, an inspection, a score or by staff; decided against the
rule version in force; each decision's penalties, points and events in one transaction.

Deciding locks the case row (SELECT ... FOR UPDATE on PostgreSQL; SQLite writers take turns), so of
two staff members deciding at once one wins and the other gets ``CASE_ALREADY_DECIDED``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal, Role
from laotie.core.events import emit
from laotie.events.governance import CaseDecided, ViolationConfirmed
from laotie.governance import errors, penalties, points, rules
from laotie.governance import evidence as proofs
from laotie.governance.models import (
    CASE_TRANSITIONS,
    Appeal,
    AppealStatus,
    Case,
    CaseStatus,
    Penalty,
    PenaltyStatus,
    Report,
    TrailAction,
    TrailObject,
)
from laotie.governance.schemas import (
    APPEAL_DAYS,
    SEVERITY_RANK,
    ActionKind,
    CaseDecideIn,
    Severity,
)
from laotie.governance.trail import move_recorded, record
from laotie.shops import service as shops
from laotie.shops.schemas import ShopEventKind, ShopPrivateOut, ShopStatus
from laotie.social import service as social

# Reads a shop's private side (its owner) to tell them of a decision; acts on nothing.
VIEWER = Principal(user_id=0, roles=frozenset({Role.GOVERNANCE}))


def open_case(
    session: Session,
    *,
    source: str,
    subject_kind: str,
    subject_id: int,
    shop_id: int | None,
    rule_code: str,
    summary: str,
    evidence: Sequence[dict[str, Any] | str] = (),
    campaign_id: int | None = None,
    actor_id: int | None = None,
    product_id: int | None = None,
    user_id: int | None = None,
    report_id: int | None = None,
) -> Case:
    """A new open case under the rule version in force now. ``evidence`` items are statements (str)
    or dicts with any of ``kind`` (text, link, order, detector, inspection, score), ``note``, ``url``,
    ``order_id``, ``data`` and ``shown`` (False keeps it from the merchant)."""
    _, version = rules.version_in_force(session, rule_code)
    if subject_kind == "product" and product_id is None:
        product_id = subject_id
    if subject_kind == "user" and user_id is None:
        user_id = subject_id
    if subject_kind == "shop" and shop_id is None:
        shop_id = subject_id
    case = Case(
        source=source,
        subject_kind=subject_kind,
        subject_id=subject_id,
        shop_id=shop_id,
        product_id=product_id,
        user_id=user_id,
        rule_code=rule_code,
        rule_version_id=version.id,
        violation_kind=version.violation_kinds[0],
        severity_rank=SEVERITY_RANK[Severity(version.severity)],
        summary=summary[:1000],
        status=CaseStatus.OPEN,
        points=0,
        campaign_id=campaign_id,
        report_id=report_id,
        created_by=actor_id,
        created_at=clock.now(),
        decision_note="",
    )
    session.add(case)
    session.flush()
    for item in evidence:
        spec: dict[str, Any] = {"kind": "text", "note": item} if isinstance(item, str) else dict(item)
        proofs.add(
            session,
            "case",
            case.id,
            spec.get("kind", "text"),
            note=spec.get("note", ""),
            url=spec.get("url"),
            order_id=spec.get("order_id"),
            data=spec.get("data"),
            shown=spec.get("shown", True),
            added_by=actor_id,
        )
    record(
        session,
        TrailObject.CASE,
        case.id,
        TrailAction.OPENED,
        actor_id,
        summary,
        {
            "source": source,
            "rule_code": rule_code,
            "rule_version": version.version,
            "campaign_id": campaign_id,
        },
    )
    return case


def load_case(session: Session, case_id: int, *, lock: bool = False) -> Case:
    query = select(Case).where(Case.id == case_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    case = session.scalar(query)
    if case is None:
        raise errors.CASE_NOT_FOUND(case_id=case_id)
    return case


def _is_repeat(session: Session, case: Case) -> bool:
    """A repeat offence: the same subject (its shop when it has one) broke the same rule within a year."""
    column = (
        Case.shop_id == case.shop_id
        if case.shop_id is not None
        else ((Case.subject_kind == case.subject_kind) & (Case.subject_id == case.subject_id))
    )
    earlier = session.scalar(
        select(func.count(Case.id)).where(
            column,
            Case.rule_code == case.rule_code,
            Case.status == CaseStatus.VIOLATION,
            Case.id != case.id,
            Case.decided_at >= clock.now() - timedelta(days=365),
        )
    )
    return bool(earlier)


def _product_ids(case: Case) -> list[int]:
    return [case.product_id] if case.product_id is not None else []


def decide(session: Session, actor_id: int | None, case_id: int, body: CaseDecideIn) -> Case:
    """Staff (or, with ``actor_id`` None, a rule on its own) decide an open case."""
    case = load_case(session, case_id, lock=True)
    decision = CaseStatus.VIOLATION if body.violation else CaseStatus.DISMISSED

    def refuse(_before: CaseStatus, _to: CaseStatus) -> Exception:
        return errors.CASE_ALREADY_DECIDED(case_id=case_id)

    if not CASE_TRANSITIONS.allows(case.status, decision):  # refused before anything is written
        raise refuse(case.status, decision)
    if actor_id is not None and case.report_id is not None:
        reporter = session.scalar(select(Report.reporter_id).where(Report.id == case.report_id))
        if reporter == actor_id:
            raise errors.SELF_DECISION(case_id=case_id)
    if body.rule_code and body.rule_code != case.rule_code:
        _, other = rules.version_in_force(session, body.rule_code)
        record(
            session,
            TrailObject.CASE,
            case.id,
            TrailAction.RULE_CHANGED,
            actor_id,
            body.note,
            {"from": case.rule_code, "to": body.rule_code},
        )
        case.rule_code = body.rule_code
        case.rule_version_id = other.id
        case.violation_kind = other.violation_kinds[0]
        case.severity_rank = SEVERITY_RANK[Severity(other.severity)]
    now = clock.now()
    case.decided_by = actor_id
    case.decided_at = now
    case.decision_note = body.note
    if decision is CaseStatus.DISMISSED:
        move_recorded(
            session,
            case,
            decision,
            CASE_TRANSITIONS,
            refuse=refuse,
            object_kind=TrailObject.CASE,
            actor_id=actor_id,
            reason=body.note,
            action=TrailAction.DISMISSED,
        )
        _announce_decision(session, case)
        session.flush()
        return case
    penalties.require_open_shop(session, case.shop_id)
    version = rules.version_by_id(session, case.rule_version_id)
    case.offence = "repeat" if _is_repeat(session, case) else "first"
    step = version.penalties[case.offence]
    case.points = int(step.get("points", 0)) if case.shop_id is not None else 0
    case.appeal_until = now + timedelta(days=APPEAL_DAYS)
    move_recorded(
        session,
        case,
        decision,
        CASE_TRANSITIONS,
        refuse=refuse,
        object_kind=TrailObject.CASE,
        actor_id=actor_id,
        reason=body.note,
        data={"offence": case.offence, "points": case.points, "rule_version": version.version},
        action=TrailAction.VIOLATION_CONFIRMED,
    )
    for action in step.get("actions", []):
        row = penalties.apply(
            session, case, ActionKind(action["kind"]), action.get("days"), actor_id, version.title
        )
        if row is not None:
            record(
                session,
                TrailObject.CASE,
                case.id,
                TrailAction.PENALTY_APPLIED,
                actor_id,
                "",
                {
                    "penalty_id": row.id,
                    "kind": row.kind,
                    "ends_at": row.ends_at.isoformat() if row.ends_at else None,
                },
            )
    if penalties.add_points(session, case, case.points) is not None:
        record(
            session,
            TrailObject.CASE,
            case.id,
            TrailAction.POINTS_ADDED,
            actor_id,
            f"扣{case.points}分",
            {"points": case.points},
        )
    reached = points.sync_thresholds(session, case, actor_id)
    has_closure = any(p.kind == ActionKind.CLOSURE.value for p in penalties.penalties_of(session, case.id))
    if "closure" in reached and not has_closure:
        row = penalties.closure(session, case, actor_id, f"{now.year}年累计扣分达到48分", threshold=True)
        if row is not None:
            record(
                session,
                TrailObject.CASE,
                case.id,
                TrailAction.PENALTY_APPLIED,
                actor_id,
                "累计扣分达到48分：清退店铺",
                {"penalty_id": row.id, "kind": row.kind},
            )
    emit(
        session,
        ViolationConfirmed(
            case_id=case.id,
            rule_code=case.rule_code,
            violation_kind=case.violation_kind,
            subject_kind=case.subject_kind,
            subject_id=case.subject_id,
            shop_id=case.shop_id,
            product_id=case.product_id,
            user_id=case.user_id,
            points=case.points,
            decided_at=now.isoformat(),
        ),
    )
    _announce_decision(session, case)
    tell_party(session, case, f"违规处罚：{version.title}", body.note, f"case:{case.id}:decided")
    session.flush()
    return case


def tell_party(session: Session, case: Case, title: str, body: str, key: str) -> None:
    """The shop's owner (or the judged anchor/creator) hears of a decision in their 消息 inbox."""
    user_id = case.user_id
    if case.shop_id is not None:
        view = shops.shop_view(session, case.shop_id, VIEWER)
        user_id = view.owner_id if isinstance(view, ShopPrivateOut) else user_id
    if user_id:
        social.notify(
            session,
            user_id=user_id,
            kind="governance_case",
            title=title,
            body=body,
            link=f"/merchant/violations/{case.id}",
            source_key=f"governance.{key}",
        )


def _announce_decision(session: Session, case: Case) -> None:
    """``outcome`` is the case's new status: violation or dismissed."""
    emit(
        session,
        CaseDecided(
            case_id=case.id,
            rule_code=case.rule_code,
            violation_kind=case.violation_kind,
            outcome=case.status,
            shop_id=case.shop_id,
            product_ids=_product_ids(case),
            campaign_id=case.campaign_id,
            decided_at=(case.decided_at or clock.now()).isoformat(),
            decided_by=case.decided_by,
        ),
    )


def finish_closures(session: Session, limit: int = 100) -> int:
    """清退 takes effect when the appeal window has passed with no appeal pending or won."""
    now = clock.now()
    rows = session.execute(
        select(Penalty, Case)
        .join(Case, Case.id == Penalty.case_id)
        .where(
            Penalty.kind == "closure",
            Penalty.status == PenaltyStatus.ACTIVE,
            Case.appeal_until <= now,
        )
        .limit(limit)
    ).all()
    closed = 0
    for penalty, case in rows:
        pending = session.scalar(
            select(Appeal.id).where(Appeal.case_id == case.id, Appeal.status == AppealStatus.OPEN)
        )
        if pending is not None:
            continue
        closed += close_now(session, penalty, case, "申诉期满，店铺清退")
    return closed


def close_now(session: Session, penalty: Penalty, case: Case, why: str) -> int:
    if not penalties._close_row(session, penalty, PenaltyStatus.ENDED, why):
        return 0
    if penalty.shop_id and shops.get_shop(session, penalty.shop_id).status != ShopStatus.CLOSED:
        shops.transition(
            session, penalty.shop_id, ShopStatus.CLOSED, case.decided_by, ShopEventKind.CLOSED, why
        )
    record(
        session, TrailObject.CASE, case.id, TrailAction.SHOP_CLOSED, None, why, {"shop_id": penalty.shop_id}
    )
    return 1
