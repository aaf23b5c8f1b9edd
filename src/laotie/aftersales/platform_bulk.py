"""``platform_refund`` for a whole batch of orders, with a few statements per batch.

The orders that take the simplest path — paid now, not completed (nothing distributed to reverse),
no discount (no promotion budget to give back), every line a counterfeit, nothing refunded before,
no case with the key yet — are refunded together: cases, trail, the orders' guarded full refund and
close (``orders.refund_in_full_and_close``), the PSP refunds out of clearing
(``payments.refund_many``), the refund rows, and 假一赔三 with its transfer, each set written with
one statement. What they book is exactly what ``pay_back`` books for each of them; the books are
proven by the ledger check in the tests and the benchmark. Every other order goes through
``platform_refund`` one at a time.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from laotie.aftersales import amounts
from laotie.aftersales.models import (
    Case,
    CaseEvent,
    CaseKind,
    CaseReason,
    CaseRefund,
    CaseStatus,
    CreditPayout,
    CreditPayoutStatus,
    Party,
)
from laotie.aftersales.models import CaseEventKind as E
from laotie.aftersales.platform import PlatformRefund, platform_refund
from laotie.core import clock
from laotie.core.events import emit_many
from laotie.events.aftersales import BuyerCreditPayoutRequested
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.ledger.schemas import Posting, TransactionKind
from laotie.orders import errors as order_errors
from laotie.orders import service as orders
from laotie.payments import service as payments

OPEN_STATES = {"paid", "shipped", "delivered"}


def _simple(order: orders.RefundableOrder, products: set[int]) -> bool:
    return (
        order.pay_mode == "pay_now"
        and order.status in OPEN_STATES
        and order.refunded_fen == 0
        and order.payable_fen > 0
        and bool(order.lines)
        and all(line.product_id in products and line.discount_fen == 0 for line in order.lines)
    )


def platform_refund_many(
    session: Session,
    order_ids: Sequence[int],
    product_ids: Collection[int],
    *,
    key_prefix: str,
    note: str,
    actor_id: int | None,
    compensation_multiple: int = 0,
) -> dict[int, PlatformRefund]:
    """Each order's ``platform_refund`` with key ``<key_prefix><order id>``. Raises what a single
    refund raises for the batch's simple orders (the caller rolls back and goes one by one)."""
    products = set(product_ids)
    found = orders.refundable_orders(session, order_ids)
    keys = {oid: f"{key_prefix}{oid}" for oid in order_ids}
    done_keys = set(
        session.scalars(select(Case.idempotency_key).where(Case.idempotency_key.in_(list(keys.values()))))
    )
    simple = [
        found[oid]
        for oid in order_ids
        if oid in found and keys[oid] not in done_keys and _simple(found[oid], products)
    ]
    results: dict[int, PlatformRefund] = {}
    for oid in order_ids:
        if oid not in {o.order_id for o in simple}:
            results[oid] = platform_refund(
                session,
                oid,
                products,
                idempotency_key=keys[oid],
                note=note,
                actor_id=actor_id,
                compensation_multiple=compensation_multiple,
            )
    if not simple:
        return results
    now = clock.now()
    multiple = max(compensation_multiple, 0)
    case_rows = []
    for o in simple:
        chosen = [
            {
                "line_id": x.line_id,
                "sku_id": x.sku_id,
                "title": x.title,
                "quantity": x.quantity,
                "units": x.quantity,
                "amount_fen": x.paid_fen,
            }
            for x in o.lines
        ]
        case_rows.append(
            {
                "order_id": o.order_id,
                "buyer_id": o.buyer_id,
                "shop_id": o.shop_id,
                "kind": CaseKind.REFUND_ONLY,
                "reason": CaseReason.COUNTERFEIT,
                "status": CaseStatus.REFUNDED,
                "description": note[:500],
                "lines": amounts.settle_lines(chosen, o.payable_fen, True),
                "amount_fen": o.payable_fen,
                "refunded_fen": o.payable_fen,
                "shipping_comp_fen": 0,
                "return_carrier": "",
                "return_tracking_no": "",
                "return_shipping_fen": 0,
                "deadline_at": None,
                "escalated_by": "",
                "decision": "refund",
                "fault_party": "merchant",
                "idempotency_key": keys[o.order_id],
                "created_at": now,
                "updated_at": now,
                "closed_at": now,
            }
        )
    case_ids = session.scalars(insert(Case).returning(Case.id, sort_by_parameter_order=True), case_rows).all()
    comp = {o.order_id: multiple * min(sum(x.paid_fen for x in o.lines), o.payable_fen) for o in simple}
    session.execute(
        insert(CaseEvent),
        [
            {
                "case_id": cid,
                "actor_id": actor_id,
                "party": Party.STAFF.value,
                "kind": E.PLATFORM_REFUND,
                "from_status": None,
                "to_status": CaseStatus.REFUNDED.value,
                "note": note[:500],
                "data": {"amount_fen": o.payable_fen, "compensation_fen": comp[o.order_id]},
                "at": now,
            }
            for o, cid in zip(simple, case_ids, strict=True)
        ],
    )
    orders.refund_in_full_and_close(session, simple, actor_id, note)
    captured = payments.refundable_intents(session, "checkout", [o.checkout_id for o in simple])
    if any(o.checkout_id not in captured for o in simple):
        raise order_errors.ORDERS_CHANGED()
    intents = {o.order_id: captured[o.checkout_id] for o in simple}
    refund_ids = payments.refund_many(
        session,
        [
            payments.RefundIn(
                intent_id=intents[o.order_id],
                amount_fen=o.payable_fen,
                idempotency_key=f"aftersales:{cid}:refund",
                reason=f"售后单{cid}：{note}"[:200],
                source=[Posting(K.PLATFORM_CLEARING, o.payable_fen)],
                actor_id=actor_id,
            )
            for o, cid in zip(simple, case_ids, strict=True)
        ],
    )
    session.execute(
        insert(CaseRefund),
        [
            {
                "case_id": cid,
                "order_id": o.order_id,
                "amount_fen": o.payable_fen,
                "shipping_comp_fen": 0,
                "route": "psp",
                "payment_refund_id": rid,
                "idempotency_key": f"aftersales:{cid}:refund",
                "created_at": now,
            }
            for o, cid, rid in zip(simple, case_ids, refund_ids, strict=True)
        ],
    )
    _compensate(
        session,
        [(o, cid, comp[o.order_id]) for o, cid in zip(simple, case_ids, strict=True) if comp[o.order_id] > 0],
        now,
    )
    for o, cid in zip(simple, case_ids, strict=True):
        results[o.order_id] = PlatformRefund(o.order_id, o.buyer_id, cid, o.payable_fen, comp[o.order_id])
    session.flush()
    return results


def _compensate(session: Session, owed: list[tuple[orders.RefundableOrder, int, int]], now: object) -> None:
    """假一赔三 as ``platform_refund`` books it: shop -> BUYER_CREDIT, then straight out to the buyer."""
    if not owed:
        return
    payout_ids = session.scalars(
        insert(CreditPayout).returning(CreditPayout.id, sort_by_parameter_order=True),
        [
            {
                "case_id": cid,
                "buyer_id": o.buyer_id,
                "amount_fen": amount,
                "status": CreditPayoutStatus.REQUESTED,
                "failure_reason": "",
                "created_at": now,
                "updated_at": now,
            }
            for o, cid, amount in owed
        ],
    ).all()
    txs = []
    for (o, cid, amount), pid in zip(owed, payout_ids, strict=True):
        txs.append(
            ledger.TransactionIn(
                kind=TransactionKind.COUNTERFEIT_COMPENSATION,
                reference_type="aftersales_case",
                reference_id=cid,
                postings=[
                    Posting(K.SHOP_AVAILABLE, amount, owner_id=o.shop_id),
                    Posting(K.BUYER_CREDIT, -amount, owner_id=o.buyer_id),
                ],
                idempotency_key=f"aftersales:{cid}:compensation",
                memo=f"售后单{cid}：假一赔三，由店铺承担",
            )
        )
        txs.append(
            ledger.TransactionIn(
                kind=TransactionKind.BUYER_CREDIT_PAYOUT,
                reference_type="aftersales_credit_payout",
                reference_id=pid,
                postings=[Posting(K.BUYER_CREDIT, amount, owner_id=o.buyer_id), Posting(K.PSP_CASH, -amount)],
                idempotency_key=f"aftersales:credit-payout:{pid}",
                memo=f"售后单{cid}：假一赔三赔付转入买家支付账户",
            )
        )
    ledger.post_many(session, txs)
    emit_many(
        session,
        [
            BuyerCreditPayoutRequested(payout_id=pid, case_id=cid)
            for (_, cid, _), pid in zip(owed, payout_ids, strict=True)
        ],
    )
