"""What logistics does when orders report back (delivered by the outbox worker, after commit), and
everything the domain registers: those handlers, its periodic jobs, its carrier networks."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.events import EventBus
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry
from laotie.events.orders import OrderCancelled, OrderPaid, OrderPlaced
from laotie.logistics import deadlines, tasks
from laotie.logistics.sandbox import SandboxCarrierNetwork
from laotie.logistics.shipments import CARRIER_NETWORK


def register(bus: EventBus, jobs: JobRegistry, providers: ProviderRegistry) -> None:
    # Set-based: a flash sale's paid orders open their deadlines a run at a time (``open_deadlines``).
    bus.subscribe_many(OrderPaid, on_orders_paid, name="logistics.open_ship_deadline")
    bus.subscribe_many(OrderPlaced, on_orders_placed, name="logistics.open_ship_deadline_pay_later")
    bus.subscribe(OrderCancelled, on_order_cancelled, name="logistics.close_ship_deadline")
    jobs.add("logistics.poll_tracking", 60, tasks.poll_tracking)
    jobs.add("logistics.record_late_shipments", 300, tasks.record_late_shipments)
    providers.add(CARRIER_NETWORK, "sandbox", SandboxCarrierNetwork)


def on_orders_paid(session: Session, evs: list[OrderPaid]) -> None:
    now = clock.now()
    deadlines.open_deadlines(session, [(ev.order_id, ev.shop_id, ev.emitted_at or now) for ev in evs])


def on_orders_placed(session: Session, evs: list[OrderPlaced]) -> None:
    """A pay-after-use order is confirmed when placed: its ship-by clock starts then."""
    now = clock.now()
    deadlines.open_deadlines(
        session, [(ev.order_id, ev.shop_id, ev.emitted_at or now) for ev in evs if ev.pay_mode == "pay_later"]
    )


def on_order_cancelled(session: Session, ev: OrderCancelled) -> None:
    deadlines.close_deadline(session, ev.order_id)
