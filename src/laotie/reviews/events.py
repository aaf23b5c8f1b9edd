"""Reviews' outbox events (emitted in the writer's transaction by ``reviews.publishing``) and what
reviews does when others' events come in.

Emitted (ids are int, times ISO-8601 UTC strings, stars int 1..5):

- ``reviews.review_published`` when a review starts counting: a buyer's review that passed
  screening, a held one staff released, or a 系统默认好评::

    {"review_id", "order_id", "order_line_id", "product_id", "sku_id", "shop_id", "category_id",
     "buyer_id", "creator_id" (the order's attributed creator/anchor user id, or null),
     "product_stars", "service_stars", "logistics_stars", "is_default" (bool),
     "has_photos" (bool), "tags" (list of str, e.g. ["尺码偏小", "质量好"]), "published_at"}

- ``reviews.review_removed`` when a counting review is taken down (staff, or governance)::

    {"review_id", "product_id", "shop_id", "order_line_id", "removed_at", "reason"}

- ``reviews.followup_published`` when a follow-up (追评) of a counting review is shown::

    {"review_id", "product_id", "shop_id", "published_at"}

Consumed:

- ``OrderCompleted`` (orders): the order's lines become due a 系统默认好评 15 days later.
- ``governance.content_removed`` with ``kind == "review"``: that review is removed (recorded in its
  trail with the case id; a review already down is left as it is).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import Event, bus
from laotie.reviews import service
from laotie.reviews.publishing import FOLLOWUP_PUBLISHED, REVIEW_PUBLISHED, REVIEW_REMOVED

TOPICS = (REVIEW_PUBLISHED, REVIEW_REMOVED, FOLLOWUP_PUBLISHED)


@bus.subscribe("OrderCompleted", name="reviews.schedule_default")
def on_order_completed(session: Session, ev: Event) -> None:
    service.schedule_defaults(session, int(ev.payload["order_id"]))


@bus.subscribe("governance.content_removed", name="reviews.content_removed")
def on_content_removed(session: Session, ev: Event) -> None:
    if ev.payload.get("kind") != "review":
        return
    case_id = ev.payload.get("case_id")
    service.remove(
        session,
        int(ev.payload["id"]),
        str(ev.payload.get("reason") or "平台治理删除"),
        None,
        case_id=int(case_id) if case_id is not None else None,
        strict=False,
    )
