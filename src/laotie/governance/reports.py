"""举报/投诉: a logged-in user reports something under a rule, with evidence; staff answer in a queue
ordered by severity and age, each kind with a target answer time; the reporter is told the outcome
(in their 消息 inbox and on 我的举报) and may rate how it was handled.

An upheld report opens a case against the target (or joins the open one under the same rule), so
the penalty is decided, trailed and appealable like any other case.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.errors import AppError
from laotie.core.events import emit
from laotie.core.pagination import Page, PageParams
from laotie.events.governance import ReportDecided
from laotie.governance import cases, errors, rules
from laotie.governance import evidence as proofs
from laotie.governance.models import (
    REPORT_TRANSITIONS,
    Case,
    CaseStatus,
    Report,
    ReportStatus,
    TrailAction,
    TrailObject,
)
from laotie.governance.schemas import (
    ANSWER_HOURS,
    SEVERITY_RANK,
    TARGET_LABELS,
    RatingIn,
    ReportDecideIn,
    ReportIn,
    ReportOut,
    Severity,
    TargetKind,
)
from laotie.governance.trail import move_recorded, record
from laotie.live import service as live
from laotie.orders import service as orders
from laotie.reviews import service as reviews
from laotie.shops import service as shops
from laotie.social import service as social
from laotie.video import service as video

# What a target is: (shop id, product id, user id) of whoever answers for it.
Owner = tuple[int | None, int | None, int | None]


def _resolve(session: Session, principal: Principal, kind: TargetKind, target_id: int) -> Owner:
    """Check the reported thing exists (as its viewer would see it) and find whom it concerns."""
    shown = {
        TargetKind.REVIEW: reviews.is_shown,
        TargetKind.VIDEO_COMMENT: video.comment_shown,
        TargetKind.LIVE_COMMENT: live.comment_shown,
    }.get(kind)
    if shown is not None and not shown(session, target_id):
        raise errors.REPORT_TARGET_NOT_FOUND()
    try:
        if kind is TargetKind.PRODUCT:
            product = catalog.get_listed(session, target_id)
            return product.shop_id, product.id, None
        if kind is TargetKind.SHOP:
            shop = shops.get_shop(session, target_id)
            if shop.status not in shops.PUBLIC:
                raise errors.REPORT_TARGET_NOT_FOUND()
            return shop.id, None, None
        if kind is TargetKind.VIDEO:
            clip = video.detail(session, target_id, principal)
            return clip.shop_id, None, clip.author_id
        if kind is TargetKind.LIVE_SESSION:
            broadcast = live.get_session(session, target_id)
            return broadcast.shop_id, None, broadcast.anchor_user_id
        if kind is TargetKind.ANCHOR:
            return None, None, accounts.get_user_out(session, target_id).id
    except AppError as exc:
        if exc.status == 404:
            raise errors.REPORT_TARGET_NOT_FOUND() from None
        raise
    return None, None, None


def report_out(session: Session, row: Report, *, with_evidence: bool = True) -> ReportOut:
    version = rules.version_by_id(session, row.rule_version_id)
    return ReportOut(
        id=row.id,
        reporter_id=row.reporter_id,
        target_kind=row.target_kind,
        target_id=row.target_id,
        shop_id=row.shop_id,
        product_id=row.product_id,
        rule_code=row.rule_code,
        rule_title=version.title,
        severity_rank=row.severity_rank,
        description=row.description,
        order_id=row.order_id,
        status=row.status,
        due_at=row.due_at,
        overdue=row.status == ReportStatus.OPEN and row.due_at < clock.now(),
        created_at=row.created_at,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        case_id=row.case_id,
        rating=row.rating,
        rating_comment=row.rating_comment,
        evidence=proofs.of(session, [("report", row.id)]) if with_evidence else [],
    )


def submit(session: Session, principal: Principal, body: ReportIn) -> ReportOut:
    _, version = rules.version_in_force(session, body.rule_code)
    if body.target_kind.value not in version.report_kinds:
        raise errors.REPORT_REASON_NOT_APPLICABLE(
            rule_code=body.rule_code, target_kind=body.target_kind.value
        )
    links = [link.strip() for link in body.links if link.strip()]
    if any(not link.startswith(("http://", "https://")) or len(link) > 500 for link in links):
        raise errors.BAD_EVIDENCE(why="链接须以 http:// 或 https:// 开头")
    if version.evidence_required and not (links or body.order_id or body.evidence_ids):
        raise errors.EVIDENCE_REQUIRED(rule_code=body.rule_code)
    if body.order_id is not None:
        try:
            orders.buyer_order(session, principal, body.order_id)
        except AppError:
            raise errors.NOT_YOUR_ORDER(order_id=body.order_id) from None
    shop_id, product_id, _ = _resolve(session, principal, body.target_kind, body.target_id)
    now = clock.now()
    row = Report(
        reporter_id=principal.user_id,
        target_kind=body.target_kind.value,
        target_id=body.target_id,
        shop_id=shop_id,
        product_id=product_id,
        rule_code=body.rule_code,
        rule_version_id=version.id,
        severity_rank=SEVERITY_RANK[Severity(version.severity)],
        description=body.description.strip(),
        order_id=body.order_id,
        status=ReportStatus.OPEN,
        due_at=now + timedelta(hours=ANSWER_HOURS[body.target_kind]),
        created_at=now,
        decision_note="",
        rating_comment="",
    )
    session.add(row)
    session.flush()
    # The reporter's own files and order stay with governance: shown to the merchant they would name them.
    proofs.claim(session, principal, body.evidence_ids, "report", row.id, shown=False)
    for link in links:
        proofs.add(session, "report", row.id, "link", url=link, added_by=principal.user_id)
    if body.order_id is not None:
        proofs.add(
            session,
            "report",
            row.id,
            "order",
            order_id=body.order_id,
            shown=False,
            added_by=principal.user_id,
        )
    record(
        session,
        TrailObject.REPORT,
        row.id,
        TrailAction.SUBMITTED,
        principal.user_id,
        body.description[:200],
        {"rule_code": body.rule_code},
    )
    return report_out(session, row)


def load(session: Session, report_id: int, *, lock: bool = False) -> Report:
    query = select(Report).where(Report.id == report_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = session.scalar(query)
    if row is None:
        raise errors.REPORT_NOT_FOUND(report_id=report_id)
    return row


def mine(session: Session, principal: Principal, report_id: int) -> ReportOut:
    row = load(session, report_id)
    if row.reporter_id != principal.user_id:
        raise errors.REPORT_NOT_FOUND(report_id=report_id)
    return report_out(session, row)


def my_reports(session: Session, principal: Principal, params: PageParams) -> Page[ReportOut]:
    where = Report.reporter_id == principal.user_id
    total = session.scalar(select(func.count(Report.id)).where(where)) or 0
    rows = session.scalars(
        select(Report).where(where).order_by(Report.id.desc()).limit(params.limit).offset(params.offset)
    ).all()
    return Page(
        items=[report_out(session, r, with_evidence=False) for r in rows],
        total=total,
        limit=params.limit,
        offset=params.offset,
    )


def queue(session: Session, params: PageParams, status: ReportStatus = ReportStatus.OPEN) -> Page[ReportOut]:
    """Open reports: most severe first, then the oldest (the nearest to its answer time)."""
    where = Report.status == status
    total = session.scalar(select(func.count(Report.id)).where(where)) or 0
    order = (
        (Report.severity_rank.desc(), Report.created_at)
        if status == ReportStatus.OPEN
        else (Report.decided_at.desc(),)
    )
    rows = session.scalars(
        select(Report).where(where).order_by(*order).limit(params.limit).offset(params.offset)
    ).all()
    return Page(
        items=[report_out(session, r, with_evidence=False) for r in rows],
        total=total,
        limit=params.limit,
        offset=params.offset,
    )


def _case_subject(row: Report) -> tuple[str, int]:
    kind = TargetKind(row.target_kind)
    if kind is TargetKind.ANCHOR:
        return "user", row.target_id
    return kind.value, row.target_id


def decide(session: Session, staff: Principal, report_id: int, body: ReportDecideIn) -> ReportOut:
    row = load(session, report_id, lock=True)
    decision = ReportStatus.UPHELD if body.upheld else ReportStatus.REJECTED

    def refuse(_before: ReportStatus, _to: ReportStatus) -> Exception:
        return errors.REPORT_ALREADY_DECIDED(report_id=report_id)

    if not REPORT_TRANSITIONS.allows(row.status, decision):  # refused before anything is written
        raise refuse(row.status, decision)
    if row.reporter_id == staff.user_id:
        raise errors.SELF_DECISION(report_id=report_id)
    now = clock.now()
    row.decided_at = now
    row.decided_by = staff.user_id
    row.decision_note = body.note
    if body.upheld:
        kind, subject_id = _case_subject(row)
        existing = session.scalar(
            select(Case).where(
                Case.subject_kind == kind,
                Case.subject_id == subject_id,
                Case.rule_code == row.rule_code,
                Case.status == CaseStatus.OPEN,
            )
        )
        if existing is None:
            owner = _owner_of(session, staff, row)
            existing = cases.open_case(
                session,
                source="report",
                subject_kind=kind,
                subject_id=subject_id,
                shop_id=owner[0],
                product_id=owner[1],
                user_id=owner[2],
                rule_code=row.rule_code,
                summary=f"用户举报{TARGET_LABELS[TargetKind(row.target_kind)]}：{row.description or body.note}",
                evidence=[{"kind": "text", "note": body.note}],
                actor_id=staff.user_id,
                report_id=row.id,
            )
        row.case_id = existing.id
        record(
            session,
            TrailObject.CASE,
            existing.id,
            TrailAction.REPORT_JOINED,
            staff.user_id,
            body.note,
            {"report_id": row.id},
        )
    move_recorded(
        session,
        row,
        decision,
        REPORT_TRANSITIONS,
        refuse=refuse,
        object_kind=TrailObject.REPORT,
        actor_id=staff.user_id,
        reason=body.note,
        data={"case_id": row.case_id},
    )
    emit(
        session,
        ReportDecided(
            report_id=row.id,
            target_kind=row.target_kind,
            target_id=row.target_id,
            shop_id=row.shop_id,
            product_id=row.product_id,
            reason_code=row.rule_code,
            upheld=body.upheld,
            decided_at=now.isoformat(),
        ),
    )
    outcome = "举报属实，平台已立案处理" if body.upheld else "经核实，暂未发现违规"
    social.notify(
        session,
        user_id=row.reporter_id,
        kind="report_decided",
        title=f"你的举报已处理：{outcome}",
        body=body.note[:300],
        link=f"/me/reports/{row.id}",
        source_key=f"governance.report:{row.id}",
    )
    session.flush()
    return report_out(session, row)


def _owner_of(session: Session, staff: Principal, row: Report) -> tuple[int | None, int | None, int | None]:
    try:
        return _resolve(session, staff, TargetKind(row.target_kind), row.target_id)
    except AppError:  # the target went away meanwhile: the report's own record still names the shop
        return row.shop_id, row.product_id, None


def rate(session: Session, principal: Principal, report_id: int, body: RatingIn) -> ReportOut:
    row = load(session, report_id, lock=True)
    if row.reporter_id != principal.user_id:
        raise errors.REPORT_NOT_FOUND(report_id=report_id)
    if row.status == ReportStatus.OPEN:
        raise errors.REPORT_NOT_DECIDED(report_id=report_id)
    if row.rating is not None:
        raise errors.ALREADY_RATED(report_id=report_id)
    row.rating = body.stars
    row.rating_comment = body.comment.strip()
    row.rated_at = clock.now()
    record(
        session,
        TrailObject.REPORT,
        row.id,
        TrailAction.RATED,
        principal.user_id,
        body.comment,
        {"stars": body.stars},
    )
    session.flush()
    return report_out(session, row)
