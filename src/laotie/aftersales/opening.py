"""Opening a case: 7-day no-reason and fault returns, refund only, and 7-day price protection.

Everything a buyer may be refused is checked before anything is written: the order is theirs and
paid, no other case is open on it, the window, the exempt categories confirmed at checkout, photo
evidence for refund-only after shipment, amounts within what is left. The same Idempotency-Key
returns the case the first call opened.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from laotie.aftersales import amounts, errors, protection
from laotie.aftersales.models import Case, CaseKind, CaseReason, CaseStatus, Evidence, Party
from laotie.aftersales.models import CaseEventKind as E
from laotie.aftersales.payback import pay_back
from laotie.aftersales.schemas import MERCHANT_FAULT, OPEN, CaseIn, CaseOut
from laotie.aftersales.state import case_out, load, move, record, screen_message
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.orders import errors as order_errors
from laotie.orders import service as orders
from laotie.orders.schemas import OrderEventKind, OrderStatus
from laotie.settings import get_settings

PAID_STATES = {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED}
RETURN_REASONS = {CaseReason.NO_REASON, *MERCHANT_FAULT}
# The step each kind of case writes on the order's own trail when it opens.
ORDER_NOTE = {
    CaseKind.RETURN: OrderEventKind.AFTERSALES_RETURN,
    CaseKind.REFUND_ONLY: OrderEventKind.AFTERSALES_REFUND_ONLY,
    CaseKind.PRICE_PROTECTION: OrderEventKind.AFTERSALES_PRICE_PROTECTION,
}


def paid_case_lines(session: Session, order_id: int) -> list[list[dict[str, object]]]:
    rows = session.scalars(
        select(Case.lines).where(Case.order_id == order_id, Case.status == CaseStatus.REFUNDED)
    ).all()
    return [list(r) for r in rows]


def refund_only_abusive(session: Session, buyer_id: int) -> bool:
    """Refund-only claims on more than the configured share of the buyer's last N delivered orders."""
    settings = get_settings()
    delivered = orders.delivered_order_ids(session, buyer_id, settings.refund_only_abuse_window)
    if not delivered:
        return False
    claims = (
        session.scalar(
            select(func.count(func.distinct(Case.order_id))).where(
                Case.order_id.in_(delivered),
                Case.kind == CaseKind.REFUND_ONLY,
                Case.status.not_in((CaseStatus.CANCELLED, CaseStatus.CLOSED, CaseStatus.REJECTED)),
            )
        )
        or 0
    )
    return claims >= settings.refund_only_abuse_min_claims and (
        claims * 10_000 > settings.refund_only_abuse_rate_bp * len(delivered)
    )


def _check_return(order: orders.RefundableOrder, body: CaseIn, chosen: list[dict[str, object]]) -> None:
    settings = get_settings()
    if body.reason not in RETURN_REASONS:
        raise errors.ORDER_NOT_ELIGIBLE(reason="退货原因不正确")
    received = order.delivered_at or order.completed_at
    if received is None:
        raise errors.ORDER_NOT_ELIGIBLE(reason="商品签收后才能退货，未收到货可申请仅退款或联系商家")
    days = (
        settings.return_window_days if body.reason == CaseReason.NO_REASON else settings.quality_return_days
    )
    if clock.now() > received + timedelta(days=days):
        raise errors.RETURN_WINDOW_CLOSED(days=days)
    if body.reason == CaseReason.NO_REASON:
        by_id = {line.line_id: line for line in order.lines}
        for item in chosen:
            line = by_id[int(str(item["line_id"]))]
            if line.return_exempt:
                raise errors.RETURN_EXEMPT(title=line.title)


def _attach_evidence(session: Session, buyer_id: int, case_id: int, evidence_ids: list[int]) -> None:
    for evidence_id in sorted(set(evidence_ids)):
        done = session.execute(
            update(Evidence)
            .where(Evidence.id == evidence_id, Evidence.uploaded_by == buyer_id, Evidence.case_id.is_(None))
            .values(case_id=case_id)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise errors.INVALID_LINES(reason=f"凭证 {evidence_id} 不存在或已使用")


def _usable_evidence(session: Session, buyer_id: int, evidence_ids: list[int]) -> int:
    if not evidence_ids:
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(Evidence)
            .where(
                Evidence.id.in_(evidence_ids), Evidence.uploaded_by == buyer_id, Evidence.case_id.is_(None)
            )
        )
        or 0
    )


def open_case(session: Session, buyer: Principal, body: CaseIn, idempotency_key: str) -> CaseOut:
    if not idempotency_key or len(idempotency_key) > 100:
        raise errors.IDEMPOTENCY_KEY_REQUIRED()
    previous = session.scalar(
        select(Case).where(Case.buyer_id == buyer.user_id, Case.idempotency_key == idempotency_key)
    )
    if previous is not None:
        return case_out(session, previous)
    # Everything below is computed from the order, its lines and the cases already paid: hold the
    # order row until commit, so two openings on one order (any kinds) run one after the other and
    # the second prices from what the first paid (issue 9: five 七天保价 claims each paid).
    order = orders.refundable_order(session, body.order_id, lock=True)
    if order.buyer_id != buyer.user_id:
        raise order_errors.ORDER_NOT_FOUND(order_id=body.order_id)
    previous = session.scalar(  # the same key may have committed while this one waited for the lock
        select(Case).where(Case.buyer_id == buyer.user_id, Case.idempotency_key == idempotency_key)
    )
    if previous is not None:
        return case_out(session, previous)
    if order.status not in PAID_STATES:
        raise errors.ORDER_NOT_ELIGIBLE(reason="订单未支付或已关闭")
    open_cases = session.scalar(
        select(func.count()).select_from(Case).where(Case.order_id == order.order_id, Case.status.in_(OPEN))
    )
    if open_cases:
        raise errors.CASE_ALREADY_OPEN(order_id=order.order_id)
    if len(set(line.line_id for line in body.lines)) != len(body.lines):
        raise errors.INVALID_LINES(reason="商品行重复")
    left = amounts.lines_left(order, paid_case_lines(session, order.order_id))
    wanted = [(x.line_id, x.quantity) for x in body.lines]
    settings = get_settings()
    now = clock.now()
    status = CaseStatus.REQUESTED
    deadline = now + timedelta(hours=settings.aftersales_merchant_hours)
    instant = False
    evidence_data: dict[str, object] = {}
    if body.kind == CaseKind.PRICE_PROTECTION:
        chosen, evidence_data = protection.claim_lines(session, order, left, wanted)
        amount = sum(int(str(c["amount_fen"])) for c in chosen)
        instant = True
    else:
        if body.kind == CaseKind.REFUND_ONLY and order.status == OrderStatus.PAID:
            # Before shipment a refund is of the whole order (the goods have not left): a request
            # for part of it is refused, never turned into a full refund (issue 9 item 6).
            partial_lines = bool(wanted) and not amounts.covers_everything(
                left, [{"line_id": i, "quantity": q} for i, q in wanted]
            )
            if partial_lines or (body.amount_fen is not None and body.amount_fen != order.refundable_fen):
                raise errors.WHOLE_ORDER_BEFORE_SHIPMENT(refundable_fen=order.refundable_fen)
            wanted = []
        chosen = amounts.select_lines(order, left, wanted)
        amount = amounts.case_amount(order, left, chosen)
        if body.kind == CaseKind.RETURN:
            _check_return(order, body, chosen)
        elif order.status == OrderStatus.PAID:
            instant = True
        else:
            if body.reason not in MERCHANT_FAULT:
                raise errors.ORDER_NOT_ELIGIBLE(reason="发货后仅退款限商品质量问题、发错货或破损")
            if _usable_evidence(session, buyer.user_id, body.evidence_ids) == 0:
                raise errors.EVIDENCE_REQUIRED()
            if body.amount_fen is not None:
                if body.amount_fen > amount:
                    raise errors.AMOUNT_TOO_HIGH(max_fen=amount)
                amount = body.amount_fen
        if body.kind == CaseKind.REFUND_ONLY and refund_only_abusive(session, buyer.user_id):
            status, deadline, instant = CaseStatus.IN_REVIEW, None, False  # type: ignore[assignment]
    if amount <= 0:
        raise errors.AMOUNT_TOO_HIGH(max_fen=0)
    if amount > order.refundable_fen:
        raise errors.AMOUNT_TOO_HIGH(max_fen=order.refundable_fen)
    case = Case(
        order_id=order.order_id,
        buyer_id=buyer.user_id,
        shop_id=order.shop_id,
        kind=body.kind,
        reason=body.reason,
        status=status,
        description=body.description,
        lines=chosen,
        amount_fen=amount,
        refunded_fen=0,
        shipping_comp_fen=0,
        return_carrier="",
        return_tracking_no="",
        return_shipping_fen=0,
        deadline_at=None if instant else deadline,
        escalated_by="",
        decision="",
        fault_party="",
        idempotency_key=idempotency_key,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    record(
        session,
        case.id,
        E.OPENED,
        buyer.user_id,
        Party.BUYER,
        None,
        status.value,
        body.description,
        {"amount_fen": amount, **evidence_data},
    )
    _attach_evidence(session, buyer.user_id, case.id, body.evidence_ids)
    screen_message(session, case.id, buyer.user_id, body.description)
    orders.note(session, order.order_id, ORDER_NOTE[body.kind], buyer.user_id, f"售后单{case.id}")
    if status == CaseStatus.IN_REVIEW:
        record(
            session,
            case.id,
            E.TO_REVIEW,
            None,
            Party.SYSTEM,
            status.value,
            status.value,
            "仅退款比例过高，转平台审核",
        )
    if instant:
        refund_case(session, case.id, amount, buyer.user_id, Party.SYSTEM, E.INSTANT, "极速退款")
    return case_out(session, load(session, case.id))


def refund_case(
    session: Session,
    case_id: int,
    amount_fen: int,
    actor_id: int | None,
    party: Party,
    kind: E,
    note: str,
    shipping_comp_fen: int = 0,
    strict: bool = True,
) -> bool:
    """Move the case to refunded and pay it, in that order: the conditional move is the lock that
    lets one of two racing callers pay. Lines are settled at the amount actually paid."""
    # The order row first (the same order of locks as opening), then the case's conditional move.
    orders.refundable_order(session, load(session, case_id).order_id, lock=True)
    case = load(session, case_id)
    # Units count as given back only when the lines' whole worth was paid (a partial refund-only
    # leaves the goods with the buyer, still returnable).
    chosen = list(case.lines)
    full = amount_fen >= sum(int(x["amount_fen"]) for x in chosen)
    lines = amounts.settle_lines(case.lines, amount_fen, full and case.kind != CaseKind.PRICE_PROTECTION)
    if case.kind == CaseKind.PRICE_PROTECTION:
        lines = [{**x, "units": 0} for x in lines]
    if not move(
        session,
        case_id,
        CaseStatus.REFUNDED,
        actor_id,
        party,
        kind,
        note,
        extra={"refunded_fen": amount_fen, "shipping_comp_fen": shipping_comp_fen, "lines": lines},
        strict=strict,
        data={"amount_fen": amount_fen, "shipping_comp_fen": shipping_comp_fen},
    ):
        return False
    case = load(session, case_id)
    pay_back(
        session,
        case,
        amount_fen,
        step="refund",
        actor_id=actor_id,
        reason=f"售后单{case.id}",
        shipping_comp_fen=shipping_comp_fen,
    )
    # The per-line guard beside the order's cap (pay_back's): money and units per line, and for
    # 七天保价 a compare-and-set on what the claim was priced from. A refusal rolls it all back.
    protection = case.kind == CaseKind.PRICE_PROTECTION
    orders.record_line_refunds(
        session, case.order_id, amounts.line_refunds(chosen, amount_fen, full and not protection, protection)
    )
    return True
