"""Starting to pay a checkout: ``pay`` for one request, ``pay_many`` for the pay route's whole
group-commit batch (``core.batching.run_item``). Both in Core statements; each fact read once.

One pay: the key looked up (a retry gets its intent back whatever happened since), the checkout locked
and read with its orders' statuses and amounts in one statement, then ``payments.create_intent`` and
the checkout's link to the intent. A batch does the same with one statement per step for all its
requests; anything unusual (a key reused, a checkout or key twice in the batch, a live intent for
the checkout, an amount out of range, a key another process took meanwhile) goes through ``pay``
alone, in a savepoint of its own, after the others: what one at a time would answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from laotie.core.auth import Principal
from laotie.core.batching import attempt
from laotie.core.errors import AppError
from laotie.orders import errors
from laotie.orders.models import Checkout, Order, OrderStatus, PayMode
from laotie.payments import service as payments
from laotie.payments.schemas import IntentOut

_CHECKOUT = cast(Table, Checkout.__table__)
_ORDER = cast(Table, Order.__table__)
# The checkout to pay, locked, with each of its orders' status and amount: one statement. The lock
# serialises pays of one checkout (also across processes on PostgreSQL): the second finds the first's
# intent open (PAYMENT_IN_PROGRESS) instead of both seeing none and making two. The orders are locked
# too: a pay that waited for a cancel (which locks the checkout, ``lifecycle.lock_checkouts``) then
# reads the orders as the cancel left them; PostgreSQL re-reads only the rows a statement locks, the
# rest would come from the snapshot taken before the wait and show them still unpaid.
_CHECKOUT_TO_PAY = (
    select(_CHECKOUT.c.pay_mode, _CHECKOUT.c.payment_intent_id, _ORDER.c.status, _ORDER.c.payable_fen)
    .select_from(_CHECKOUT.join(_ORDER, _ORDER.c.checkout_id == _CHECKOUT.c.id))
    .where(_CHECKOUT.c.id == bindparam("checkout_id"), _CHECKOUT.c.buyer_id == bindparam("buyer_id"))
    .with_for_update(of=[_CHECKOUT, _ORDER])
)
_SET_CHECKOUT_INTENT = (
    update(_CHECKOUT)
    .where(_CHECKOUT.c.id == bindparam("checkout_id"))
    .values(payment_intent_id=bindparam("intent_id"))
)
_CHECKOUTS_TO_PAY = (
    select(
        _CHECKOUT.c.id,
        _CHECKOUT.c.buyer_id,
        _CHECKOUT.c.pay_mode,
        _CHECKOUT.c.payment_intent_id,
        _ORDER.c.status,
        _ORDER.c.payable_fen,
    )
    .select_from(_CHECKOUT.join(_ORDER, _ORDER.c.checkout_id == _CHECKOUT.c.id))
    .where(_CHECKOUT.c.id.in_(bindparam("checkout_ids", expanding=True)))
    .order_by(_CHECKOUT.c.id, _ORDER.c.id)  # locked in id order: two batches cannot deadlock on them
    .with_for_update(of=[_CHECKOUT, _ORDER])
)
_PAID_OR_LATER = {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED}


def _amount_due(rows: Sequence[Any], checkout_id: int) -> int:
    """What is left to pay of the checkout (its rows: one per order); refused when nothing is."""
    statuses = {r.status for r in rows}
    if rows[0].pay_mode == PayMode.PAY_LATER or statuses <= _PAID_OR_LATER:
        raise errors.ALREADY_PAID(checkout_id=checkout_id)
    if OrderStatus.PENDING_PAYMENT not in statuses:
        raise errors.ORDER_CANCELLED(checkout_id=checkout_id)
    return sum(r.payable_fen for r in rows if r.status == OrderStatus.PENDING_PAYMENT)


def _link(session: Session, links: list[dict[str, int]]) -> None:
    """Point the checkouts at their new intents."""
    session.execute(_SET_CHECKOUT_INTENT, links)
    for link in links:
        loaded = session.identity_map.get(identity_key(Checkout, link["checkout_id"]))
        if loaded is not None:  # a Checkout the caller loaded must not show the old intent
            session.expire(loaded, ["payment_intent_id"])


def pay(session: Session, buyer: Principal, checkout_id: int, idempotency_key: str) -> IntentOut:
    """Start paying a checkout's unpaid orders at the payment provider; the webhook marks them paid.
    Core statements: the key, the checkout with its orders, then ``payments.create_intent``."""
    if not idempotency_key:
        raise errors.IDEMPOTENCY_KEY_REQUIRED()
    session.flush()
    # A retry with the key of a call that made an intent gets that intent back, whatever happened
    # since (paid, expired): a client that lost the first answer recovers it (issue 9 item 5). Such
    # an intent is the buyer's and names the checkout, so the checkout need not be read for it.
    previous = payments.intent_for_key(session, buyer.user_id, idempotency_key)
    if previous is not None and (previous.reference_type, previous.reference_id) == (
        "checkout",
        str(checkout_id),
    ):
        return previous
    rows = session.execute(_CHECKOUT_TO_PAY, {"checkout_id": checkout_id, "buyer_id": buyer.user_id}).all()
    if not rows:
        raise errors.ORDER_NOT_FOUND(checkout_id=checkout_id)
    if previous is not None:
        raise errors.IDEMPOTENCY_KEY_REUSED(key=idempotency_key)
    amount = _amount_due(rows, checkout_id)
    intent = payments.create_intent(
        session, buyer.user_id, amount, "checkout", checkout_id, idempotency_key, key_checked=True
    )
    if rows[0].payment_intent_id != intent.id:
        _link(session, [{"checkout_id": checkout_id, "intent_id": intent.id}])
    return intent


@dataclass(frozen=True)
class PayIn:
    buyer: Principal
    checkout_id: int
    idempotency_key: str


def pay_many(session: Session, items: list[PayIn]) -> list[IntentOut | Exception]:
    """``pay`` for every request of a batch, answered in order (see the module's docstring)."""
    session.flush()
    answers: list[IntentOut | Exception | None] = [None] * len(items)
    alone: list[int] = []
    known = payments.intents_for_keys(
        session, [(i.buyer.user_id, i.idempotency_key) for i in items if i.idempotency_key]
    )
    seen_checkouts: set[int] = set()
    seen_keys: set[tuple[int, str]] = set()
    todo: list[int] = []
    for n, item in enumerate(items):
        key = (item.buyer.user_id, item.idempotency_key)
        if not item.idempotency_key or item.checkout_id in seen_checkouts or key in seen_keys:
            alone.append(n)
            continue
        seen_checkouts.add(item.checkout_id)
        seen_keys.add(key)
        previous = known.get(key)
        if previous is None:
            todo.append(n)
        elif (previous.reference_type, previous.reference_id) == ("checkout", str(item.checkout_id)):
            answers[n] = previous
        else:
            alone.append(n)  # the key made another checkout's intent: refused, alone
    rows_of: dict[int, list[Any]] = defaultdict(list)
    if todo:
        ids = sorted({items[n].checkout_id for n in todo})
        for row in session.execute(_CHECKOUTS_TO_PAY, {"checkout_ids": ids}):
            rows_of[row.id].append(row)
    wanted: list[payments.IntentIn] = []
    owners: list[tuple[int, int | None]] = []
    for n in todo:
        item = items[n]
        rows = rows_of.get(item.checkout_id)
        if not rows or rows[0].buyer_id != item.buyer.user_id:
            answers[n] = errors.ORDER_NOT_FOUND(checkout_id=item.checkout_id)
            continue
        try:
            amount = _amount_due(rows, item.checkout_id)
        except AppError as refused:
            answers[n] = refused
            continue
        reference = ("checkout", str(item.checkout_id))
        wanted.append(payments.IntentIn(item.buyer.user_id, amount, reference, item.idempotency_key))
        owners.append((n, rows[0].payment_intent_id))
    links = []
    for (n, linked), made in zip(owners, payments.create_intents(session, wanted), strict=True):
        if made is None:
            alone.append(n)
            continue
        answers[n] = made
        if isinstance(made, IntentOut) and linked != made.id:
            links.append({"checkout_id": items[n].checkout_id, "intent_id": made.id})
    if links:
        _link(session, links)
    for n in sorted(alone):
        item = items[n]
        done = attempt(session, lambda s, i=item: pay(s, i.buyer, i.checkout_id, i.idempotency_key))  # type: ignore[misc]
        answers[n] = done.error if done.error is not None else done.value  # type: ignore[assignment]
    return cast(list[IntentOut | Exception], answers)
