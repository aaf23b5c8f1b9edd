"""What logistics does when orders report back (delivered by the outbox worker, after commit)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import Event, bus
from laotie.logistics import deadlines


@bus.subscribe("OrderPaid", name="logistics.open_ship_deadline")
def on_order_paid(session: Session, ev: Event) -> None:
    deadlines.open_deadline(session, int(ev.payload["order_id"]), int(ev.payload["shop_id"]), ev.created_at)


@bus.subscribe("OrderPlaced", name="logistics.open_ship_deadline_pay_later")
def on_order_placed(session: Session, ev: Event) -> None:
    """A pay-after-use order is confirmed when placed: its ship-by clock starts then."""
    if ev.payload.get("pay_mode") == "pay_later":
        deadlines.open_deadline(
            session, int(ev.payload["order_id"]), int(ev.payload["shop_id"]), ev.created_at
        )


@bus.subscribe("OrderCancelled", name="logistics.close_ship_deadline")
def on_order_cancelled(session: Session, ev: Event) -> None:
    deadlines.close_deadline(session, int(ev.payload["order_id"]))
