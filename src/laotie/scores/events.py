"""What scores listen to, and what they announce.

Consumed (each handler keeps its own input row, so a redelivered event changes nothing):
- ``reviews.review_published`` / ``reviews.review_removed`` (contract payloads in CONTRACTS.md);
- ``OrderDelivered`` (delivered lines, the 品退率's denominator, with the order's creator),
  ``OrderShipped`` (on time or late, from logistics' ship-by deadline);
- ``aftersales.case_status_changed`` (a case refunded for a quality fault is a quality return; the
  first merchant answer times the after-sales speed), ``DisputeDecided`` (fault_party merchant:
  a dispute lost);
- ``governance.report_decided`` (upheld: a complaint), ``governance.violation_confirmed`` /
  ``governance.violation_reversed`` (points);
- ``SkuPriceChanged``, ``ProductStatusChanged``, ``catalog.product_changed`` (价格力).

Emitted:
- ``scores.product_changed`` {"product_id", "shop_id"} and ``scores.shop_changed`` {"shop_id"}: a
  figure search and feed rank with moved (they read the new figures through ``service``);
- ``scores.threshold_crossed`` {"score", "subject_kind", "subject_id", "shop_id", "value",
  "threshold", "direction" ("below" | "recovered"), "at"}; scores named: ``product_score``,
  ``overpriced``, ``quality_return_rate``, ``experience``, ``dsr``, ``integrity``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.events import Event, bus
from laotie.logistics import service as logistics
from laotie.orders import service as orders
from laotie.scores import apply, prices
from laotie.scores import formulas as f
from laotie.scores.compute import Cause

ANSWERS = {"approved", "rejected", "refunded"}


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


@bus.subscribe("reviews.review_published", name="scores.review_published")
def review_published(session: Session, ev: Event) -> None:
    p = ev.payload
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


@bus.subscribe("reviews.review_removed", name="scores.review_removed")
def review_removed(session: Session, ev: Event) -> None:
    apply.review_removed(session, int(ev.payload["review_id"]), _time(ev.payload.get("removed_at")))


@bus.subscribe("OrderDelivered", name="scores.order_delivered")
def order_delivered(session: Session, ev: Event) -> None:
    apply.order_delivered(session, int(ev.payload["order_id"]), _id(ev.payload.get("creator_id")))


@bus.subscribe("OrderShipped", name="scores.order_shipped")
def order_shipped(session: Session, ev: Event) -> None:
    order_id, shop_id = int(ev.payload["order_id"]), int(ev.payload["shop_id"])
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


@bus.subscribe("aftersales.case_status_changed", name="scores.case_status_changed")
def case_status_changed(session: Session, ev: Event) -> None:
    p = ev.payload
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


@bus.subscribe("DisputeDecided", name="scores.dispute_decided")
def dispute_decided(session: Session, ev: Event) -> None:
    p = ev.payload
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


@bus.subscribe("governance.report_decided", name="scores.report_decided")
def report_decided(session: Session, ev: Event) -> None:
    p = ev.payload
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


@bus.subscribe("governance.violation_confirmed", name="scores.violation_confirmed")
def violation_confirmed(session: Session, ev: Event) -> None:
    p = ev.payload
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


@bus.subscribe("governance.violation_reversed", name="scores.violation_reversed")
def violation_reversed(session: Session, ev: Event) -> None:
    p = ev.payload
    apply.reverse_fact(
        session,
        "violation",
        _violation_ref(p),
        _time(p.get("reversed_at")),
        "violation_points",
        Cause("violation_reversed", _id(p.get("case_id")), _id(p.get("product_id"))),
    )


@bus.subscribe("SkuPriceChanged", name="scores.price_changed")
@bus.subscribe("ProductStatusChanged", name="scores.product_status")
@bus.subscribe("catalog.product_changed", name="scores.product_changed_catalog")
def price(session: Session, ev: Event) -> None:
    product_id = _id(ev.payload.get("product_id"))
    if product_id is not None:
        prices.observe(session, [product_id], Cause("price", product_id, product_id))
