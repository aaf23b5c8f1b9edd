"""Refunds the platform makes on its own: the governance counterfeit procedure (售假退款, 假一赔三).

No buyer asks; staff decided the goods were fake. Each refund is an after-sales case born refunded
(kind refund_only, reason counterfeit), so the buyer finds it among their 售后 and the money takes
the one path every refund takes (``payback.pay_back``): the order's guard, the pro-rata reversal of a
booked completion, the PSP refund out of clearing, the promotion budgets, closing the order.

What is refunded: the counterfeit lines' units still with the buyer, at what is left paid on them;
when that is everything left on the order, shipping too (``amounts.case_amount``).

Compensation (假一赔三) is a transfer on top of the refund (ADR 0015): booked from the shop's
available balance, which may go below zero (that is what the shop owes), to BUYER_CREDIT, and paid
straight out to the buyer (``credit.request``, sent after commit).

Once per (buyer, idempotency key): a retried call returns the first result and moves nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.aftersales import amounts, credit
from laotie.aftersales.models import Case, CaseKind, CaseReason, CaseStatus, Party
from laotie.aftersales.models import CaseEventKind as E
from laotie.aftersales.opening import PAID_STATES, paid_case_lines
from laotie.aftersales.payback import pay_back
from laotie.aftersales.state import record
from laotie.core import clock
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.ledger.schemas import Posting, TransactionKind
from laotie.orders import service as orders


@dataclass(frozen=True)
class PlatformRefund:
    order_id: int
    buyer_id: int
    case_id: int | None  # None: nothing was left to refund (closed, cancelled, already refunded)
    amount_fen: int
    compensation_fen: int
    replayed: bool = False


def _replay(session: Session, case: Case) -> PlatformRefund:
    comp = ledger.net_for(session, "aftersales_case", case.id).get((K.SHOP_AVAILABLE, case.shop_id), 0)
    return PlatformRefund(case.order_id, case.buyer_id, case.id, case.refunded_fen, comp, replayed=True)


def platform_refund(
    session: Session,
    order_id: int,
    product_ids: Collection[int],
    *,
    idempotency_key: str,
    note: str,
    actor_id: int | None,
    compensation_multiple: int = 0,
) -> PlatformRefund:
    """Refund the order's lines of ``product_ids`` and pay ``compensation_multiple`` × their worth
    on top, once per key. REFUND_PENDING_CHARGE while a pay-after-use charge is in flight (retry)."""
    # The order row first, held until commit, as every after-sales refund takes it (``refund_case``).
    order = orders.refundable_order(session, order_id, lock=True)
    previous = session.scalar(
        select(Case).where(Case.buyer_id == order.buyer_id, Case.idempotency_key == idempotency_key)
    )
    if previous is not None:
        return _replay(session, previous)
    wanted_products = set(product_ids)
    left = amounts.lines_left(order, paid_case_lines(session, order_id))
    wanted = [
        (line_id, x.units_left)
        for line_id, x in left.items()
        if x.line.product_id in wanted_products and x.units_left > 0
    ]
    if order.status not in PAID_STATES or order.refundable_fen <= 0 or not wanted:
        return PlatformRefund(order_id, order.buyer_id, None, 0, 0)
    chosen = amounts.select_lines(order, left, wanted)
    amount = amounts.case_amount(order, left, chosen)
    goods_fen = sum(int(c["amount_fen"]) for c in chosen)
    compensation = max(compensation_multiple, 0) * min(goods_fen, amount)
    now = clock.now()
    case = Case(
        order_id=order_id,
        buyer_id=order.buyer_id,
        shop_id=order.shop_id,
        kind=CaseKind.REFUND_ONLY,
        reason=CaseReason.COUNTERFEIT,
        status=CaseStatus.REFUNDED,
        description=note[:500],
        lines=amounts.settle_lines(chosen, amount, True),
        amount_fen=amount,
        refunded_fen=amount,
        shipping_comp_fen=0,
        return_carrier="",
        return_tracking_no="",
        return_shipping_fen=0,
        deadline_at=None,
        escalated_by="",
        decision="refund",
        fault_party="merchant",
        idempotency_key=idempotency_key,
        created_at=now,
        updated_at=now,
        closed_at=now,
    )
    session.add(case)
    session.flush()
    record(
        session,
        case.id,
        E.PLATFORM_REFUND,
        actor_id,
        Party.STAFF,
        None,
        CaseStatus.REFUNDED.value,
        note,
        {"amount_fen": amount, "compensation_fen": compensation},
    )
    pay_back(session, case, amount, step="refund", actor_id=actor_id, reason=f"售后单{case.id}：{note}"[:200])
    # The per-line guard beside the order's cap, as ``refund_case`` keeps it.
    orders.record_line_refunds(session, order_id, amounts.line_refunds(chosen, amount, True, False))
    if compensation > 0:
        ledger.post(
            session,
            kind=TransactionKind.COUNTERFEIT_COMPENSATION,
            reference_type="aftersales_case",
            reference_id=case.id,
            postings=[
                Posting(K.SHOP_AVAILABLE, compensation, owner_id=case.shop_id),
                Posting(K.BUYER_CREDIT, -compensation, owner_id=case.buyer_id),
            ],
            idempotency_key=f"aftersales:{case.id}:compensation",
            memo=f"售后单{case.id}：假一赔三，由店铺承担",
        )
        credit.request(session, case, compensation, memo=f"售后单{case.id}：假一赔三赔付转入买家支付账户")
    return PlatformRefund(order_id, order.buyer_id, case.id, amount, compensation)
