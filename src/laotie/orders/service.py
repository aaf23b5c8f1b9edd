"""Orders: checkout, payment, the order's life, and what buyers and merchants see of it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.addresses import service as addresses
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.errors import AppError
from laotie.core.pagination import Page, PageParams
from laotie.orders import access, errors, lifecycle, overrides
from laotie.orders import cart as cart  # the buyer's cart, opened to the web pages on purpose
from laotie.orders import fulfilment as fulfilment  # the merchant's fulfilment, opened to the pages
from laotie.orders import paylater as paylater  # pay-after-use eligibility, opened to the pages
from laotie.orders.attribution import LiveCart as LiveCart  # re-exported for live
from laotie.orders.attribution import on_live_lookup as on_live_lookup  # re-exported for live

# What after-sales reads and writes of many orders at once (re-exported on purpose).
from laotie.orders.bulk_refunding import refund_in_full_and_close as refund_in_full_and_close
from laotie.orders.bulk_refunding import refundable_orders as refundable_orders
from laotie.orders.models import Checkout, Order, OrderEvent, OrderEventKind, OrderLine, OrderStatus, PayMode
from laotie.orders.overrides import Release

# Starting to pay a checkout (re-exported on purpose: routes, pages and tests call service.pay).
from laotie.orders.paying import pay as pay
from laotie.orders.placement import place_batch

# Every route that places answers through this (re-exported for live's flash-sale route).
from laotie.orders.placement_answer import answer as answer
from laotie.orders.placement_prepare import prepare
from laotie.orders.placement_types import Wanted
from laotie.orders.quote import QuoteIn as QuoteIn
from laotie.orders.quote import QuoteLineIn as QuoteLineIn
from laotie.orders.quote import quote as quote

# What after-sales reads and writes of an order (re-exported on purpose).
from laotie.orders.refunding import LineRefund as LineRefund
from laotie.orders.refunding import RefundableLine as RefundableLine
from laotie.orders.refunding import RefundableOrder as RefundableOrder
from laotie.orders.refunding import close_refunded as close_refunded
from laotie.orders.refunding import delivered_order_ids as delivered_order_ids
from laotie.orders.refunding import note as note
from laotie.orders.refunding import record_line_refunds as record_line_refunds
from laotie.orders.refunding import record_refund as record_refund
from laotie.orders.refunding import refundable_order as refundable_order
from laotie.orders.reporting import buyer_purchases as buyer_purchases
from laotie.orders.reporting import live_session_orders as live_session_orders  # re-exported
from laotie.orders.reporting import order_products as order_products
from laotie.orders.reporting import orders_with_products as orders_with_products
from laotie.orders.reporting import placed_at as placed_at
from laotie.orders.reporting import product_sales as product_sales
from laotie.orders.reporting import products_of_orders as products_of_orders

# What reviews read of a line (re-exported on purpose): who bought it, whether it arrived, a lock.
from laotie.orders.reviewable import ReviewableLine as ReviewableLine
from laotie.orders.reviewable import order_lines as order_lines
from laotie.orders.reviewable import received_lines as received_lines
from laotie.orders.reviewable import reviewable_line as reviewable_line
from laotie.orders.schemas import CheckoutIn, LineOut, OrderEventOut, OrderOut, PlacedCheckout
from laotie.orders.shop_figures import ShopFigures as ShopFigures
from laotie.orders.shop_figures import shop_figures as shop_figures
from laotie.payments import service as payments
from laotie.settings import get_settings
from laotie.shops import service as shops

TIMEOUT_REASON = lifecycle.TIMEOUT_REASON


def checkout(session: Session, buyer: Principal, body: CheckoutIn, idempotency_key: str) -> PlacedCheckout:
    """Place one checkout inside the caller's transaction (a batch of one, the caller commits): for
    work that buys as part of a larger unit (a governance test purchase, the simulator). Routes
    place through the batcher instead (``app.state.placement_batcher``)."""
    (request,) = prepare(session, [Wanted(buyer.user_id, body, idempotency_key)])
    if isinstance(request, AppError):
        raise request
    return place_batch(session, [request])[0].result()


def _checkout_of(session: Session, buyer: Principal, checkout_id: int) -> Checkout:
    row = session.get(Checkout, checkout_id)
    if row is None or row.buyer_id != buyer.user_id:
        raise errors.ORDER_NOT_FOUND(checkout_id=checkout_id)
    return row


def on_reservation_release(kind: str, release: Release) -> None:
    """The domain that reserved units for a ``PriceOverride`` of ``kind`` (live: ``flash_sale``) says
    where a cancelled order's units go: ``release(session, reference_id, buyer_id, quantity)`` returns
    True when it took them back, False to send them to the SKU's stock. Runs in the cancel's
    transaction, once per line, only for the cancel that won."""
    overrides.on_release(kind, release)


def cancel_by_buyer(session: Session, buyer: Principal, order_id: int, reason: str) -> OrderOut:
    """取消订单. An unpaid order's payment is stopped at the provider first: a payment it had already
    taken wins (ALREADY_PAID; its webhook marks the order paid), one it cannot reach now is PAYMENT_PENDING."""
    order = access.own_order(session, buyer, order_id)
    if order.status == OrderStatus.PENDING_PAYMENT and order.pay_mode == PayMode.PAY_NOW:
        lifecycle.lock_checkouts(session, [order.checkout_id])
        state = payments.stop_or_capture(session, "checkout", order.checkout_id, "订单已取消", give_up=True)
        if state == payments.PaymentState.CAPTURED:
            raise errors.ALREADY_PAID(order_id=order_id)
        if state == payments.PaymentState.PENDING:
            raise errors.PAYMENT_PENDING(order_id=order_id)
    lifecycle.cancel(session, order.id, buyer.user_id, reason or "买家取消")
    return order_out(session, lifecycle.load(session, order.id), full_address=True)


def cancel_expired(session: Session, limit: int = 500) -> list[int]:
    """The job behind "unpaid orders cancel themselves": each order's stock comes back exactly once.

    Silence is not an answer (a webhook can be minutes late): the provider is asked first. A payment
    it took wins and the order is paid now. One the buyer confirmed and the provider is still working
    on keeps the order ``payment_timeout_grace_seconds`` more, then is stopped at the provider. The
    order is cancelled only once the provider has said no money can come: while it cannot be reached
    the order waits (its stock stays held) and the job asks again on its next run. So a buyer who
    paid in time keeps the order however late the webhook; the refund of a payment to a cancelled
    order (``events``) is left for a buyer who paid after cancelling it themselves."""
    cancelled = []
    now = clock.now()
    grace = timedelta(seconds=get_settings().payment_timeout_grace_seconds)
    expired = lifecycle.expired_order_ids(session, now, limit)
    lifecycle.lock_checkouts(session, lifecycle.checkouts_of(session, expired))
    for order_id in expired:
        order = lifecycle.load(session, order_id)
        if order.pay_mode == PayMode.PAY_NOW:
            give_up = order.expires_at is not None and now >= order.expires_at + grace
            state = payments.stop_or_capture(
                session, "checkout", order.checkout_id, "超时未支付，订单取消", give_up=give_up
            )
            if state == payments.PaymentState.CAPTURED:
                lifecycle.move(
                    session,
                    order_id,
                    OrderStatus.PAID,
                    None,
                    OrderEventKind.PAID,
                    "超时前已付款",
                    strict=False,
                )
                continue
            if state == payments.PaymentState.PENDING:
                continue
        if lifecycle.cancel(session, order_id, None, TIMEOUT_REASON, strict=False):
            cancelled.append(order_id)
    return cancelled


def _lines(session: Session, order_id: int) -> list[LineOut]:
    rows = session.scalars(
        select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)
    ).all()
    return [
        LineOut(
            id=r.id,
            sku_id=r.sku_id,
            product_id=r.product_id,
            title=r.title,
            sku_attrs=dict(r.sku_attrs),
            unit_price_fen=r.unit_price_fen,
            quantity=r.quantity,
            line_total_fen=r.line_total_fen,
            discount_fen=r.discount_fen,
            discounts=list(r.discounts or []),
        )
        for r in rows
    ]


def _events(session: Session, order_id: int) -> list[OrderEventOut]:
    rows = session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
    ).all()
    return [
        OrderEventOut(
            kind=r.kind,
            from_status=r.from_status,
            to_status=r.to_status,
            actor_id=r.actor_id,
            reason=r.reason,
            at=r.at,
        )
        for r in rows
    ]


def order_out(session: Session, order: Order, full_address: bool, with_events: bool = True) -> OrderOut:
    address = order.address if full_address else addresses.masked(order.address).model_dump(mode="json")
    return OrderOut(
        id=order.id,
        checkout_id=order.checkout_id,
        buyer_id=order.buyer_id,
        shop_id=order.shop_id,
        status=order.status,
        pay_mode=order.pay_mode,
        channel=order.channel,
        live_session_id=order.live_session_id,
        video_id=order.video_id,
        creator_id=order.creator_id,
        search_query=order.search_query,
        items_total_fen=order.items_total_fen,
        discount_fen=order.discount_fen,
        subsidy_fen=order.subsidy_fen,
        shipping_fen=order.shipping_fen,
        payable_fen=order.payable_fen,
        address=address,
        lines=_lines(session, order.id),
        created_at=order.created_at,
        expires_at=order.expires_at,
        paid_at=order.paid_at,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        completed_at=order.completed_at,
        cancelled_at=order.cancelled_at,
        cancel_reason=order.cancel_reason,
        refunded_fen=order.refunded_fen,
        payment_intent_id=session.scalar(
            select(Checkout.payment_intent_id).where(Checkout.id == order.checkout_id)
        ),
        events=_events(session, order.id) if with_events else [],
    )


def buyer_order(session: Session, buyer: Principal, order_id: int) -> OrderOut:
    return order_out(session, access.own_order(session, buyer, order_id), full_address=True)


def shop_order(session: Session, principal: Principal, shop_id: int, order_id: int) -> OrderOut:
    """A merchant sees the buyer's address masked until it prints a shipping label."""
    return order_out(session, access.shop_order(session, principal, shop_id, order_id), full_address=False)


def _page(session: Session, where: list[object], params: PageParams, full_address: bool) -> Page[OrderOut]:
    total = session.scalar(select(func.count()).select_from(Order).where(*where)) or 0  # type: ignore[arg-type]
    rows = session.scalars(
        select(Order).where(*where).order_by(Order.id.desc()).limit(params.limit).offset(params.offset)  # type: ignore[arg-type]
    ).all()
    items = [order_out(session, o, full_address, with_events=False) for o in rows]
    return Page(items=items, total=total, limit=params.limit, offset=params.offset)


def buyer_orders(
    session: Session, buyer: Principal, params: PageParams, status: OrderStatus | None = None
) -> Page[OrderOut]:
    where: list[object] = [Order.buyer_id == buyer.user_id]
    if status is not None:
        where.append(Order.status == status)
    return _page(session, where, params, full_address=True)


def shop_orders(
    session: Session,
    principal: Principal,
    shop_id: int,
    params: PageParams,
    status: OrderStatus | tuple[OrderStatus, ...] | None = None,
) -> Page[OrderOut]:
    """The shop's orders, newest first; ``status`` one state or several (a console tab)."""
    shops.require_shop_member(session, shop_id, principal)
    where: list[object] = [Order.shop_id == shop_id]
    if isinstance(status, tuple):
        where.append(Order.status.in_(status))
    elif status is not None:
        where.append(Order.status == status)
    return _page(session, where, params, full_address=False)


def checkout_orders(session: Session, buyer: Principal, checkout_id: int) -> list[OrderOut]:
    """The orders one checkout placed (one per shop), for the buyer's cashier page."""
    _checkout_of(session, buyer, checkout_id)
    rows = session.scalars(select(Order).where(Order.checkout_id == checkout_id).order_by(Order.id)).all()
    return [order_out(session, o, full_address=True, with_events=False) for o in rows]


def order_trail(session: Session, order_id: int) -> list[OrderEventOut]:
    """The order's append-only trail (who did what, when), for after-sales and disputes."""
    return _events(session, order_id)


def order_view(session: Session, order_id: int, full_address: bool = False) -> OrderOut:
    """One order as staff or after-sales see it (address masked unless asked)."""
    return order_out(session, lifecycle.load(session, order_id), full_address=full_address)
