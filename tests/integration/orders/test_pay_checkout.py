"""Starting to pay a checkout (``orders.pay``, issue 15): one intent per checkout however many pays
arrive at once, the same key gives the same intent, and everything a pay writes is there."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.batching import GroupCommit
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.uow import unit_of_work
from laotie.orders import service as orders
from laotie.orders.models import Checkout, Order
from laotie.orders.paying import PayIn, pay_many
from laotie.payments import gateway
from laotie.payments.interfaces import ProviderError
from laotie.payments.models import OPEN_STATUSES, PaymentIntent, PaymentIntentEvent
from laotie.payments.sandbox import psp
from laotie.payments.sandbox.models import SandboxCharge, SandboxWebhook
from laotie.payments.schemas import IntentOut
from tests.factories.orders import Buyer, checkout_body, key, make_buyer, make_on_sale


def _placed(session: Session, buyer: Buyer | None = None) -> tuple[Buyer, int]:
    sale = make_on_sale(session, price_fen=1290)
    buyer = buyer or make_buyer(session)
    placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (sale, 2)), key())
    session.commit()
    return buyer, placed.checkout_id


def _at_once(db: Database, calls: list[Callable[[Session], Any]]) -> list[Any]:
    """Each call in its own thread and transaction, all released together: concurrent requests as
    several API processes would run them (on SQLite they queue for the one write lock)."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        start.wait()
        try:
            with unit_of_work(db) as s:
                results[i] = calls[i](s)
                s.commit()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _count(db: Database, model: type, *where: Any) -> int:
    with unit_of_work(db, read_only=True) as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_concurrent_pays_of_one_checkout_with_different_keys_make_one_intent(
    db: Database, session: Session
) -> None:
    buyer, checkout_id = _placed(session)
    keys = [key() for _ in range(5)]
    results = _at_once(
        db,
        [lambda s, k=k: orders.pay(s, buyer.principal, checkout_id, k) for k in keys],  # type: ignore[misc]
    )
    made = [r for r in results if isinstance(r, IntentOut)]
    refused = [r for r in results if isinstance(r, AppError)]
    assert len(made) == 1 and len(refused) == 4, results
    assert {r.code for r in refused} == {"PAYMENT_IN_PROGRESS"}
    assert _count(db, PaymentIntent, PaymentIntent.reference_id == str(checkout_id)) == 1
    assert _count(db, SandboxCharge) == 1
    with unit_of_work(db, read_only=True) as s:
        assert s.get(Checkout, checkout_id).payment_intent_id == made[0].id  # type: ignore[union-attr]


def test_concurrent_pays_with_one_key_all_get_the_same_intent(db: Database, session: Session) -> None:
    buyer, checkout_id = _placed(session)
    same = key()
    results = _at_once(db, [lambda s: orders.pay(s, buyer.principal, checkout_id, same) for _ in range(5)])
    assert all(isinstance(r, IntentOut) for r in results), results
    assert len({(r.id, r.provider_ref, r.client_secret) for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert _count(db, PaymentIntent) == 1 and _count(db, SandboxCharge) == 1


def test_a_pay_writes_the_intent_its_trail_and_the_checkouts_link(db: Database, session: Session) -> None:
    buyer, checkout_id = _placed(session)
    first = orders.pay(session, buyer.principal, checkout_id, "pay-1")
    session.commit()
    assert (first.amount_fen, first.status, first.reference_id) == (
        2580,
        "requires_confirmation",
        str(checkout_id),
    )
    assert first.provider_ref and first.client_secret and first.next_action_url.endswith("/confirm")
    assert first.expires_at > first.created_at and not first.replayed
    again = orders.pay(session, buyer.principal, checkout_id, "pay-1")
    session.commit()
    assert again.replayed and again.model_dump(exclude={"replayed"}) == first.model_dump(exclude={"replayed"})
    with unit_of_work(db, read_only=True) as s:
        trail = s.scalars(select(PaymentIntentEvent).where(PaymentIntentEvent.intent_id == first.id)).all()
        assert [(e.kind, e.from_status, e.to_status, e.actor_id) for e in trail] == [
            ("created", None, "requires_confirmation", buyer.user_id)
        ]
        assert s.get(Checkout, checkout_id).payment_intent_id == first.id  # type: ignore[union-attr]
        charge = s.scalar(select(SandboxCharge).where(SandboxCharge.provider_ref == first.provider_ref))
        assert charge is not None and charge.client_secret == first.client_secret
        assert charge.amount_fen == 2580 and charge.expires_at == first.expires_at
        assert charge.meta == {"intent_id": str(first.id), "reference": f"checkout:{checkout_id}"}


def test_a_key_used_for_another_checkout_is_refused(db: Database, session: Session) -> None:
    buyer, first_checkout = _placed(session)
    _, second_checkout = _placed(session, buyer)
    _, someone_elses = _placed(session)
    orders.pay(session, buyer.principal, first_checkout, "pay-1")
    session.commit()
    with pytest.raises(AppError) as reused:
        orders.pay(session, buyer.principal, second_checkout, "pay-1")
    assert reused.value.code == "IDEMPOTENCY_KEY_REUSED"
    session.rollback()
    with pytest.raises(AppError) as not_theirs:
        orders.pay(session, buyer.principal, someone_elses, "pay-1")
    assert not_theirs.value.code == "ORDER_NOT_FOUND"
    session.rollback()
    assert _count(db, PaymentIntent) == 1


def test_an_unreachable_provider_leaves_no_intent(
    db: Database, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    buyer, checkout_id = _placed(session)

    class Down:
        def create_intent(self, **_: Any) -> Any:
            raise ProviderError("connection refused")

    monkeypatch.setattr(gateway, "get_provider", lambda _session: Down())
    with pytest.raises(AppError) as caught:
        orders.pay(session, buyer.principal, checkout_id, "pay-1")
    assert caught.value.code == "PAYMENT_PROVIDER_UNAVAILABLE"
    session.rollback()  # the route's savepoint or transaction takes the half-made intent with it
    assert _count(db, PaymentIntent) == 0


def _scenario(session: Session) -> list[PayIn]:
    """Pays of every kind, as one batch might bring them."""
    sale = make_on_sale(session, price_fen=700)
    a, b, c, d = (make_buyer(session) for _ in range(4))

    def place(buyer: Buyer, quantity: int = 1) -> int:
        placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (sale, quantity)), key())
        session.commit()
        return placed.checkout_id

    x, w, y, z, v, u = place(a), place(a, 2), place(b, 3), place(c), place(d), place(d, 2)
    orders.cancel_by_buyer(
        session, c.principal, orders.checkout_orders(session, c.principal, z)[0].id, "不要了"
    )
    session.commit()
    k1, k2, k9, k10 = key(), key(), key(), key()
    orders.pay(session, d.principal, v, k9)  # paid for earlier: its retry is a replay
    orders.pay(session, d.principal, u, k10)  # open: another key for it is refused
    session.commit()
    return [
        PayIn(a.principal, x, k1),
        PayIn(b.principal, y, k2),
        PayIn(a.principal, x, k1),  # the same request twice in one batch: the same intent
        PayIn(b.principal, y, key()),  # another key while the first is open: PAYMENT_IN_PROGRESS
        PayIn(c.principal, z, key()),  # its order cancelled: ORDER_CANCELLED
        PayIn(a.principal, z, key()),  # someone else's checkout: ORDER_NOT_FOUND
        PayIn(a.principal, w, k1),  # k1 made x's intent: IDEMPOTENCY_KEY_REUSED
        PayIn(a.principal, w, ""),  # IDEMPOTENCY_KEY_REQUIRED
        PayIn(d.principal, v, k9),  # a retry of an earlier pay: replayed
        PayIn(d.principal, u, key()),  # PAYMENT_IN_PROGRESS (an intent from an earlier batch)
        PayIn(a.principal, w, key()),  # a plain new one
    ]


def _shape(answers: list[Any]) -> list[Any]:
    """Answers without ids: an intent as (amount, status, replayed, which answer first had it)."""
    first: dict[int, int] = {}
    out = []
    for n, a in enumerate(answers):
        if isinstance(a, AppError):
            out.append(a.code)
        else:
            out.append((a.amount_fen, a.status, a.replayed, first.setdefault(a.id, n)))
    return out


def _made(db: Database, items: list[PayIn]) -> list[Any]:
    """Per checkout of the scenario: its intents' (amount, status) and trail kinds, and whether it
    links to its newest intent."""
    with unit_of_work(db, read_only=True) as s:
        out = []
        for checkout_id in dict.fromkeys(i.checkout_id for i in items):
            intents = s.scalars(
                select(PaymentIntent)
                .where(PaymentIntent.reference_id == str(checkout_id))
                .order_by(PaymentIntent.id)
            ).all()
            trails = [
                s.scalars(select(PaymentIntentEvent.kind).where(PaymentIntentEvent.intent_id == i.id)).all()
                for i in intents
            ]
            link = s.get(Checkout, checkout_id).payment_intent_id  # type: ignore[union-attr]
            out.append(
                (
                    [(i.amount_fen, i.status) for i in intents],
                    trails,
                    link == (intents[-1].id if intents else None),
                )
            )
        return out


def test_a_batch_of_pays_answers_and_writes_what_one_at_a_time_does(db: Database, session: Session) -> None:
    alone_items = _scenario(session)
    alone = []
    for item in alone_items:
        with unit_of_work(db) as s:
            try:
                alone.append(orders.pay(s, item.buyer, item.checkout_id, item.idempotency_key))
                s.commit()
            except AppError as exc:
                alone.append(exc)

    batch_items = _scenario(session)
    with unit_of_work(db) as s:
        batched = pay_many(s, batch_items)
        s.commit()

    assert (
        _shape(batched)
        == _shape(alone)
        == [
            (700, "requires_confirmation", False, 0),
            (2100, "requires_confirmation", False, 1),
            (700, "requires_confirmation", True, 0),
            "PAYMENT_IN_PROGRESS",
            "ORDER_CANCELLED",
            "ORDER_NOT_FOUND",
            "IDEMPOTENCY_KEY_REUSED",
            "IDEMPOTENCY_KEY_REQUIRED",
            (700, "requires_confirmation", True, 8),
            "PAYMENT_IN_PROGRESS",
            (1400, "requires_confirmation", False, 10),
        ]
    )
    assert _made(db, batch_items) == _made(db, alone_items)
    with unit_of_work(db, read_only=True) as s:
        for answer in batched:
            if isinstance(answer, IntentOut):
                charge = s.scalar(
                    select(SandboxCharge).where(SandboxCharge.provider_ref == answer.provider_ref)
                )
                assert charge is not None and charge.client_secret == answer.client_secret


def test_the_routes_batch_pays_then_confirmations_through_the_group_commit(
    db: Database, session: Session
) -> None:
    """As the pay and cashier routes submit them (``run_item``): one batch of pays, then one of
    confirmations, each answered on its own."""
    placed = [_placed(session) for _ in range(3)]
    keys = [key() for _ in placed]
    pays = [PayIn(b.principal, c, k) for (b, c), k in zip(placed, keys, strict=True)]
    pays.append(PayIn(placed[0][0].principal, placed[0][1], keys[0]))  # a retry: the same intent
    pays.append(PayIn(placed[1][0].principal, placed[1][1], key()))  # PAYMENT_IN_PROGRESS
    batcher = GroupCommit(db, "test")

    async def submit(fn: Any, items: list[Any]) -> list[Any]:
        return await asyncio.gather(*(batcher.run_item(fn, i) for i in items), return_exceptions=True)

    try:
        paid = asyncio.run(submit(pay_many, pays))
        *intents, retried, refused = paid
        assert all(isinstance(i, IntentOut) and not i.replayed for i in intents), paid
        assert isinstance(retried, IntentOut) and retried.replayed and retried.id == intents[0].id
        assert isinstance(refused, AppError) and refused.code == "PAYMENT_IN_PROGRESS"
        taps = [psp.ConfirmIn(i.provider_ref or "", i.client_secret, "tok_ok") for i in intents]
        taps.append(taps[0])  # a second tap: ALREADY_PAID
        confirmed = asyncio.run(submit(psp.confirm_many, taps))
        assert [c.status for c in confirmed[:3]] == ["succeeded"] * 3
        assert isinstance(confirmed[3], AppError) and confirmed[3].code == "ALREADY_PAID"
        assert batcher.batch_sizes == [5, 4]
    finally:
        batcher.close()
    assert _count(db, PaymentIntent) == 3 and _count(db, SandboxWebhook) == 6


def test_an_unreachable_provider_fails_each_pay_of_a_batch_and_leaves_nothing(
    db: Database, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    placed = [_placed(session) for _ in range(2)]

    class Down:  # no create_intents: asked one by one
        def create_intent(self, **_: Any) -> Any:
            raise ProviderError("connection refused")

    monkeypatch.setattr(gateway, "get_provider", lambda _session: Down())
    with unit_of_work(db) as s:
        answers = pay_many(s, [PayIn(b.principal, c, key()) for b, c in placed])
        s.commit()
    assert [a.code for a in answers] == ["PAYMENT_PROVIDER_UNAVAILABLE"] * 2  # type: ignore[union-attr]
    assert _count(db, PaymentIntent) == 0 and _count(db, PaymentIntentEvent) == 0
    with unit_of_work(db, read_only=True) as s:
        assert [s.get(Checkout, c).payment_intent_id for _, c in placed] == [None, None]  # type: ignore[union-attr]


def test_a_cancel_and_a_pay_of_one_checkout_take_turns(
    db: Database, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pay arrives just after the cancel has asked the provider (no intent yet), and the cancel
    gives it up to a second before moving the order. Had the pay not had to wait for the cancel, its
    intent would stay open for a cancelled order; it waits (the checkout is locked), then finds the
    order cancelled, and nothing is left open."""
    from laotie.orders import service as order_service

    buyer, checkout_id = _placed(session)
    order_id = session.scalar(select(Order.id).where(Order.checkout_id == checkout_id).limit(1))
    assert order_id is not None
    session.rollback()  # this test's own session holds no lock while the two race
    looked, pay_done = threading.Event(), threading.Event()
    real_stop = order_service.payments.stop_or_capture

    def stop_then_linger(*args: Any, **kwargs: Any) -> Any:
        state = real_stop(*args, **kwargs)
        looked.set()
        pay_done.wait(timeout=1.0)
        return state

    monkeypatch.setattr(order_service.payments, "stop_or_capture", stop_then_linger)
    answers: dict[str, Any] = {}

    def run(name: str, call: Callable[[Session], Any], after: threading.Event | None) -> None:
        if after is not None:
            after.wait(timeout=5)
        try:
            with unit_of_work(db) as s:
                answers[name] = call(s)
                s.commit()
        except Exception as exc:
            answers[name] = exc
        finally:
            if name == "pay":
                pay_done.set()

    threads = [
        threading.Thread(
            target=run,
            args=("cancel", lambda s: orders.cancel_by_buyer(s, buyer.principal, order_id, "不想要了"), None),
        ),
        threading.Thread(
            target=run, args=("pay", lambda s: orders.pay(s, buyer.principal, checkout_id, key()), looked)
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not isinstance(answers["cancel"], Exception), answers
    assert isinstance(answers["pay"], AppError) and answers["pay"].code == "ORDER_CANCELLED", answers
    assert _count(db, PaymentIntent, PaymentIntent.status.in_(OPEN_STATUSES)) == 0
