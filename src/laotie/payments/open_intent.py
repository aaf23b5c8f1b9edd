"""Opening an intent, the hot half of ``service.create_intent`` (every paid order starts here), in
Core statements: each fact is read once and nothing is flushed and read back.

A new intent costs: the read by idempotency key (skipped when the caller has just made it), one
locked read of the reference's live intents, an INSERT ... RETURNING of the intent (ON CONFLICT DO
NOTHING on its key, so a concurrent call with the same key makes it a replay without a savepoint)
and an INSERT of its ``created`` trail row. An open intent found past its deadline is expired
through the ORM state machine (``reconcile.expire``): rare, as the expiry job usually got there first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.errors import AppError
from laotie.core.insert_if_new import insert_if_new
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


def _insert_intent(session: Session) -> Any:
    """INSERT ... ON CONFLICT (buyer_id, idempotency_key) DO NOTHING RETURNING id."""
    return insert_if_new(session, _INTENT, ("buyer_id", "idempotency_key"), (_INTENT.c.id,))


def _new_row(
    buyer_id: int,
    kind: IntentKind,
    amount_fen: int,
    reference: tuple[str, str],
    idempotency_key: str,
    now: datetime,
    ttl: timedelta,
) -> dict[str, Any]:
    return {
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


def _created_trail(intent_id: int, buyer_id: int, now: datetime) -> dict[str, Any]:
    """The trail row ``intents.record`` writes for a new intent."""
    return {
        "intent_id": intent_id,
        "kind": IntentEventKind.CREATED.value,
        "from_status": None,
        "to_status": S.REQUIRES_CONFIRMATION.value,
        "actor_id": buyer_id,
        "provider_event_id": None,
        "reason": "",
        "data": {},
        "at": now,
    }


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
    values = _new_row(buyer_id, kind, amount_fen, reference, idempotency_key, now, ttl)
    intent_id = session.execute(_insert_intent(session), values).scalar()
    if intent_id is None:  # a concurrent call with the same key committed first: return its intent
        winner = replay(session, buyer_id, idempotency_key, kind, amount_fen, reference)
        if winner is None:
            raise RuntimeError(f"intent key {idempotency_key!r} conflicted but no intent has it")
        return winner, True
    session.execute(_TRAIL_INSERT, _created_trail(intent_id, buyer_id, now))
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


# Many intents at once (``create_intents``, the pay route's batch function).
_BY_KEYS = select(_INTENT).where(
    tuple_(_INTENT.c.buyer_id, _INTENT.c.idempotency_key).in_(bindparam("keys", expanding=True))
)
_LIVE_MANY = (
    select(
        _INTENT.c.reference_type,
        _INTENT.c.reference_id,
        _INTENT.c.status,
        _INTENT.c.captured_fen,
        _INTENT.c.refunded_fen,
    )
    .where(
        tuple_(_INTENT.c.reference_type, _INTENT.c.reference_id).in_(bindparam("refs", expanding=True)),
        _INTENT.c.status.in_([*OPEN_STATUSES, S.SUCCEEDED]),
    )
    .order_by(_INTENT.c.id)
    .with_for_update()
)
_DELETE_TRAIL = delete(_TRAIL).where(_TRAIL.c.intent_id == bindparam("intent_id"))
_DELETE_INTENT = delete(_INTENT).where(_INTENT.c.id == bindparam("intent_id"))
_TRAILS_INSERT = insert(_TRAIL).returning(_TRAIL.c.id, sort_by_parameter_order=True)


@dataclass(frozen=True)
class IntentIn:
    """One pay-now intent to open: its key already looked up and found unused by the caller."""

    buyer_id: int
    amount_fen: int
    reference: tuple[str, str]
    idempotency_key: str


def intents_for_keys(session: Session, keys: list[tuple[int, str]]) -> dict[tuple[int, str], IntentOut]:
    """``intent_for_key`` for many (buyer, key) pairs in one statement; the pairs with an intent."""
    if not keys:
        return {}
    rows = session.execute(_BY_KEYS, {"keys": sorted(set(keys))})
    return {(row.buyer_id, row.idempotency_key): row_out(row, replayed=True) for row in rows}


def _insert_many(session: Session) -> Any:
    return insert_if_new(
        session,
        _INTENT,
        ("buyer_id", "idempotency_key"),
        (_INTENT.c.id, _INTENT.c.buyer_id, _INTENT.c.idempotency_key),
    )


def open_many(session: Session, requests: list[IntentIn], ttl: timedelta) -> list[IntentOut | None]:
    """New pay-now intents, each with its ``created`` trail row, for requests of distinct references
    and keys: the reference's live intents locked and checked in one read, the intents inserted in
    one statement. None for a request to decide alone (``open_intent``): its reference has a live
    intent (paid, open, or open past its deadline) or its key was taken meanwhile."""
    if not requests:
        return []
    live = session.execute(_LIVE_MANY, {"refs": sorted({r.reference for r in requests})}).all()
    blocked = {
        (row.reference_type, row.reference_id)
        for row in live
        if row.status in OPEN_STATUSES or row.captured_fen > row.refunded_fen
    }
    now = clock.now()
    fresh = [r for r in requests if r.reference not in blocked]
    rows = [
        _new_row(r.buyer_id, IntentKind.PAY_NOW, r.amount_fen, r.reference, r.idempotency_key, now, ttl)
        for r in fresh
    ]
    made: dict[tuple[int, str], int] = {}
    if rows:
        for row in session.execute(_insert_many(session), rows):
            made[(row.buyer_id, row.idempotency_key)] = row.id
    trails = []
    opened: dict[tuple[int, str], IntentOut] = {}
    for values in rows:
        intent_id = made.get((values["buyer_id"], values["idempotency_key"]))
        if intent_id is not None:
            trails.append(_created_trail(intent_id, values["buyer_id"], now))
            opened[(values["buyer_id"], values["idempotency_key"])] = IntentOut(**values, id=intent_id)
    if trails:  # RETURNING: one multi-row INSERT (insertmanyvalues), not one per row
        session.execute(_TRAILS_INSERT, trails)
    return [opened.get((r.buyer_id, r.idempotency_key)) for r in requests]


def forget(session: Session, intent_id: int) -> None:
    """Undo a new intent whose provider call failed, as a request's rolled-back savepoint would."""
    session.execute(_DELETE_TRAIL, {"intent_id": intent_id})
    session.execute(_DELETE_INTENT, {"intent_id": intent_id})


def set_provider_answers(session: Session, intents: list[IntentOut]) -> None:
    """``set_provider_answer`` for many new intents, in one executemany."""
    if intents:
        session.execute(
            _SET_PROVIDER,
            [
                {
                    "intent_id": i.id,
                    "new_provider_ref": i.provider_ref,
                    "new_client_secret": i.client_secret,
                    "new_next_action_url": i.next_action_url,
                }
                for i in intents
            ],
        )
