"""Opening an intent, the hot half of ``service.create_intent`` (every paid order starts here), in
Core statements: each fact is read once and nothing is flushed and read back.

A new intent costs: the read by idempotency key (skipped when the caller has just made it), one
locked read of the reference's live intents, an INSERT ... RETURNING of the intent (ON CONFLICT DO
NOTHING on its key, so a concurrent call with the same key makes it a replay without a savepoint)
and an INSERT of its ``created`` trail row. An open intent found past its deadline is expired
through the ORM state machine (``reconcile.expire``): rare, as the expiry job usually got there first.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.errors import AppError
from laotie.payments import errors, gateway, reconcile
from laotie.payments.models import (
    OPEN_STATUSES,
    IntentEventKind,
    IntentKind,
    IntentStatus,
    PaymentIntent,
    PaymentIntentEvent,
)
from laotie.payments.schemas import IntentOut

S = IntentStatus
_INTENT = cast(Table, PaymentIntent.__table__)
_TRAIL = cast(Table, PaymentIntentEvent.__table__)

# Built once: building a statement costs more than running it on one indexed row.
_BY_KEY = select(_INTENT).where(
    _INTENT.c.buyer_id == bindparam("buyer_id"), _INTENT.c.idempotency_key == bindparam("key")
)
# Every intent that stops a new one: open, or paid and not refunded in full. Locked, so that an
# expiry or a capture of one of them cannot change it under the decision.
_LIVE = (
    select(
        _INTENT.c.id, _INTENT.c.status, _INTENT.c.captured_fen, _INTENT.c.refunded_fen, _INTENT.c.expires_at
    )
    .where(
        _INTENT.c.reference_type == bindparam("reference_type"),
        _INTENT.c.reference_id == bindparam("reference_id"),
        _INTENT.c.status.in_([*OPEN_STATUSES, S.SUCCEEDED]),
    )
    .order_by(_INTENT.c.id)
    .with_for_update()
)
_TRAIL_INSERT = insert(_TRAIL)
_SET_PROVIDER = (
    update(_INTENT)
    .where(_INTENT.c.id == bindparam("intent_id"))
    .values(
        provider_ref=bindparam("new_provider_ref"),
        client_secret=bindparam("new_client_secret"),
        next_action_url=bindparam("new_next_action_url"),
    )
)
_INSERTS: dict[str, Any] = {}


def _insert_intent(session: Session) -> Any:
    """INSERT ... ON CONFLICT (buyer_id, idempotency_key) DO NOTHING RETURNING id, per dialect."""
    dialect = session.get_bind().dialect.name
    stmt = _INSERTS.get(dialect)
    if stmt is None:
        make = sqlite.insert if dialect == "sqlite" else postgresql.insert
        stmt = _INSERTS[dialect] = (
            make(_INTENT)
            .on_conflict_do_nothing(index_elements=["buyer_id", "idempotency_key"])
            .returning(_INTENT.c.id)
        )
    return stmt


def row_out(row: Any, replayed: bool = False) -> IntentOut:
    """An intent's row (all its columns) as the API shows it."""
    return IntentOut(**row._mapping, replayed=replayed)


def intent_for_key(session: Session, buyer_id: int, idempotency_key: str) -> IntentOut | None:
    """The intent the buyer's call with this key made, as it stands now (``replayed``), or None: a
    retried pay request gets it back whatever happened since."""
    row = session.execute(_BY_KEY, {"buyer_id": buyer_id, "key": idempotency_key}).first()
    return None if row is None else row_out(row, replayed=True)


def replay(
    session: Session,
    buyer_id: int,
    idempotency_key: str,
    kind: IntentKind,
    amount_fen: int,
    reference: tuple[str, str],
) -> IntentOut | None:
    """The intent an earlier call with this key made, if its body was the same; 409 if not."""
    previous = intent_for_key(session, buyer_id, idempotency_key)
    if previous is None:
        return None
    if (previous.kind, previous.amount_fen, previous.reference_type, previous.reference_id) != (
        kind,
        amount_fen,
        *reference,
    ):
        raise errors.IDEMPOTENCY_KEY_REUSED(idempotency_key=idempotency_key)
    return previous


def guard_reference(session: Session, reference_type: str, reference_id: str) -> None:
    """One payment at a time per reference, and none once it is paid."""
    rows = session.execute(_LIVE, {"reference_type": reference_type, "reference_id": reference_id}).all()
    now = clock.now()
    for row in rows:
        if row.status == S.SUCCEEDED and row.captured_fen > row.refunded_fen:
            raise errors.ALREADY_PAID(intent_id=row.id)
        if row.status in OPEN_STATUSES:
            if row.expires_at > now:
                raise errors.PAYMENT_IN_PROGRESS(intent_id=row.id)
            # The expiry job has not come by yet: expire it here, through the state machine.
            intent = session.get(PaymentIntent, row.id, populate_existing=True)
            assert intent is not None  # locked above
            reconcile.expire(session, intent, "not paid in time")
            session.flush()
            if intent.status == S.SUCCEEDED:  # the provider had taken it: a late webhook
                raise errors.ALREADY_PAID(intent_id=intent.id)


def open_intent(
    session: Session,
    *,
    buyer_id: int,
    kind: IntentKind,
    amount_fen: int,
    reference: tuple[str, str],
    idempotency_key: str,
    ttl: timedelta,
    key_checked: bool = False,
) -> tuple[IntentOut, bool]:
    """A new intent, or the one this key already made (second value True). ``key_checked``: the
    caller has just found no intent for this key (``intent_for_key``), so it is not read again."""
    if not key_checked:
        previous = replay(session, buyer_id, idempotency_key, kind, amount_fen, reference)
        if previous is not None:
            return previous, True
    try:
        guard_reference(session, *reference)
    except AppError:
        # A concurrent call with this very key may have committed since we looked: that is a replay.
        previous = replay(session, buyer_id, idempotency_key, kind, amount_fen, reference)
        if previous is not None:
            return previous, True
        raise
    now = clock.now()
    values: dict[str, Any] = {
        "buyer_id": buyer_id,
        "kind": kind,
        "amount_fen": amount_fen,
        "reference_type": reference[0],
        "reference_id": reference[1],
        "idempotency_key": idempotency_key,
        "status": S.REQUIRES_CONFIRMATION,
        "provider": gateway.provider_name(),
        "provider_ref": None,
        "client_secret": "",
        "next_action_url": "",
        "failure_reason": "",
        "captured_fen": 0,
        "refunded_fen": 0,
        "late": False,
        "created_at": now,
        "expires_at": now + ttl,
        "updated_at": now,
        "succeeded_at": None,
    }
    intent_id = session.execute(_insert_intent(session), values).scalar()
    if intent_id is None:  # a concurrent call with the same key committed first: return its intent
        winner = replay(session, buyer_id, idempotency_key, kind, amount_fen, reference)
        if winner is None:
            raise RuntimeError(f"intent key {idempotency_key!r} conflicted but no intent has it")
        return winner, True
    session.execute(
        _TRAIL_INSERT,
        {
            "intent_id": intent_id,
            "kind": IntentEventKind.CREATED.value,
            "from_status": None,
            "to_status": S.REQUIRES_CONFIRMATION.value,
            "actor_id": buyer_id,
            "provider_event_id": None,
            "reason": "",
            "data": {},
            "at": now,
        },
    )
    values["id"] = intent_id
    return IntentOut(**values), False


def set_provider_answer(
    session: Session, intent: IntentOut, provider_ref: str, client_secret: str, next_action_url: str
) -> IntentOut:
    """Keep what the provider answered on the new intent; the intent as the API shows it."""
    session.execute(
        _SET_PROVIDER,
        {
            "intent_id": intent.id,
            "new_provider_ref": provider_ref,
            "new_client_secret": client_secret,
            "new_next_action_url": next_action_url,
        },
    )
    return intent.model_copy(
        update={
            "provider_ref": provider_ref,
            "client_secret": client_secret,
            "next_action_url": next_action_url,
        }
    )
