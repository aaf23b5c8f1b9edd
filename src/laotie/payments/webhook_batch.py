"""A batch of signed webhooks applied together: the common events with a few statements for all, the
rest one by one exactly as ``webhooks.receive`` applies them.

The routes hand each request to ``core.batching.run_item(apply_many, ...)``; ``apply_many`` gets every
request of the batch at once: single deliveries (``Delivery``, one event, one signature) and batch
deliveries (``BatchDelivery``: many events under one signature, ``sandbox.webhook_doc``). Each body's
signature is checked once, here; a batch delivery then counts as its events, each on its own. Most of
a flash sale's events are a ``payment.processing`` or an on-time ``payment.succeeded`` for an intent
that is waiting for it: for those the batch

1. locks all their intents in one statement (in id order, ``FOR UPDATE`` on PostgreSQL),
2. inserts all their receipts in one ``INSERT ... ON CONFLICT DO NOTHING RETURNING``: an event
   already received is a duplicate, counted on its first receipt (one UPDATE for all) and nothing more,
3. moves the intents (one UPDATE per status left), writes their trail (one insert), books every
   capture (one ``ledger.post_many``), announces them (one ``emit_many``), and runs the owners'
   ``captured`` step for all of them at once (the checkouts' orders become paid in one UPDATE).

All of that in one savepoint: if it fails, its events take the one-at-a-time path. Everything else
takes that path, each event in a savepoint of its own, so it behaves as it did: a refused signature
(recorded, 4xx), an unknown payment (404, no receipt), an amount mismatch, a late or out-of-order
event, ``payment.failed``, payouts, unknown types, and any two events of the batch for the same
intent or the same event id (their order within the batch then decides, as before).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.batching import attempt
from laotie.payments import captured, intents, webhooks
from laotie.payments.interfaces import InvalidSignature, WebhookEvent
from laotie.payments.models import OPEN_STATUSES, IntentStatus, WebhookOutcome
from laotie.payments.webhooks import (
    RECEIPTS,
    count_again,
    insert_receipts_if_new,
    receipt_values,
    record_rejected,
    verify,
    verify_batch,
)

log = logging.getLogger(__name__)

CHUNK = 500  # receipts per INSERT
# Events per set-based pass: the IN lists stay within every driver's parameter limit however many
# requests came at once (in practice a sender's pass is at most 500 events, one pass).
PASS = 5000


@dataclass(frozen=True)
class Delivery:
    """One signed webhook request carrying one event, as received."""

    provider: str
    body: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True)
class BatchDelivery:
    """One signed webhook request carrying many events, as received. Its entry from ``apply_many``
    is the list of its events' entries, in order (or ``InvalidSignature`` for the whole body)."""

    provider: str
    body: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True)
class _Event:
    """One event to apply: verified (``event``) or refused alone (``refused``), with the bytes and
    headers its receipt keeps."""

    provider: str
    body: bytes
    headers: Mapping[str, str]
    event: WebhookEvent | None
    refused: InvalidSignature | None = None


def apply_many(session: Session, deliveries: list[Delivery | BatchDelivery]) -> list[Any]:
    """Each delivery's entry: for a ``Delivery`` its outcome (a ``WebhookOutcome``) or its error
    (``InvalidSignature``, recorded; ``PAYMENT_NOT_FOUND``, nothing recorded), as ``apply_signed``
    would give; for a ``BatchDelivery`` the list of its events' (event id, entry), in order, or
    ``InvalidSignature`` (recorded) when its signature or body is refused."""
    units: list[_Event] = []
    spans: list[int | range | InvalidSignature] = []
    for delivery in deliveries:
        if isinstance(delivery, BatchDelivery):
            try:
                batch = verify_batch(session, delivery.body, delivery.headers)
            except InvalidSignature as refused:
                record_rejected(session, delivery.provider, delivery.body, delivery.headers, refused.reason)
                spans.append(refused)
                continue
            start = len(units)
            for raw, parsed in batch:
                units.append(_unit(delivery.provider, raw, delivery.headers, parsed))
            spans.append(range(start, len(units)))
            continue
        try:
            parsed_one: WebhookEvent | InvalidSignature = verify(session, delivery.body, delivery.headers)
        except InvalidSignature as refused:
            parsed_one = refused
        spans.append(len(units))
        units.append(_unit(delivery.provider, delivery.body, delivery.headers, parsed_one))
    results = _apply_units(session, units)
    return [_entry(span, units, results) for span in spans]


def _entry(span: int | range | InvalidSignature, units: list[_Event], results: list[Any]) -> Any:
    if isinstance(span, InvalidSignature):
        return span
    if isinstance(span, int):
        return results[span]
    return [(_event_id(units[i]), results[i]) for i in span]


def _event_id(unit: _Event) -> str:
    return unit.event.event_id if unit.event is not None else ""


def _unit(
    provider: str, body: bytes, headers: Mapping[str, str], parsed: WebhookEvent | InvalidSignature
) -> _Event:
    if isinstance(parsed, InvalidSignature):
        return _Event(provider, body, headers, None, parsed)
    return _Event(provider, body, headers, parsed)


def _apply_units(session: Session, units: list[_Event]) -> list[Any]:
    results: dict[int, Any] = {}
    events = {i: u.event for i, u in enumerate(units) if u.event is not None}
    for provider, all_chosen in _common(units, events).items():
        for start in range(0, len(all_chosen), PASS):
            _apply_chunk(session, provider, all_chosen[start : start + PASS], units, events, results)
    for i, unit in enumerate(units):
        if i in results:
            continue
        one = attempt(session, partial(_one_by_one, unit=unit))
        results[i] = one.error if one.error is not None else one.value
    return [results[i] for i in range(len(units))]


def _apply_chunk(
    session: Session,
    provider: str,
    chosen: list[int],
    units: list[_Event],
    events: dict[int, WebhookEvent],
    results: dict[int, Any],
) -> None:
    """The set-based path for these events, in one savepoint: if it fails, what it wrote is rolled
    back and its events are left to the one-at-a-time path."""
    applied: dict[int, Any] = {}
    done = attempt(
        session,
        partial(_apply_common, provider=provider, chosen=chosen, units=units, events=events, results=applied),
    )
    if done.error is None:
        results.update(applied)
    else:
        log.error("webhook batch of %d failed; applying one by one", len(chosen), exc_info=done.error)


def _one_by_one(session: Session, unit: _Event) -> Any:
    """As ``apply_signed``, with the signature already checked: a refused event is recorded and
    returned, not raised (the rejection is kept although the answer is an error)."""
    if unit.event is None:
        assert unit.refused is not None
        record_rejected(session, unit.provider, unit.body, unit.headers, unit.refused.reason)
        return unit.refused
    # Through the module: tests replace ``webhooks.receive`` to crash it.
    return webhooks.receive(session, unit.provider, unit.event, unit.body, unit.headers)


def _common(units: list[_Event], events: dict[int, WebhookEvent]) -> dict[str, list[int]]:
    """The verified deliveries that may take the set-based path, by provider: a processing or
    succeeded event whose intent and event id no other delivery of the batch names."""
    intents_named = Counter(
        (units[i].provider, ev.provider_ref) for i, ev in events.items() if ev.type.startswith("payment.")
    )
    ids_named = Counter((units[i].provider, ev.event_id) for i, ev in events.items())
    chosen: dict[str, list[int]] = {}
    for i, ev in events.items():
        provider = units[i].provider
        if (
            ev.type in ("payment.processing", "payment.succeeded")
            and intents_named[provider, ev.provider_ref] == 1
            and ids_named[provider, ev.event_id] == 1
        ):
            chosen.setdefault(provider, []).append(i)
    return chosen


def _apply_common(
    session: Session,
    *,
    provider: str,
    chosen: list[int],
    units: list[_Event],
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
            receipt_values(provider, events[i], units[i].body, units[i].headers, now, WebhookOutcome.APPLIED)
            for i, _ in fast[start : start + CHUNK]
        ]
        fresh.update(insert_receipts_if_new(session, rows, RECEIPTS.c.provider_event_id))
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
