"""Paying a case back: the one path every refund, partial refund and price protection takes.

1. ``orders.record_refund``: one conditional UPDATE, so the order never gives back more than was
   paid, however many cases and processes race (nothing else is written if it refuses).
2. If the order's completion was booked, reverse that share of it pro rata from what the ledger holds
   for the order (``ledger.reversal_postings``), back into clearing: shop share (pending, or available
   once settled), platform fee, growth fund and any leg other domains added (subsidy, commission).
3. Give the money back where it came from: a payment refund out of clearing (pay now, or pay after use
   once charged); for pay after use not yet charged, cancel that much of the receivable; for pay after
   use not yet shipped, nothing was owed.
4. Return shipping the merchant owes (quality, wrong item, damage) is booked from the shop's available
   balance to what the platform owes the buyer (BUYER_CREDIT), and at once paid out of it to the
   buyer's payment account (``credit``: the transfer is sent after commit).
5. Give the platform-funded part the refund reversed (SUBSIDY_EXPENSE) back to the promotion
   budgets it was claimed from, pro rata, once per refund (``promotions.release_budget_share``).
6. Close the order when everything paid has gone back (stock returns if it never shipped; the
   budget, coupons and 一元购 it still holds are released).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.aftersales import credit, errors
from laotie.aftersales.models import Case, CaseRefund
from laotie.core import clock
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.ledger.schemas import Posting, TransactionKind
from laotie.orders import service as orders
from laotie.orders.schemas import ChargeState, PayMode
from laotie.payments import service as payments
from laotie.promotions import service as promotions


def _captured_intent(session: Session, reference_type: str, reference_id: int) -> int:
    for intent in payments.intents_for(session, reference_type, reference_id):
        if intent.captured_fen > intent.refunded_fen:
            return intent.id
    raise errors.ORDER_NOT_ELIGIBLE(reason="没有可退的付款")


def _completion_booked(session: Session, order_id: int) -> bool:
    return any(
        tx.kind == TransactionKind.ORDER_COMPLETED
        for tx in ledger.transactions_for(session, "order", order_id)
    )


def pay_back(
    session: Session,
    case: Case,
    amount_fen: int,
    *,
    step: str,
    actor_id: int | None,
    reason: str,
    shipping_comp_fen: int = 0,
) -> CaseRefund:
    """Give ``amount_fen`` of the case's order back to the buyer, once per (case, step)."""
    key = f"aftersales:{case.id}:{step}"
    done = session.scalar(select(CaseRefund).where(CaseRefund.idempotency_key == key))
    if done is not None:
        return done
    before = orders.refundable_order(session, case.order_id)
    if before.pay_mode == PayMode.PAY_LATER and before.charge_state == ChargeState.CHARGING:
        raise errors.REFUND_PENDING_CHARGE(order_id=case.order_id)
    route = "none"
    payment_refund_id: int | None = None
    if amount_fen > 0:
        refunded_total = orders.record_refund(
            session, case.order_id, amount_fen, actor_id, f"售后单{case.id}：退款{amount_fen}分"
        )
        # What was left to refund just before this one, as the order's guarded UPDATE saw it (a
        # racing refund may have gone in since ``before`` was read).
        left_before = before.payable_fen - (refunded_total - amount_fen)
        if _completion_booked(session, case.order_id):
            net = ledger.net_for(session, "order", case.order_id)
            legs = ledger.reversal_postings(net, amount_fen)
            ledger.post(
                session,
                kind=TransactionKind.REFUND_REVERSAL,
                reference_type="order",
                reference_id=case.order_id,
                postings=[*legs, Posting(K.PLATFORM_CLEARING, -amount_fen)],
                idempotency_key=f"{key}:reversal",
                memo=f"售后单{case.id}退款冲回",
            )
            platform_share = -sum(p.amount_fen for p in legs if p.kind == K.SUBSIDY_EXPENSE)
        else:
            platform_share = _platform_share_before_completion(
                session, case.order_id, amount_fen, left_before
            )
        promotions.release_budget_share(session, case.order_id, platform_share, f"{key}:budget")
        if before.pay_mode == PayMode.PAY_NOW or before.charge_state == ChargeState.CHARGED:
            reference = (
                ("checkout", before.checkout_id)
                if before.pay_mode == "pay_now"
                else ("order", before.order_id)
            )
            refund = payments.refund(
                session,
                _captured_intent(session, *reference),
                amount_fen,
                key,
                reason,
                source=[Posting(K.PLATFORM_CLEARING, amount_fen)],
                actor_id=actor_id,
            )
            route, payment_refund_id = "psp", refund.id
        elif before.shipped_at is not None:
            ledger.post(
                session,
                kind=TransactionKind.PAY_LATER_CANCEL,
                reference_type="order",
                reference_id=case.order_id,
                postings=[
                    Posting(K.PLATFORM_CLEARING, amount_fen),
                    Posting(K.PAY_LATER_RECEIVABLE, -amount_fen),
                ],
                idempotency_key=f"{key}:receivable",
                memo=f"售后单{case.id}：先用后付未扣款部分取消",
            )
            route = "pay_later_cancel"
    if shipping_comp_fen > 0:
        ledger.post(
            session,
            kind=TransactionKind.RETURN_SHIPPING_COMP,
            reference_type="aftersales_case",
            reference_id=case.id,
            postings=[
                Posting(K.SHOP_AVAILABLE, shipping_comp_fen, owner_id=case.shop_id),
                Posting(K.BUYER_CREDIT, -shipping_comp_fen, owner_id=case.buyer_id),
            ],
            idempotency_key=f"{key}:shipping",
            memo=f"售后单{case.id}：商家承担退货运费",
        )
        # ... and paid straight out to the buyer (sent after commit), so nothing stays owed.
        credit.request(session, case, shipping_comp_fen)
    row = CaseRefund(
        case_id=case.id,
        order_id=case.order_id,
        amount_fen=amount_fen,
        shipping_comp_fen=shipping_comp_fen,
        route=route,
        payment_refund_id=payment_refund_id,
        idempotency_key=key,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    if orders.close_refunded(session, case.order_id, actor_id, f"售后单{case.id}全额退款，交易关闭"):
        # Everything went back: so does whatever budget, coupon and 一元购 the order still holds.
        promotions.release_for_order(session, case.order_id)
    return row


def _platform_share_before_completion(session: Session, order_id: int, amount_fen: int, left_fen: int) -> int:
    """Before completion nothing is booked to SUBSIDY_EXPENSE yet (completion books it and, in the
    same transaction, reverses the refunded share). The budget gets the same fraction of what the
    order still holds now, rounded down so it never gives back more; the refund of everything that
    is left gives back all of it."""
    held = promotions.budget_held(session, order_id)
    if amount_fen >= left_fen:
        return held
    return held * amount_fen // left_fen
