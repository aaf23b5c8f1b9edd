"""Demo buyers pay the way real ones do: checkout, a payment intent, the sandbox PSP's cashier, and its
signed webhook back to the platform, all through the platform's own HTTP routes, in-process.

The app is built without its lifespan (no server, no background threads): the seed delivers the
webhooks itself and runs the outbox until idle, so everything an order sets off (ledger postings,
ship-by deadlines, fan notifications) has happened when the demo starts serving.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.orders import service as orders
from laotie.orders.schemas import Attribution, CheckoutIn, LineIn, PlacedCheckout
from laotie.payments.sandbox.delivery import deliver_pending
from laotie.settings import get_settings


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Run as if it were ``moment``: the demo replays broadcasts that ended yesterday, and the
    platform stamps every row it writes then (orders, payments, events) with that time."""
    with clock.travel(moment - clock.now()):
        yield


class Cashier:
    def __init__(self, db: Database, media_dir: Path) -> None:
        from laotie.app import create_app  # the whole platform: its routes and outbox handlers

        with warnings.catch_warnings():
            # This Starlette asks its test client's users for httpx2; plain httpx works the same,
            # and the warning would only clutter the demo's console.
            warnings.simplefilter("ignore")
            from fastapi.testclient import TestClient

        settings = get_settings().model_copy(
            update={"database_url": db.url, "media_dir": media_dir, "embedded_worker": False}
        )
        self.db = db
        self.app = create_app(settings, db=db)
        self.client = TestClient(self.app)  # used without ``with``: no lifespan, no threads

    def buy(
        self,
        buyer: Principal,
        address_id: int,
        lines: list[tuple[int, int, int]],
        attribution: Attribution,
        key: str,
    ) -> list[int]:
        """Place and pay one checkout of (sku id, quantity, list price) lines; the order ids.
        The webhook is delivered at once, before the intent could expire."""
        with unit_of_work(self.db) as session:
            placed = self.place(session, buyer, address_id, lines, attribution, key)
            session.commit()
        self.pay(buyer, placed.checkout_id, f"{key}-pay")
        return [o.id for o in placed.orders]

    def place(
        self,
        session: Session,
        buyer: Principal,
        address_id: int,
        lines: list[tuple[int, int, int]],
        attribution: Attribution,
        key: str,
    ) -> PlacedCheckout:
        """Checkout (idempotent on ``key``: a second call returns the same orders), not yet paid."""
        body = CheckoutIn(
            lines=[LineIn(sku_id=s, quantity=q, expected_unit_price_fen=p) for s, q, p in lines],
            address_id=address_id,
            attribution=attribution,
        )
        return orders.checkout(session, buyer, body, key)

    def pay(self, buyer: Principal, checkout_id: int, key: str) -> None:
        """Pay a placed checkout at the sandbox cashier with the test card that succeeds."""
        with unit_of_work(self.db) as session:
            intent = orders.pay(session, buyer, checkout_id, key)
            session.commit()
        answer = self.client.post(
            intent.next_action_url, json={"client_secret": intent.client_secret, "payment_method": "tok_ok"}
        )
        if answer.status_code != 202:
            raise RuntimeError(f"the sandbox cashier refused a demo payment: {answer.text}")
        self.deliver()

    def deliver(self) -> None:
        """Deliver the sandbox PSP's pending webhooks (payments, refunds) to the platform."""
        report = deliver_pending(self.db, self.client)
        if report.failed:
            raise RuntimeError(f"the platform refused {report.failed} sandbox webhook(s): {report.statuses}")

    def settle(self) -> None:
        """Run every outbox handler the seed's writes set off."""
        self.app.state.outbox_worker.run_until_idle(max_rounds=1000)

    def close(self) -> None:
        self.client.close()
        self.app.state.placement_batcher.close()
