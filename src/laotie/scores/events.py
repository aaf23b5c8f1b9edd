"""What scores listen to (``register``), each handler keeping its own input row so that a redelivered
event changes nothing: reviews published and removed; orders delivered (the 品退率's denominator,
with the order's creator) and shipped (on time or late, from logistics' ship-by deadline);
after-sales cases (a case refunded for a quality fault is a quality return; the first merchant
answer times the after-sales speed) and disputes (fault_party merchant: a dispute lost); reports
upheld (a complaint) and violations confirmed or reversed (points); prices and products (价格力).
Payloads are read defensively (``_id``, ``_time``, ``_stars``): a bad value fails loudly or counts
as now, never as someone else's figure. What scores emit is in ``laotie.events.scores``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.events import EventBus
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry
from laotie.events.aftersales import CaseStatusChanged, DisputeDecided
from laotie.events.catalog import ProductChanged, ProductStatusChanged, SkuPriceChanged
from laotie.events.governance import ReportDecided, ViolationConfirmed, ViolationReversed
from laotie.events.orders import OrderDelivered, OrderShipped
from laotie.events.reviews import ReviewPublished, ReviewRemoved
from laotie.logistics import service as logistics
from laotie.orders import service as orders
from laotie.scores import apply, prices, tasks
from laotie.scores import formulas as f
from laotie.scores.compute import Cause

ANSWERS = {"approved", "rejected", "refunded"}


def register(bus: EventBus, jobs: JobRegistry, providers: ProviderRegistry) -> None:
    bus.subscribe(ReviewPublished, review_published, name="scores.review_published")
    bus.subscribe(ReviewRemoved, review_removed, name="scores.review_removed")
    bus.subscribe(OrderDelivered, order_delivered, name="scores.order_delivered")
    bus.subscribe(OrderShipped, order_shipped, name="scores.order_shipped")
    bus.subscribe(CaseStatusChanged, case_status_changed, name="scores.case_status_changed")
    bus.subscribe(DisputeDecided, dispute_decided, name="scores.dispute_decided")
    bus.subscribe(ReportDecided, report_decided, name="scores.report_decided")
    bus.subscribe(ViolationConfirmed, violation_confirmed, name="scores.violation_confirmed")
    bus.subscribe(ViolationReversed, violation_reversed, name="scores.violation_reversed")
    bus.subscribe(SkuPriceChanged, price, name="scores.price_changed")
    bus.subscribe(ProductStatusChanged, price, name="scores.product_status")
    bus.subscribe(ProductChanged, price, name="scores.product_changed_catalog")
    jobs.add("scores.roll_windows", 600, tasks.roll_windows)
    jobs.add("scores.refresh_prices", 1800, tasks.refresh_prices)


def _time(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return clock.now()
        return at if at.tzinfo else at.replace(tzinfo=UTC)
    return clock.now()


def _id(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _stars(value: Any) -> int:
    n = int(value)
    if not 1 <= n <= 5:
        raise ValueError(f"stars out of range: {value!r}")
    return n


def review_published(session: Session, ev: ReviewPublished) -> None:
    p = ev.payload()
    apply.review_published(
        session,
        apply.Review(
            review_id=int(p["review_id"]),
            order_line_id=int(p["order_line_id"]),
            product_id=int(p["product_id"]),
            shop_id=int(p["shop_id"]),
            category_id=int(p["category_id"]),
            creator_id=_id(p.get("creator_id")),
            product_stars=_stars(p["product_stars"]),
            service_stars=_stars(p["service_stars"]),
            logistics_stars=_stars(p["logistics_stars"]),
            is_default=bool(p.get("is_default")),
            published_at=_time(p.get("published_at")),
        ),
    )


def review_removed(session: Session, ev: ReviewRemoved) -> None:
    apply.review_removed(session, ev.review_id, _time(ev.removed_at))


def order_delivered(session: Session, ev: OrderDelivered) -> None:
    apply.order_delivered(session, ev.order_id, _id(ev.creator_id))


def order_shipped(session: Session, ev: OrderShipped) -> None:
    order_id, shop_id = ev.order_id, ev.shop_id
    order = orders.refundable_order(session, order_id)
    late = any(
        x.order_id == order_id for x in logistics.late_shipments(session, shop_id, since=order.paid_at)
    )
    apply.fact(
        session,
        "shipped",
        f"order:{order_id}",
        order.shipped_at or clock.now(),
        "shipped",
        Cause("late_shipment" if late else "shipment", order_id),
        shop_id=shop_id,
        extra=("shipped_late", int(late)),
    )


def case_status_changed(session: Session, ev: CaseStatusChanged) -> None:
    p = ev.payload()
    case_id, shop_id, at = int(p["case_id"]), int(p["shop_id"]), _time(p.get("at"))
    if p.get("to_status") == "refunded" and p.get("reason") in f.QUALITY_REASONS:
        lines = [int(x["line_id"]) for x in p.get("lines") or [] if isinstance(x.get("line_id"), int)]
        apply.quality_return(session, case_id, int(p["order_id"]), lines, at)
    if p.get("from_status") == "requested" and p.get("to_status") in ANSWERS:
        minutes = max(0, round((at - _time(p.get("opened_at"))).total_seconds() / 60))
        # An instant refund (before shipping, price protection) is the platform's, not an answer.
        if p.get("party") == "merchant" or (p.get("party") == "system" and minutes >= 60):
            apply.fact(
                session,
                "answer",
                f"case:{case_id}",
                at,
                "answered",
                Cause("aftersales_answer", case_id),
                shop_id=shop_id,
                extra=("answer_minutes", minutes),
            )


def dispute_decided(session: Session, ev: DisputeDecided) -> None:
    p = ev.payload()
    if p.get("fault_party") != "merchant":
        return
    apply.fact(
        session,
        "dispute_lost",
        f"case:{p['case_id']}",
        clock.now(),
        "disputes_lost",
        Cause("dispute_lost", int(p["case_id"])),
        shop_id=int(p["shop_id"]),
    )


def report_decided(session: Session, ev: ReportDecided) -> None:
    p = ev.payload()
    if not p.get("upheld"):
        return
    user_id = _id(p.get("target_id")) if p.get("target_kind") == "user" else None
    apply.fact(
        session,
        "complaint",
        f"report:{p['report_id']}",
        _time(p.get("decided_at")),
        "complaints",
        Cause("complaint", _id(p.get("report_id")), _id(p.get("product_id"))),
        product_id=_id(p.get("product_id")),
        shop_id=_id(p.get("shop_id")),
        user_id=user_id,
    )


def _violation_ref(p: dict[str, Any]) -> str:
    return f"case:{p.get('case_id')}:{p.get('rule_code')}:{p.get('subject_kind')}:{p.get('subject_id')}"


def violation_confirmed(session: Session, ev: ViolationConfirmed) -> None:
    p = ev.payload()
    points = _id(p.get("points")) or 0
    if points <= 0:
        return
    apply.fact(
        session,
        "violation",
        _violation_ref(p),
        _time(p.get("decided_at")),
        "violation_points",
        Cause("violation", _id(p.get("case_id")), _id(p.get("product_id"))),
        product_id=_id(p.get("product_id")),
        shop_id=_id(p.get("shop_id")),
        user_id=_id(p.get("user_id")),
        value=points,
    )


def violation_reversed(session: Session, ev: ViolationReversed) -> None:
    p = ev.payload()
    apply.reverse_fact(
        session,
        "violation",
        _violation_ref(p),
        _time(p.get("reversed_at")),
        "violation_points",
        Cause("violation_reversed", _id(p.get("case_id")), _id(p.get("product_id"))),
    )


def price(session: Session, ev: SkuPriceChanged | ProductStatusChanged | ProductChanged) -> None:
    prices.observe(session, [ev.product_id], Cause("price", ev.product_id, ev.product_id))
