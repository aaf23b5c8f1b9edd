"""Paying out BUYER_CREDIT: return shipping the merchant owes the buyer (quality, wrong item, damage).

The refund books Dr SHOP_AVAILABLE / Cr BUYER_CREDIT on the case; in the same transaction
``request`` makes the case's one payout row and books Dr BUYER_CREDIT / Cr PSP_CASH, so what the
platform owes the buyer is back to zero at commit, and writes ``BuyerCreditPayoutRequested``. After
commit the transfer is sent (``send``: the outbox handler, and the job that sends whatever is still
requested), with the payout row locked and its status checked, and with the provider key
``laotie-buyer-credit-<id>``: two runners, or a retry after a lost answer, send it once. The
provider's answer comes as PayoutPaid / PayoutFailed; a failure books the exact reversal, so the
amount is owed (and visible in BUYER_CREDIT) again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.aftersales.models import Case, CreditPayout, CreditPayoutStatus, Party
from laotie.aftersales.models import CaseEventKind as E
from laotie.aftersales.state import record
from laotie.core import clock
from laotie.core.errors import AppError
from laotie.core.events import emit
from laotie.core.transitions import Transitions, move
from laotie.events.aftersales import BuyerCreditPayoutRequested
from laotie.ledger import service as ledger
from laotie.ledger.schemas import AccountKind as K
from laotie.ledger.schemas import LedgerCheck, Posting, TransactionKind
from laotie.payments import service as payments
from laotie.payments.schemas import PayoutStatus

log = logging.getLogger(__name__)
P = CreditPayoutStatus
# Set on every transfer we send, so results of other domains' payouts (withdrawals) are left alone.
METADATA_KEY = "aftersales_credit_payout_id"
REFERENCE = "aftersales_credit_payout"
# Where a payout may go: the provider may answer paid or failed before we recorded sending it.
TRANSITIONS: Transitions[CreditPayoutStatus] = Transitions(
    {
        P.REQUESTED: {P.PROCESSING, P.PAID, P.FAILED},
        P.PROCESSING: {P.PAID, P.FAILED},
        P.PAID: set(),
        P.FAILED: set(),
    }
)
STAMP = {P.PROCESSING: "sent_at", P.PAID: "paid_at", P.FAILED: "failed_at"}


def provider_key(payout_id: int) -> str:
    return f"laotie-buyer-credit-{payout_id}"


def request(session: Session, case: Case, amount_fen: int, memo: str = "") -> CreditPayout:
    """Owe-and-pay in one step: the case's payout row, BUYER_CREDIT booked out, the send announced.
    Once per case (the refund step that calls this is itself once per case)."""
    existing = session.scalar(select(CreditPayout).where(CreditPayout.case_id == case.id))
    if existing is not None:
        return existing
    now = clock.now()
    payout = CreditPayout(
        case_id=case.id,
        buyer_id=case.buyer_id,
        amount_fen=amount_fen,
        status=P.REQUESTED,
        failure_reason="",
        created_at=now,
        updated_at=now,
    )
    session.add(payout)
    session.flush()
    ledger.post(
        session,
        kind=TransactionKind.BUYER_CREDIT_PAYOUT,
        reference_type=REFERENCE,
        reference_id=payout.id,
        postings=[
            Posting(K.BUYER_CREDIT, amount_fen, owner_id=case.buyer_id),
            Posting(K.PSP_CASH, -amount_fen),
        ],
        idempotency_key=f"aftersales:credit-payout:{payout.id}",
        memo=memo or f"售后单{case.id}：退货运费补偿转入买家支付账户",
    )
    emit(session, BuyerCreditPayoutRequested(payout_id=payout.id, case_id=case.id))
    session.flush()
    return payout


def _load(session: Session, payout_id: int) -> CreditPayout | None:
    return session.scalar(
        select(CreditPayout)
        .where(CreditPayout.id == payout_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _refused(before: CreditPayoutStatus, to: CreditPayoutStatus) -> Exception:
    return RuntimeError(f"buyer credit payout cannot go from {before.value} to {to.value}")


def _move(session: Session, payout: CreditPayout, to: CreditPayoutStatus, kind: E, note: str) -> None:
    now = clock.now()

    def trail(before: CreditPayoutStatus, to: CreditPayoutStatus) -> None:
        payout.updated_at = now
        setattr(payout, STAMP[to], now)
        record(
            session,
            payout.case_id,
            kind,
            None,
            Party.SYSTEM,
            None,
            None,
            note,
            {"payout_id": payout.id, "amount_fen": payout.amount_fen, "from": before.value, "to": to.value},
        )

    move(payout, to, TRANSITIONS, refuse=_refused, trail=trail)
    session.flush()


def send(session: Session, payout_id: int) -> bool:
    """Send a requested transfer; anything else is left as it is. True when this call sent it."""
    payout = _load(session, payout_id)
    if payout is None or payout.status != P.REQUESTED:
        return False
    result = payments.send_buyer_transfer(
        session,
        payout.buyer_id,
        payout.amount_fen,
        provider_key(payout.id),
        {METADATA_KEY: str(payout.id), "case_id": str(payout.case_id)},
    )
    payout.provider_payout_ref = result.provider_payout_ref
    if result.status == PayoutStatus.FAILED:
        _fail(session, payout, result.failure_reason or "refused")
    elif result.status == PayoutStatus.PAID:
        _move(session, payout, P.PAID, E.CREDIT_PAID, "退货运费补偿已到账")
    else:
        _move(session, payout, P.PROCESSING, E.CREDIT_SENT, "退货运费补偿已转出，等待到账")
    return True


def _fail(session: Session, payout: CreditPayout, reason: str) -> None:
    """The provider refused: the amount is owed to the buyer again, exactly as booked."""
    payout.failure_reason = reason[:200]
    _move(session, payout, P.FAILED, E.CREDIT_FAILED, f"退货运费补偿转账失败：{reason}")
    ledger.post(
        session,
        kind=TransactionKind.BUYER_CREDIT_PAYOUT_REVERSAL,
        reference_type=REFERENCE,
        reference_id=payout.id,
        postings=[
            Posting(K.PSP_CASH, payout.amount_fen),
            Posting(K.BUYER_CREDIT, -payout.amount_fen, owner_id=payout.buyer_id),
        ],
        idempotency_key=f"aftersales:credit-payout:{payout.id}:reversal",
        memo=f"售后单{payout.case_id}：退货运费补偿转账失败，仍欠买家",
    )


def send_due(session: Session, limit: int = 100) -> list[int]:
    """Send every transfer still requested (the outbox handler did not, or the provider was down).
    Each in its own savepoint; returns the ids this run sent."""
    ids = session.scalars(
        select(CreditPayout.id)
        .where(CreditPayout.status == P.REQUESTED)
        .order_by(CreditPayout.id)
        .limit(limit)
    ).all()
    sent: list[int] = []
    for payout_id in ids:
        try:
            with session.begin_nested():
                if send(session, payout_id):
                    sent.append(payout_id)
        except AppError as exc:
            log.warning("buyer credit payout %s not sent: %s", payout_id, exc)
    return sent


def apply_result(session: Session, payload: Mapping[str, Any], paid: bool) -> None:
    """A PayoutPaid / PayoutFailed for one of our transfers; other payouts are not ours. A result
    that does not match the transfer, or contradicts a final state, is logged and not applied."""
    raw_id = str((payload.get("metadata") or {}).get(METADATA_KEY) or "")
    if not raw_id.isdigit():
        return
    payout = _load(session, int(raw_id))
    if payout is None:
        log.error("payout result for unknown buyer credit payout %s", raw_id)
        return
    ref = str(payload.get("provider_payout_ref") or "")
    if payout.provider_payout_ref not in (None, ref) or payload.get("amount_fen") != payout.amount_fen:
        log.error("buyer credit payout %s: result %s does not match; not applied", payout.id, dict(payload))
        return
    if payout.status in (P.PAID, P.FAILED):
        if payout.status != (P.PAID if paid else P.FAILED):
            log.error("buyer credit payout %s is %s; result not applied", payout.id, payout.status.value)
        return
    payout.provider_payout_ref = ref or payout.provider_payout_ref
    if paid:
        _move(session, payout, P.PAID, E.CREDIT_PAID, "退货运费补偿已到账")
    else:
        _fail(session, payout, str(payload.get("failure_reason") or "failed"))


def check_credit_payouts(session: Session, result: LedgerCheck) -> None:
    """The after-sales part of ``laotie ledger check``: each compensation payout has moved exactly its
    amount out of the buyer's BUYER_CREDIT (nothing if it failed), and the ledger books none that
    does not exist."""
    nets = ledger.nets_by_reference(session, REFERENCE)
    for row in session.execute(
        select(CreditPayout.id, CreditPayout.buyer_id, CreditPayout.amount_fen, CreditPayout.status)
    ).all():
        expected = (
            {}
            if row.status == P.FAILED
            else {(K.BUYER_CREDIT, row.buyer_id): row.amount_fen, (K.PSP_CASH, None): -row.amount_fen}
        )
        booked = nets.pop(str(row.id), {})
        if booked != expected:
            result.problems.append(f"buyer credit payout {row.id} ({row.status.value}) has booked {booked}")
    result.problems += [
        f"ledger books buyer credit payout {ref}, which does not exist" for ref in sorted(nets)
    ]
