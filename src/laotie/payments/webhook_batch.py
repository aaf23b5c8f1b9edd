"""A batch of signed webhooks applied together: the common deliveries with a few statements for all,
the rest one by one exactly as ``webhooks.apply_signed`` applies them.

The route hands each delivery to ``core.batching.run_item(apply_many, ...)``; ``apply_many`` gets
every delivery of the batch at once. Most of a flash sale's deliveries are a ``payment.processing``
or an on-time ``payment.succeeded`` for an intent that is waiting for it: for those the batch

1. verifies each signature (CPU only),
2. locks all their intents in one statement (in id order, ``FOR UPDATE`` on PostgreSQL),
3. inserts all their receipts in one ``INSERT ... ON CONFLICT DO NOTHING RETURNING``: an event
   already received is a duplicate, counted on its first receipt (one UPDATE for all) and nothing more,
4. moves the intents (one UPDATE per status left), writes their trail (one insert), books every
   capture (one ``ledger.post_many``), announces them (one ``emit_many``), and runs the owners'
   ``captured`` step for all of them at once (the checkouts' orders become paid in one UPDATE).

Everything else takes the one-at-a-time path, each in a savepoint of its own, so it behaves as it
did: a refused signature (recorded, 4xx), an unknown payment (404, no receipt), an amount mismatch, a
late or out-of-order event, ``payment.failed``, payouts, unknown types, and any two deliveries of the
batch for the same intent or the same event (their order within the batch then decides, as before).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.batching import attempt
from laotie.payments import captured, intents
from laotie.payments.interfaces import InvalidSignature, WebhookEvent
from laotie.payments.models import OPEN_STATUSES, IntentStatus, WebhookOutcome
from laotie.payments.webhooks import (
    RECEIPTS,
    apply_signed,
    count_again,
    insert_receipts_if_new,
    receipt_values,
    verify,
)

CHUNK = 500


@dataclass(frozen=True)
class Delivery:
    """One signed webhook request, as received."""

    provider: str
    body: bytes
    headers: Mapping[str, str]


def apply_many(session: Session, deliveries: list[Delivery]) -> list[Any]:
    """Each delivery's outcome (a ``WebhookOutcome``), or its error: ``InvalidSignature`` (recorded),
    ``PAYMENT_NOT_FOUND`` (nothing recorded), as ``apply_signed`` would give one by one."""
    results: dict[int, Any] = {}
    events: dict[int, WebhookEvent] = {}
    for i, delivery in enumerate(deliveries):
        try:
            events[i] = verify(session, delivery.body, delivery.headers)
        except InvalidSignature:
            continue  # recorded by the slow path
    for provider, chosen in _common(deliveries, events).items():
        _apply_common(session, provider, chosen, deliveries, events, results)
    for i, delivery in enumerate(deliveries):
        if i in results:
            continue
        done = attempt(session, _one_by_one(delivery))
        results[i] = done.error if done.error is not None else done.value
    return [results[i] for i in range(len(deliveries))]


def _one_by_one(delivery: Delivery) -> Callable[[Session], Any]:
    return lambda session: apply_signed(session, delivery.provider, delivery.body, delivery.headers)


def _common(deliveries: list[Delivery], events: dict[int, WebhookEvent]) -> dict[str, list[int]]:
    """The verified deliveries that may take the set-based path, by provider: a processing or
    succeeded event whose intent and event id no other delivery of the batch names."""
    intents_named = Counter(
        (deliveries[i].provider, ev.provider_ref)
        for i, ev in events.items()
        if ev.type.startswith("payment.")
    )
    ids_named = Counter((deliveries[i].provider, ev.event_id) for i, ev in events.items())
    chosen: dict[str, list[int]] = {}
    for i, ev in events.items():
        provider = deliveries[i].provider
        if (
            ev.type in ("payment.processing", "payment.succeeded")
            and intents_named[provider, ev.provider_ref] == 1
            and ids_named[provider, ev.event_id] == 1
        ):
            chosen.setdefault(provider, []).append(i)
    return chosen


def _apply_common(
    session: Session,
    provider: str,
    chosen: list[int],
    deliveries: list[Delivery],
    events: dict[int, WebhookEvent],
    results: dict[int, Any],
) -> None:
    locked = intents.lock_many_by_provider_ref(session, provider, [events[i].provider_ref for i in chosen])
    fast: list[tuple[int, Any]] = []
    for i in chosen:
        ev, row = events[i], locked.get(events[i].provider_ref)
        if row is None or ev.amount_fen != row.amount_fen:
            continue  # unknown payment (404) or a mismatch (kept for a human): the slow path says so
        # A late or out-of-order one (recorded as ignored, or captured late) takes the slow path.
        waiting = (IntentStatus.REQUIRES_CONFIRMATION,) if ev.type == "payment.processing" else OPEN_STATUSES
        if row.status in waiting:
            fast.append((i, row))
    if not fast:
        return
    now = clock.now()
    fresh: set[str] = set()
    for start in range(0, len(fast), CHUNK):
        rows = [
            receipt_values(
                provider, events[i], deliveries[i].body, deliveries[i].headers, now, WebhookOutcome.APPLIED
            )
            for i, _ in fast[start : start + CHUNK]
        ]
        fresh.update(
            session.scalars(insert_receipts_if_new(session, rows).returning(RECEIPTS.c.provider_event_id))
        )
    again = [events[i].event_id for i, _ in fast if events[i].event_id not in fresh]
    if again:
        count_again(session, provider, again, now)
    applied = [(i, row) for i, row in fast if events[i].event_id in fresh]
    intents.mark_processing_many(
        session, [(row, events[i].event_id) for i, row in applied if events[i].type == "payment.processing"]
    )
    captures = [
        (row, events[i].event_id, events[i].created_at)
        for i, row in applied
        if events[i].type == "payment.succeeded"
    ]
    intents.capture_many(session, captures, "webhook")
    # The buyer waits on this one: done now, not an outbox pass later (``captured``).
    captured.run_many(session, [(row.reference_type, row.id, row.reference_id) for row, _, _ in captures])
    for i, _ in fast:
        results[i] = WebhookOutcome.APPLIED if events[i].event_id in fresh else WebhookOutcome.DUPLICATE
