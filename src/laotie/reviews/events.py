"""What reviews does when others' events come in, and everything the domain registers.

- ``OrderCompleted``: the order's lines become due a 系统默认好评 15 days later.
- ``ContentRemoved`` with ``kind == "review"``: that review is removed (recorded in its trail with
  the case id; a review already down is left as it is).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import EventBus
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry
from laotie.events.governance import ContentRemoved
from laotie.events.orders import OrderCompleted
from laotie.reviews import service, tasks


def register(bus: EventBus, jobs: JobRegistry, providers: ProviderRegistry) -> None:
    bus.subscribe(OrderCompleted, on_order_completed, name="reviews.schedule_default")
    bus.subscribe(ContentRemoved, on_content_removed, name="reviews.content_removed")
    jobs.add("reviews.default_reviews", 300, tasks.default_reviews)


def on_order_completed(session: Session, ev: OrderCompleted) -> None:
    service.schedule_defaults(session, ev.order_id)


def on_content_removed(session: Session, ev: ContentRemoved) -> None:
    if ev.kind != "review":
        return
    service.remove(session, ev.id, ev.reason or "平台治理删除", None, case_id=ev.case_id, strict=False)
