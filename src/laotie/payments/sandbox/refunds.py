"""Refunds at the sandbox PSP: money back to the buyer from a captured charge, one at a time or as a
batch (as real PSPs' batch refund APIs offer), with the same checks and answers either way. A refund
the PSP cannot make (the charge was never captured, or would be over-refunded) is recorded as
failed, not raised: the platform reads the failure reason from the answer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.payments.interfaces import ProviderError
from laotie.payments.sandbox.models import ChargeStatus, SandboxCharge, SandboxRefund
from laotie.payments.sandbox.psp import by_key, lock_charge, new_ref


def _check_replay(known: SandboxRefund, provider_ref: str, amount_fen: int) -> SandboxRefund:
    if known.amount_fen != amount_fen or known.charge_ref != provider_ref:
        raise ProviderError("sandbox: refund idempotency key reused with a different refund")
    return known


def _new_refund(
    charge: SandboxCharge | None, provider_ref: str, amount_fen: int, idempotency_key: str, reason: str
) -> SandboxRefund:
    """Decide one refund of ``charge`` (locked by the caller) and take it from the charge if it can be made."""
    if charge is None:
        raise ProviderError(f"sandbox: no charge {provider_ref}")
    failure = ""
    if charge.status != ChargeStatus.SUCCEEDED:
        failure = "charge_not_captured"
    elif charge.refunded_fen + amount_fen > charge.amount_fen:
        failure = "amount_exceeds_charge"
    else:
        charge.refunded_fen += amount_fen
        charge.updated_at = clock.now()
    return SandboxRefund(
        provider_refund_ref=new_ref("re"),
        charge_ref=provider_ref,
        amount_fen=amount_fen,
        idempotency_key=idempotency_key,
        status="failed" if failure else "succeeded",
        failure_reason=failure,
        reason=reason[:200],
        created_at=clock.now(),
    )


def refund(
    session: Session, provider_ref: str, amount_fen: int, idempotency_key: str, reason: str
) -> SandboxRefund:
    existing: SandboxRefund | None = by_key(session, SandboxRefund, idempotency_key)
    if existing is not None:
        return _check_replay(existing, provider_ref, amount_fen)
    row = _new_refund(lock_charge(session, provider_ref), provider_ref, amount_fen, idempotency_key, reason)
    session.add(row)
    session.flush()
    return row


def refund_many(session: Session, requests: list[tuple[str, int, str, str]]) -> list[SandboxRefund]:
    """``refund`` of many (charge ref, amount, key, reason) at once: charges locked in id order, a few
    statements in all."""
    keys = [key for _, _, key, _ in requests]
    existing = {
        r.idempotency_key: r
        for r in session.scalars(select(SandboxRefund).where(SandboxRefund.idempotency_key.in_(keys)))
    }
    charges = {
        c.provider_ref: c
        for c in session.scalars(
            select(SandboxCharge)
            .where(SandboxCharge.provider_ref.in_(sorted({ref for ref, _, _, _ in requests})))
            .order_by(SandboxCharge.id)
            .with_for_update()
        )
    }
    out: list[SandboxRefund] = []
    for provider_ref, amount_fen, key, reason in requests:
        if key in existing:
            out.append(_check_replay(existing[key], provider_ref, amount_fen))
        else:
            out.append(_new_refund(charges.get(provider_ref), provider_ref, amount_fen, key, reason))
    session.add_all([r for r in out if r.id is None])
    session.flush()
    return out
