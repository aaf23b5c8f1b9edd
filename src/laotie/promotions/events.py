"""Promotions react to orders: a cancelled order gives back its budget, coupons and 一元购."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import EventBus
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry
from laotie.events.orders import OrderCancelled
from laotie.promotions import service


def register(bus: EventBus, jobs: JobRegistry, providers: ProviderRegistry) -> None:
    bus.subscribe(OrderCancelled, on_order_cancelled, name="promotions.release_on_cancel")


def on_order_cancelled(session: Session, ev: OrderCancelled) -> None:
    service.release_for_order(session, ev.order_id)
