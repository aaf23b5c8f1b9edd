"""纠纷判责: governance staff judge an escalated case (or a refund-only claim sent to review) on both
sides' evidence and the order's trail. The decision executes itself and is announced as
``DisputeDecided`` with the party at fault, for the governance domain to turn into a violation."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.aftersales import errors
from laotie.aftersales.flow import shipping_comp
from laotie.aftersales.models import CaseEventKind as E
from laotie.aftersales.models import CaseKind, CaseStatus, Party
from laotie.aftersales.opening import refund_case
from laotie.aftersales.schemas import CaseOut, Decision, DecisionIn, DisputeView, FaultParty, OrderTrailItem
from laotie.aftersales.state import case_out, load, move, record
from laotie.core.auth import Principal
from laotie.core.events import emit
from laotie.events.aftersales import DisputeDecided
from laotie.orders import service as orders
from laotie.orders.schemas import OrderEventKind

JUDGED = {CaseStatus.DISPUTED, CaseStatus.IN_REVIEW}


def dispute_view(session: Session, case_id: int) -> DisputeView:
    case = load(session, case_id)
    order = orders.refundable_order(session, case.order_id)
    trail = [
        OrderTrailItem(
            kind=e.kind,
            from_status=e.from_status,
            to_status=e.to_status,
            actor_id=e.actor_id,
            reason=e.reason,
            at=e.at,
        )
        for e in orders.order_trail(session, case.order_id)
    ]
    return DisputeView(
        case=case_out(session, case),
        order_status=order.status,
        order_payable_fen=order.payable_fen,
        order_refunded_fen=order.refunded_fen,
        order_trail=trail,
    )


def decide(session: Session, staff: Principal, case_id: int, body: DecisionIn) -> CaseOut:
    case = load(session, case_id)
    if case.status not in JUDGED:
        raise errors.INVALID_CASE_STATE(status=case.status.value, action="判责", case_id=case_id)
    order = orders.refundable_order(session, case.order_id)
    most = min(case.amount_fen, order.refundable_fen)
    amount = 0
    if body.decision == Decision.PARTIAL_REFUND:
        if body.amount_fen is None:
            raise errors.INVALID_DECISION(reason="部分退款需填写金额")
        if body.amount_fen > most:
            raise errors.AMOUNT_TOO_HIGH(max_fen=most)
        amount = body.amount_fen
    elif body.amount_fen is not None:
        raise errors.INVALID_DECISION(reason="只有部分退款填写金额")
    elif body.decision == Decision.REFUND:
        amount = most
    if body.decision in (Decision.REFUND, Decision.PARTIAL_REFUND) and amount <= 0:
        raise errors.AMOUNT_TOO_HIGH(max_fen=0)
    if body.decision == Decision.RETURN and order.delivered_at is None and order.completed_at is None:
        raise errors.INVALID_DECISION(reason="商品未签收，不能判退货")
    extra = {"decision": body.decision.value, "fault_party": body.fault_party.value}
    record(
        session,
        case.id,
        E.DECIDED,
        staff.user_id,
        Party.STAFF,
        case.status.value,
        case.status.value,
        body.note,
        {"decision": body.decision.value, "fault_party": body.fault_party.value, "amount_fen": amount},
    )
    if body.decision in (Decision.REFUND, Decision.PARTIAL_REFUND):
        comp = (
            shipping_comp(case) if body.fault_party == FaultParty.MERCHANT and case.return_tracking_no else 0
        )
        # Record the decision first: refund_case moves the case and pays it.
        move_extra_only(session, case.id, extra)
        refund_case(
            session,
            case.id,
            amount,
            staff.user_id,
            Party.STAFF,
            E.DECISION_REFUND,
            body.note or "平台判定退款",
            shipping_comp_fen=comp,
        )
    elif body.decision == Decision.RETURN:
        move(
            session,
            case.id,
            CaseStatus.APPROVED,
            staff.user_id,
            Party.STAFF,
            E.DECISION_RETURN,
            body.note or "平台判定退货退款",
            extra={**extra, "kind": CaseKind.RETURN},
        )
    else:
        move(
            session,
            case.id,
            CaseStatus.CLOSED,
            staff.user_id,
            Party.STAFF,
            E.DECISION_REJECT,
            body.note or "平台驳回",
            extra=extra,
        )
    emit(
        session,
        DisputeDecided(
            case_id=case.id,
            order_id=case.order_id,
            shop_id=case.shop_id,
            buyer_id=case.buyer_id,
            kind=case.kind.value,
            decision=body.decision.value,
            fault_party=body.fault_party.value,
            amount_fen=amount,
            decided_by=staff.user_id,
        ),
    )
    orders.note(
        session,
        case.order_id,
        OrderEventKind.AFTERSALES_DECIDED,
        staff.user_id,
        f"售后单{case.id}：{body.decision.value}",
    )
    return case_out(session, load(session, case.id))


def move_extra_only(session: Session, case_id: int, values: dict[str, str]) -> None:
    case = load(session, case_id)
    for name, value in values.items():
        setattr(case, name, value)
    session.flush()
