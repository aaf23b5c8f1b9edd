"""The sandbox cashier's confirmations decided as a batch (``cashier.confirm_many``, issue 15): the
answers, the charges and the queued webhooks are exactly what confirming one at a time gives."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.uow import unit_of_work
from laotie.payments.sandbox import psp
from laotie.payments.sandbox.models import SandboxCharge, SandboxWebhook
from laotie.payments.schemas import IntentOut
from tests.factories.payments import make_intent


def _requests(intents: list[IntentOut]) -> list[psp.ConfirmIn]:
    a, b, c, d, late = intents
    return [
        psp.ConfirmIn(a.provider_ref or "", a.client_secret, "tok_ok"),
        psp.ConfirmIn(a.provider_ref or "", a.client_secret, "tok_ok"),  # a second tap: ALREADY_PAID
        psp.ConfirmIn(b.provider_ref or "", "not-the-secret", "tok_ok"),  # PAYMENT_NOT_FOUND
        psp.ConfirmIn(b.provider_ref or "", b.client_secret, "tok_bogus"),  # INVALID_PAYMENT_METHOD
        psp.ConfirmIn(b.provider_ref or "", b.client_secret, "tok_decline"),
        psp.ConfirmIn(c.provider_ref or "", c.client_secret, "tok_duplicate"),
        psp.ConfirmIn(d.provider_ref or "", d.client_secret, "tok_timeout"),
        psp.ConfirmIn(d.provider_ref or "", d.client_secret, "tok_ok"),  # PAYMENT_IN_PROGRESS
        psp.ConfirmIn(late.provider_ref or "", late.client_secret, "tok_ok"),  # INTENT_EXPIRED
        psp.ConfirmIn("pi_sbx_unknown", "x", "tok_ok"),  # PAYMENT_NOT_FOUND
    ]


def _answer(result: Any) -> Any:
    return result.code if isinstance(result, AppError) else (result.status, result.amount_fen)


def _written(db: Database, intents: list[IntentOut]) -> tuple[list[Any], list[Any]]:
    """The charges and their webhooks, without what differs from run to run (ids, random event ids)."""
    refs = [i.provider_ref for i in intents]
    with unit_of_work(db, read_only=True) as s:
        charges = s.scalars(select(SandboxCharge).where(SandboxCharge.provider_ref.in_(refs))).all()
        by_ref = {c.provider_ref: (c.status, c.payment_method, c.decline_reason) for c in charges}
        hooks = s.scalars(select(SandboxWebhook).order_by(SandboxWebhook.id)).all()
        told = [
            (
                refs.index(h.object_ref),
                h.type,
                h.copy,
                h.payload["data"]["status"],
                h.payload["data"]["decline_reason"],
            )
            for h in hooks
        ]
        return [by_ref[r] for r in refs], told


def _five(session: Session) -> list[IntentOut]:
    intents = [make_intent(session, amount_fen=100 * (i + 1)) for i in range(4)]
    with clock.travel(timedelta(minutes=-20)):  # made long ago: past its deadline now
        intents.append(make_intent(session, amount_fen=500))
    return intents


def test_a_batch_of_confirmations_does_what_one_at_a_time_does(db: Database, session: Session) -> None:
    one_by_one = _five(session)
    answers = []
    for request in _requests(one_by_one):
        with unit_of_work(db) as s:
            try:
                answers.append(
                    _answer(
                        psp.confirm(s, request.provider_ref, request.client_secret, request.payment_method)
                    )
                )
                s.commit()
            except AppError as exc:
                answers.append(exc.code)
    alone = _written(db, one_by_one)
    with unit_of_work(db) as s:
        s.execute(SandboxWebhook.__table__.delete())
        s.commit()

    batched = _five(session)
    with unit_of_work(db) as s:
        results = psp.confirm_many(s, _requests(batched))
        s.commit()

    assert (
        [_answer(r) for r in results]
        == answers
        == [
            ("succeeded", 100),
            "ALREADY_PAID",
            "PAYMENT_NOT_FOUND",
            "INVALID_PAYMENT_METHOD",
            ("failed", 200),
            ("succeeded", 300),
            ("processing", 400),
            "PAYMENT_IN_PROGRESS",
            "INTENT_EXPIRED",
            "PAYMENT_NOT_FOUND",
        ]
    )
    assert _written(db, batched) == alone
    charges, told = alone
    assert (
        charges[1] == ("failed", "tok_decline", "card_declined") and charges[4][0] == "requires_confirmation"
    )
    assert [t[1:] for t in told if t[0] == 1] == [
        ("payment.processing", 1, "processing", ""),
        ("payment.failed", 1, "failed", "card_declined"),
    ]
    assert [t[1:3] for t in told if t[0] == 2] == [
        ("payment.processing", 1),
        ("payment.succeeded", 1),
        ("payment.succeeded", 2),
    ]
