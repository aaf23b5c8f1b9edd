"""The sandbox cashier's confirmation: the buyer pays a charge with a test payment method; the outcome
is decided now and told by webhook later (``notices``).

Set-based (``confirm_many``) so that the confirmations of a group-commit batch cost three statements
for all of them: the charges locked in one read, updated in one executemany, their webhooks queued in
one insert. A refused confirmation writes nothing, so no savepoint is needed: a batch decides its
items in order against the charges as the earlier items left them, exactly as one at a time would.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from laotie.core import clock
from laotie.core.errors import AppError
from laotie.payments import errors
from laotie.payments.sandbox.models import ChargeStatus, SandboxCharge
from laotie.payments.sandbox.notices import charge_data, queue, webhook_rows

C = ChargeStatus
TEST_TOKENS = ("tok_ok", "tok_decline", "tok_timeout", "tok_duplicate", "tok_out_of_order")
DECLINE_REASON = "card_declined"

_REFUSALS = {
    C.SUCCEEDED: errors.ALREADY_PAID,
    C.PROCESSING: errors.PAYMENT_IN_PROGRESS,
    C.FAILED: errors.INTENT_FAILED,
    C.EXPIRED: errors.INTENT_EXPIRED,
    C.CANCELED: errors.INTENT_CANCELED,
}
# What each test payment method does: the charge's new status and the webhooks it queues, in order
# (status told, copies).
_OUTCOMES: dict[str, tuple[ChargeStatus, tuple[tuple[str, int], ...]]] = {
    "tok_ok": (C.SUCCEEDED, (("processing", 1), ("succeeded", 1))),
    "tok_duplicate": (C.SUCCEEDED, (("processing", 1), ("succeeded", 2))),
    "tok_out_of_order": (C.SUCCEEDED, (("succeeded", 1), ("processing", 1))),
    "tok_decline": (C.FAILED, (("processing", 1), ("failed", 1))),
    "tok_timeout": (C.PROCESSING, (("processing", 1),)),
}

_CHARGE = cast(Table, SandboxCharge.__table__)
# Locked in id order, as every other locker of several charges should, so two batches cannot deadlock.
_TO_CONFIRM = (
    select(
        _CHARGE.c.id,
        _CHARGE.c.provider_ref,
        _CHARGE.c.kind,
        _CHARGE.c.client_secret,
        _CHARGE.c.status,
        _CHARGE.c.expires_at,
        _CHARGE.c.amount_fen,
        _CHARGE.c.decline_reason,
        _CHARGE.c.meta,
    )
    .where(_CHARGE.c.provider_ref.in_(bindparam("refs", expanding=True)))
    .order_by(_CHARGE.c.id)
    .with_for_update()
)
_SET_CONFIRMED = (
    update(_CHARGE)
    .where(_CHARGE.c.id == bindparam("charge_id"))
    .values(
        payment_method=bindparam("new_payment_method"),
        decline_reason=bindparam("new_decline_reason"),
        status=bindparam("new_status"),
        updated_at=bindparam("new_updated_at"),
    )
)


@dataclass(frozen=True)
class ConfirmIn:
    provider_ref: str
    client_secret: str
    payment_method: str


class Confirmed(NamedTuple):
    """A charge as the cashier's confirmation left it."""

    provider_ref: str
    amount_fen: int
    status: str
    expires_at: datetime | None


def _decide(charge: Any, status: ChargeStatus, item: ConfirmIn, now: datetime) -> ChargeStatus:
    """The charge's status after the confirmation, or the refusal raised. A charge not confirmed by
    its deadline is refused as expired."""
    if (
        charge is None
        or charge.kind != "intent"
        or not secrets.compare_digest(charge.client_secret, item.client_secret or "-")
    ):
        raise errors.PAYMENT_NOT_FOUND(provider_ref=item.provider_ref)
    if status == C.REQUIRES_CONFIRMATION and charge.expires_at and now >= charge.expires_at:
        status = C.EXPIRED
    if status in _REFUSALS:
        raise _REFUSALS[status](provider_ref=item.provider_ref)
    if item.payment_method not in TEST_TOKENS:
        raise errors.INVALID_PAYMENT_METHOD(payment_method=item.payment_method)
    return _OUTCOMES[item.payment_method][0]


def confirm_many(session: Session, items: list[ConfirmIn]) -> list[Confirmed | AppError]:
    """Every confirmation of a batch, answered in order: the charge as it left it, or the refusal
    (nothing written for a refused one)."""
    charges = {
        row.provider_ref: row
        for row in session.execute(_TO_CONFIRM, {"refs": sorted({i.provider_ref for i in items})})
    }
    # The status each charge has reached so far in this batch: a second tap finds the first's.
    statuses = {ref: ChargeStatus(row.status) for ref, row in charges.items()}
    now = clock.now()
    answers: list[Confirmed | AppError] = []
    updates: list[dict[str, Any]] = []
    webhooks: list[dict[str, Any]] = []
    for item in items:
        charge: Any = charges.get(item.provider_ref)
        try:
            new_status = _decide(charge, statuses.get(item.provider_ref, C.CANCELED), item, now)
        except AppError as refused:
            answers.append(refused)
            continue
        statuses[item.provider_ref] = new_status
        decline_reason = DECLINE_REASON if new_status == C.FAILED else charge.decline_reason
        updates.append(
            {
                "charge_id": charge.id,
                "new_payment_method": item.payment_method,
                "new_decline_reason": decline_reason,
                "new_status": new_status.value,
                "new_updated_at": now,
            }
        )
        for told, copies in _OUTCOMES[item.payment_method][1]:
            data = charge_data(item.provider_ref, charge.amount_fen, charge.meta, decline_reason, told)
            webhooks += webhook_rows(f"payment.{told}", item.provider_ref, data, copies)
        answers.append(Confirmed(item.provider_ref, charge.amount_fen, new_status.value, charge.expires_at))
        loaded = session.identity_map.get(identity_key(SandboxCharge, charge.id))
        if loaded is not None:  # a SandboxCharge the caller loaded must not keep the old state
            session.expire(loaded)
    if updates:
        session.execute(_SET_CONFIRMED, updates)
        queue(session, webhooks)
    return answers


def confirm(session: Session, provider_ref: str, client_secret: str, payment_method: str) -> Confirmed:
    """The buyer pays at the sandbox's cashier: ``confirm_many`` of one, its refusal raised."""
    (answer,) = confirm_many(session, [ConfirmIn(provider_ref, client_secret, payment_method)])
    if isinstance(answer, AppError):
        raise answer
    return answer
