"""How callers see payment intents: one intent (as its buyer, or staff, may see it), the intents of a
reference, and an intent's append-only trail. Reads only; what moves an intent is in ``intents``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core.auth import Principal
from laotie.payments import errors
from laotie.payments.intents import intent_out, load
from laotie.payments.models import PaymentIntent, PaymentIntentEvent
from laotie.payments.schemas import IntentEventOut, IntentOut


def get_intent(session: Session, intent_id: int) -> IntentOut:
    return intent_out(load(session, intent_id))


def get_intent_for(session: Session, intent_id: int, principal: Principal) -> IntentOut:
    """The buyer's own intent; anyone else's looks like it does not exist (staff see all)."""
    intent = load(session, intent_id)
    if intent.buyer_id != principal.user_id and not principal.is_staff:
        raise errors.PAYMENT_NOT_FOUND(intent_id=intent_id)
    return intent_out(intent)


def intents_for(session: Session, reference_type: str, reference_id: str | int) -> list[IntentOut]:
    rows = session.scalars(
        select(PaymentIntent)
        .where(
            PaymentIntent.reference_type == reference_type, PaymentIntent.reference_id == str(reference_id)
        )
        .order_by(PaymentIntent.id)
    ).all()
    return [intent_out(i) for i in rows]


def intent_events(session: Session, intent_id: int) -> list[IntentEventOut]:
    rows = session.scalars(
        select(PaymentIntentEvent)
        .where(PaymentIntentEvent.intent_id == intent_id)
        .order_by(PaymentIntentEvent.id)
    ).all()
    return [
        IntentEventOut(
            id=r.id,
            kind=r.kind,
            from_status=r.from_status,
            to_status=r.to_status,
            actor_id=r.actor_id,
            provider_event_id=r.provider_event_id,
            reason=r.reason,
            data=dict(r.data),
            at=r.at,
        )
        for r in rows
    ]
