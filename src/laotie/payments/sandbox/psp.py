"""What happens inside the sandbox PSP: charges, the buyer's confirmation, agreement charges, payouts,
and the webhooks it queues to tell the platform (refunds of a charge: ``refunds``). Nothing here
reads the platform's tables.

Test payment methods (like card networks' test cards) decide a confirmation's outcome:

============== =====================================================================
tok_ok          succeeds: ``payment.processing`` then ``payment.succeeded``
tok_decline     declines (``card_declined``): ``payment.processing`` then ``payment.failed``
tok_timeout     never settles: only ``payment.processing``; the intent expires
tok_duplicate   succeeds, and the success webhook is sent twice (same event id)
tok_out_of_order succeeds, but ``payment.succeeded`` is sent before ``payment.processing``
============== =====================================================================
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.insert_if_new import insert_if_new
from laotie.payments import errors
from laotie.payments.interfaces import BankAccount, ProviderError
from laotie.payments.sandbox.cashier import DECLINE_REASON as DECLINE_REASON
from laotie.payments.sandbox.cashier import TEST_TOKENS as TEST_TOKENS
from laotie.payments.sandbox.cashier import Confirmed as Confirmed

# The buyer's confirmation at the cashier is part of this module's public face (re-exported on purpose).
from laotie.payments.sandbox.cashier import ConfirmIn as ConfirmIn
from laotie.payments.sandbox.cashier import confirm as confirm
from laotie.payments.sandbox.cashier import confirm_many as confirm_many
from laotie.payments.sandbox.models import ChargeStatus, SandboxAgreement, SandboxCharge, SandboxPayout
from laotie.payments.sandbox.notices import charge_data

# Queueing a notification is part of this module's public face (re-exported on purpose).
from laotie.payments.sandbox.notices import queue_webhook as queue_webhook

C = ChargeStatus
AGREEMENT_OUTCOMES = ("ok", "decline", "instant_ok", "instant_decline", "timeout")
AGREEMENT_DECLINE_REASON = "insufficient_funds"
# Bank accounts ending like this are refused by the sandbox's "bank" (a test convention).
FAILING_ACCOUNT_SUFFIX = "0000"
CONFIRM_PATH = "/api/v1/payments/sandbox/intents/{ref}/confirm"

# The cashier's hot path (a charge per intent, its confirmation, its webhooks) runs on Core
# statements built once; the rest (refunds, agreements, payouts) keeps the ORM.
_CHARGE = cast(Table, SandboxCharge.__table__)
_CHARGE_BY_KEY = select(_CHARGE.c.provider_ref, _CHARGE.c.client_secret, _CHARGE.c.amount_fen).where(
    _CHARGE.c.idempotency_key == bindparam("key")
)


def new_ref(prefix: str) -> str:
    return f"{prefix}_sbx_{secrets.token_hex(12)}"


def _notify(session: Session, charge: SandboxCharge, status: str, copies: int = 1) -> None:
    data = charge_data(charge.provider_ref, charge.amount_fen, charge.meta, charge.decline_reason, status)
    queue_webhook(session, f"payment.{status}", charge.provider_ref, data, copies)


def by_key(session: Session, model: Any, key: str) -> Any:
    return session.scalar(select(model).where(model.idempotency_key == key))


def lock_charge(session: Session, provider_ref: str) -> SandboxCharge | None:
    return session.scalar(
        select(SandboxCharge).where(SandboxCharge.provider_ref == provider_ref).with_for_update()
    )


def _set_status(charge: SandboxCharge, status: ChargeStatus) -> None:
    charge.status = status.value
    charge.updated_at = clock.now()


class NewCharge(NamedTuple):
    provider_ref: str
    client_secret: str


def _insert_charge(session: Session) -> Any:
    """INSERT ... ON CONFLICT (idempotency_key) DO NOTHING RETURNING."""
    return insert_if_new(
        session,
        _CHARGE,
        ("idempotency_key",),
        (_CHARGE.c.provider_ref, _CHARGE.c.client_secret, _CHARGE.c.idempotency_key),
    )


class ChargeIn(NamedTuple):
    amount_fen: int
    idempotency_key: str
    expires_at: datetime
    metadata: Mapping[str, str]


def create_charges(session: Session, wanted: list[ChargeIn]) -> list[NewCharge]:
    """Charges the buyer confirms at the cashier, in one INSERT for all. The same key gives the same
    charge back (its insert finds the key taken and it is read); with another amount ProviderError."""
    now = clock.now()
    rows = [
        {
            "provider_ref": new_ref("pi"),
            "kind": "intent",
            "amount_fen": w.amount_fen,
            "refunded_fen": 0,
            "status": C.REQUIRES_CONFIRMATION.value,
            "client_secret": secrets.token_urlsafe(24),
            "payment_method": "",
            "agreement_ref": None,
            "decline_reason": "",
            "idempotency_key": w.idempotency_key,
            "meta": dict(w.metadata),
            "created_at": now,
            "expires_at": w.expires_at,
            "updated_at": now,
        }
        for w in wanted
    ]
    made = {
        row.idempotency_key: NewCharge(row.provider_ref, row.client_secret)
        for row in session.execute(_insert_charge(session), rows)
    }
    charges = []
    for w in wanted:
        charge = made.get(w.idempotency_key)
        if charge is None:
            existing = session.execute(_CHARGE_BY_KEY, {"key": w.idempotency_key}).one()
            if existing.amount_fen != w.amount_fen:
                raise ProviderError("sandbox: idempotency key reused with a different amount")
            charge = NewCharge(existing.provider_ref, existing.client_secret)
        charges.append(charge)
    return charges


def create_charge(
    session: Session, amount_fen: int, idempotency_key: str, expires_at: datetime, metadata: Mapping[str, str]
) -> NewCharge:
    """A charge the buyer confirms at the cashier (``create_charges`` of one)."""
    return create_charges(session, [ChargeIn(amount_fen, idempotency_key, expires_at, metadata)])[0]


def get_charge(session: Session, provider_ref: str, client_secret: str) -> SandboxCharge:
    charge = session.scalar(select(SandboxCharge).where(SandboxCharge.provider_ref == provider_ref))
    if charge is None or not secrets.compare_digest(charge.client_secret, client_secret or "-"):
        raise errors.PAYMENT_NOT_FOUND(provider_ref=provider_ref)
    return charge


def lookup(session: Session, provider_ref: str) -> SandboxCharge:
    """The charge as the sandbox sees it now (the platform asking, not the buyer)."""
    charge = session.scalar(select(SandboxCharge).where(SandboxCharge.provider_ref == provider_ref))
    if charge is None:
        raise ProviderError(f"sandbox: no charge {provider_ref}")
    if charge.status == C.REQUIRES_CONFIRMATION and charge.expires_at and clock.now() >= charge.expires_at:
        _set_status(charge, C.EXPIRED)
        session.flush()
    return charge


def cancel(session: Session, provider_ref: str, reason: str) -> bool:
    charge = lock_charge(session, provider_ref)
    if charge is None:
        raise ProviderError(f"sandbox: no charge {provider_ref}")
    if charge.status in (C.CANCELED, C.EXPIRED):
        return True
    if charge.status not in (C.REQUIRES_CONFIRMATION, C.PROCESSING):
        return False  # too late: it succeeded or failed, and its webhook tells the platform so
    _set_status(charge, C.EXPIRED if reason == "expired" else C.CANCELED)
    session.flush()
    return True


def create_agreement(session: Session, customer_ref: str) -> SandboxAgreement:
    agreement = SandboxAgreement(
        agreement_ref=new_ref("agr"), customer_ref=customer_ref, outcome="ok", created_at=clock.now()
    )
    session.add(agreement)
    session.flush()
    return agreement


def set_agreement_outcome(session: Session, customer_ref: str, outcome: str) -> int:
    """Test control: how the customer's agreement charges turn out from now on. Returns how many
    agreements it changed."""
    if outcome not in AGREEMENT_OUTCOMES:
        raise ValueError(f"outcome must be one of {AGREEMENT_OUTCOMES}")
    rows = session.scalars(
        select(SandboxAgreement).where(SandboxAgreement.customer_ref == customer_ref)
    ).all()
    for row in rows:
        row.outcome = outcome
    session.flush()
    return len(rows)


def charge_agreement(
    session: Session, agreement_ref: str, amount_fen: int, idempotency_key: str, metadata: Mapping[str, str]
) -> tuple[SandboxCharge, str]:
    """Charge a saved agreement; returns the charge and the immediate answer
    (succeeded | declined | pending)."""
    existing: SandboxCharge | None = by_key(session, SandboxCharge, idempotency_key)
    if existing is not None:
        if existing.amount_fen != amount_fen or existing.agreement_ref != agreement_ref:
            raise ProviderError("sandbox: idempotency key reused with a different charge")
        return existing, str(existing.meta.get("_answer", "pending"))
    agreement = session.scalar(
        select(SandboxAgreement).where(SandboxAgreement.agreement_ref == agreement_ref)
    )
    if agreement is None:
        raise ProviderError(f"sandbox: no agreement {agreement_ref}")
    outcome = agreement.outcome
    succeeds = outcome in ("ok", "instant_ok")
    answer = (
        "succeeded" if outcome == "instant_ok" else "declined" if outcome == "instant_decline" else "pending"
    )
    now = clock.now()
    charge = SandboxCharge(
        provider_ref=new_ref("ch"),
        kind="agreement_charge",
        amount_fen=amount_fen,
        refunded_fen=0,
        status=(C.PROCESSING if outcome == "timeout" else C.SUCCEEDED if succeeds else C.FAILED).value,
        client_secret="",
        payment_method="agreement",
        agreement_ref=agreement_ref,
        decline_reason="" if succeeds or outcome == "timeout" else AGREEMENT_DECLINE_REASON,
        idempotency_key=idempotency_key,
        meta={**metadata, "_answer": answer},
        created_at=now,
        expires_at=None,
        updated_at=now,
    )
    session.add(charge)
    session.flush()
    if outcome == "timeout":
        _notify(session, charge, "processing")
    elif outcome in ("ok", "decline"):
        _notify(session, charge, "processing")
        _notify(session, charge, charge.status)
    else:  # answered at once, and confirmed by webhook as real PSPs do
        _notify(session, charge, charge.status)
    return charge, answer


def send_payout(
    session: Session, amount_fen: int, account: BankAccount, idempotency_key: str, metadata: Mapping[str, str]
) -> SandboxPayout:
    existing: SandboxPayout | None = by_key(session, SandboxPayout, idempotency_key)
    if existing is not None:
        if existing.amount_fen != amount_fen or existing.account_number != account.account_number:
            raise ProviderError("sandbox: payout idempotency key reused with a different payout")
        return existing
    fails = account.account_number.endswith(FAILING_ACCOUNT_SUFFIX)
    payout = SandboxPayout(
        provider_payout_ref=new_ref("po"),
        amount_fen=amount_fen,
        holder_name=account.holder_name,
        account_number=account.account_number,
        bank_name=account.bank_name,
        idempotency_key=idempotency_key,
        # The bank's answer is decided now but only told by webhook, like a real transfer.
        status="failed" if fails else "paid",
        failure_reason="account_closed" if fails else "",
        meta=dict(metadata),
        created_at=clock.now(),
    )
    session.add(payout)
    session.flush()
    data = {
        "provider_ref": payout.provider_payout_ref,
        "amount_fen": amount_fen,
        "status": payout.status,
        "failure_reason": payout.failure_reason,
        "metadata": dict(metadata),
    }
    queue_webhook(session, f"payout.{payout.status}", payout.provider_payout_ref, data)
    return payout
