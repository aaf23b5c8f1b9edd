"""Promotions react to orders: a cancelled order gives back its budget, coupons and 一元购."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import Event, bus
from laotie.promotions import service


@bus.subscribe("OrderCancelled", name="promotions.release_on_cancel")
def on_order_cancelled(session: Session, ev: Event) -> None:
    service.release_for_order(session, int(ev.payload["order_id"]))
