"""What live rooms show when orders move: "someone just bought" notices (after commit, via the outbox)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import Event, bus
from laotie.live.realtime import hub as realtime


def _notice(ev: Event, verb: str) -> None:
    session_id = ev.payload.get("live_session_id")
    hub = realtime.current()
    if not session_id or hub is None:
        return
    buyer = int(ev.payload.get("buyer_id") or 0)
    hub.publish_threadsafe(
        int(session_id),
        {
            "type": "purchase",
            "verb": verb,
            "buyer": f"老铁***{buyer % 100:02d}",
            "order_id": ev.payload.get("order_id"),
        },
    )


@bus.subscribe("OrderPlaced", name="live.purchase_placed")
def on_order_placed(session: Session, ev: Event) -> None:
    _notice(ev, "正在去买")


@bus.subscribe("OrderPaid", name="live.purchase_paid")
def on_order_paid(session: Session, ev: Event) -> None:
    _notice(ev, "刚刚下单了")
