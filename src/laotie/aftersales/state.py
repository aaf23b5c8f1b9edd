"""A case's states, the one function that moves it, and its append-only trail.

Each move is one conditional UPDATE (``... WHERE status IN (states it may leave)``): when the
merchant approves while the 48-hour job auto-approves, exactly one wins and the other is told so;
when two refunds of one case race, one pays.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from laotie.aftersales import errors
from laotie.aftersales.models import Case, CaseEvent, CaseEventKind, CaseStatus, Evidence, Party
from laotie.aftersales.schemas import CaseEventOut, CaseOut, EvidenceOut
from laotie.core import clock
from laotie.core.events import emit
from laotie.core.transitions import Transitions, move_where
from laotie.events.aftersales import CaseStatusChanged
from laotie.moderation import service as moderation

S = CaseStatus
# Where each state may go; a move elsewhere is refused with INVALID_CASE_STATE.
TRANSITIONS: Transitions[CaseStatus] = Transitions(
    {
        S.REQUESTED: {S.APPROVED, S.REFUNDED, S.REJECTED, S.IN_REVIEW, S.DISPUTED, S.CANCELLED},
        S.APPROVED: {S.RETURNING, S.DISPUTED, S.CANCELLED},
        S.RETURNING: {S.RECEIVED, S.REJECTED, S.DISPUTED},
        S.RECEIVED: {S.REFUNDED, S.DISPUTED},
        S.REJECTED: {S.DISPUTED, S.CANCELLED},
        S.IN_REVIEW: {S.APPROVED, S.REFUNDED, S.CLOSED},
        S.DISPUTED: {S.APPROVED, S.REFUNDED, S.CLOSED},
        S.REFUNDED: set(),
        S.CLOSED: set(),
        S.CANCELLED: set(),
    }
)
FINAL = {S.REFUNDED, S.CLOSED, S.CANCELLED}
ACTION_ZH = {
    S.APPROVED: "同意",
    S.RETURNING: "填写退货物流",
    S.RECEIVED: "确认收货",
    S.REFUNDED: "退款",
    S.REJECTED: "拒绝",
    S.IN_REVIEW: "转平台审核",
    S.DISPUTED: "申请平台介入",
    S.CLOSED: "关闭",
    S.CANCELLED: "撤销",
}


def record(
    session: Session,
    case_id: int,
    kind: CaseEventKind,
    actor_id: int | None,
    party: Party,
    before: str | None,
    after: str | None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    session.execute(
        insert(CaseEvent).values(
            case_id=case_id,
            actor_id=actor_id,
            party=party.value,
            kind=kind,
            from_status=before,
            to_status=after,
            note=note[:500],
            data=data or {},
            at=clock.now(),
        )
    )
    if after is not None and after != before:
        _announce(session, case_id, party, before, after)


def _announce(session: Session, case_id: int, party: Party, before: str | None, after: str) -> None:
    """Announce that the case opened or changed state (``CaseStatusChanged``)."""
    case = session.get(Case, case_id)
    if case is None:
        return
    emit(
        session,
        CaseStatusChanged(
            case_id=case.id,
            order_id=case.order_id,
            shop_id=case.shop_id,
            buyer_id=case.buyer_id,
            kind=case.kind.value,
            reason=case.reason.value,
            from_status=before,
            to_status=after,
            party=party.value,
            lines=[{"line_id": x.get("line_id"), "quantity": x.get("quantity")} for x in case.lines],
            opened_at=case.created_at.isoformat(),
            at=clock.now().isoformat(),
        ),
    )


def screen_message(session: Session, case_id: int, author_id: int, text: str) -> None:
    """Screen what a party wrote on a case (a WeChat id, 私下退款…): the message is kept as written
    and a hit is stored with it for staff (``moderation`` hits, surface ``aftersales_message``)."""
    if text.strip():
        moderation.screen(
            session,
            text=text,
            surface=moderation.Surface.AFTERSALES_MESSAGE,
            subject_kind="aftersales_case",
            subject_id=case_id,
            author_id=author_id,
        )


def load(session: Session, case_id: int, for_update: bool = False) -> Case:
    query = select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
    if for_update and session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    case = session.scalar(query)
    if case is None:
        raise errors.CASE_NOT_FOUND(case_id=case_id)
    return case


def move(
    session: Session,
    case_id: int,
    to: CaseStatus,
    actor_id: int | None,
    party: Party,
    kind: CaseEventKind,
    note: str = "",
    extra: dict[str, Any] | None = None,
    deadline_at: datetime | None = None,
    strict: bool = True,
    data: dict[str, Any] | None = None,
) -> bool:
    """Move the case into ``to`` if it is in a state that may; False (or an error when ``strict``)
    when someone else moved it first. ``deadline_at`` is the next step's timeout (None: none)."""
    now = clock.now()
    before = session.scalar(select(Case.status).where(Case.id == case_id))
    if before is None:
        raise errors.CASE_NOT_FOUND(case_id=case_id)
    values: dict[str, Any] = {"updated_at": now, "deadline_at": deadline_at, **(extra or {})}
    if to in FINAL:
        values["closed_at"] = now

    def refuse(current: CaseStatus | None, to: CaseStatus) -> Exception:
        status = load(session, case_id).status
        return errors.INVALID_CASE_STATE(status=status.value, action=ACTION_ZH[to], case_id=case_id)

    def trail(before: CaseStatus, to: CaseStatus) -> None:
        record(session, case_id, kind, actor_id, party, before.value, to.value, note, data)

    moved = move_where(
        session, Case, case_id, to, TRANSITIONS, values=values, trail=trail, refuse=refuse if strict else None
    )
    return moved is not None


def event_out(row: CaseEvent) -> CaseEventOut:
    return CaseEventOut(
        id=row.id,
        actor_id=row.actor_id,
        party=row.party,
        kind=row.kind,
        from_status=row.from_status,
        to_status=row.to_status,
        note=row.note,
        data=dict(row.data or {}),
        at=row.at,
    )


def evidence_out(row: Evidence) -> EvidenceOut:
    return EvidenceOut(
        id=row.id,
        case_id=row.case_id,
        party=row.party,
        uploaded_by=row.uploaded_by,
        content_type=row.content_type,
        size_bytes=row.size_bytes,
        note=row.note,
        uploaded_at=row.uploaded_at,
    )


def case_out(session: Session, case: Case, detail: bool = True) -> CaseOut:
    events: list[CaseEventOut] = []
    evidence: list[EvidenceOut] = []
    if detail:
        events = [
            event_out(e)
            for e in session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
            )
        ]
        evidence = [
            evidence_out(e)
            for e in session.scalars(
                select(Evidence).where(Evidence.case_id == case.id).order_by(Evidence.id)
            )
        ]
    return CaseOut(
        id=case.id,
        order_id=case.order_id,
        buyer_id=case.buyer_id,
        shop_id=case.shop_id,
        kind=case.kind,
        reason=case.reason,
        status=case.status,
        description=case.description,
        lines=[dict(x) for x in case.lines],
        amount_fen=case.amount_fen,
        refunded_fen=case.refunded_fen,
        shipping_comp_fen=case.shipping_comp_fen,
        return_carrier=case.return_carrier,
        return_tracking_no=case.return_tracking_no,
        return_shipping_fen=case.return_shipping_fen,
        deadline_at=case.deadline_at,
        escalated_by=case.escalated_by,
        decision=case.decision,
        fault_party=case.fault_party,
        created_at=case.created_at,
        updated_at=case.updated_at,
        closed_at=case.closed_at,
        events=events,
        evidence=evidence,
    )
