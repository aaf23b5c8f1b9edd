"""Pay after use (先用后付): who may, from the buyer's own history."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.catalog import service as catalog
from laotie.categories import service as categories
from laotie.core import clock
from laotie.orders import errors, lifecycle
from laotie.orders.models import ChargeState, Order, OrderEventKind, OrderStatus, PayMode
from laotie.payments import service as payments
from laotie.settings import get_settings


def ineligibility(session: Session, buyer_id: int, sku_ids: list[int]) -> str | None:
    """Why the buyer may not pay after use for these SKUs, or None when they may."""
    settings = get_settings()
    user = accounts.get_user_out(session, buyer_id)
    if clock.now() - user.created_at < timedelta(days=settings.pay_later_min_account_days):
        return f"账号注册满{settings.pay_later_min_account_days}天后可用"
    completed = (
        session.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.buyer_id == buyer_id, Order.status == OrderStatus.COMPLETED)
        )
        or 0
    )
    if completed < settings.pay_later_min_completed_orders:
        return f"完成{settings.pay_later_min_completed_orders}笔订单后可用"
    unpaid = (
        session.scalar(
            select(func.count())
            .select_from(Order)
            .where(
                Order.buyer_id == buyer_id,
                Order.pay_mode == PayMode.PAY_LATER,
                Order.charge_state == ChargeState.COLLECTIONS,
            )
        )
        or 0
    )
    if unpaid:
        return "存在未结清的先用后付欠款"
    if payments.agreement_of(session, buyer_id) is None:
        return "请先开通先用后付（签署代扣协议）"
    excluded = set(settings.pay_later_excluded_categories)
    for sku in catalog.skus_for_sale(session, sku_ids).values():
        top = categories.get_category(session, categories.top_level_of(session, sku.category_id))
        if top.name in excluded:
            return f"{top.name}类商品不支持先用后付"
    return None


def require_eligible(session: Session, buyer_id: int, sku_ids: list[int]) -> None:
    reason = ineligibility(session, buyer_id, sku_ids)
    if reason is not None:
        raise errors.PAY_LATER_NOT_ELIGIBLE(reason=reason)


def charge(session: Session, order: Order) -> None:
    """Charge a pay-after-use order after receipt (first try, or a retry); the webhook tells the result."""
    attempt = order.charge_attempts + 1
    amount = order.payable_fen - order.refunded_fen  # what after-sales gave back is not charged
    if amount <= 0:
        order.charge_state = ChargeState.CHARGED
        order.charge_retry_at = None
        session.flush()
        return
    order.charge_state = ChargeState.CHARGING
    order.charge_retry_at = None
    session.flush()
    payments.charge_pay_later(
        session,
        order.buyer_id,
        amount,
        "order",
        order.id,
        f"orders:pay-later:{order.id}:{attempt}",
    )


def charge_failed(session: Session, order_id: int, reason: str) -> None:
    """A failed charge is retried with growing gaps; after the last try the debt goes to collections,
    which takes pay-after-use away from the buyer. The shop was paid regardless."""
    order = session.get(Order, order_id, with_for_update=True)
    if order is None or order.charge_state != ChargeState.CHARGING:
        return
    order.charge_attempts += 1
    if order.charge_attempts >= get_settings().pay_later_max_charge_attempts:
        order.charge_state = ChargeState.COLLECTIONS
    else:
        order.charge_state = ChargeState.RETRY
        order.charge_retry_at = clock.now() + timedelta(hours=order.charge_attempts)
    session.flush()
    lifecycle.record(
        session,
        order.id,
        OrderEventKind.PAY_LATER_COLLECTIONS
        if order.charge_state == ChargeState.COLLECTIONS
        else OrderEventKind.PAY_LATER_RETRY,
        None,
        order.status.value,
        order.status.value,
        reason,
    )


def charge_succeeded(session: Session, order_id: int) -> None:
    order = session.get(Order, order_id, with_for_update=True)
    if order is None or order.charge_state == ChargeState.CHARGED:
        return
    order.charge_state = ChargeState.CHARGED
    order.charge_retry_at = None
    session.flush()
    lifecycle.record(
        session, order.id, OrderEventKind.PAY_LATER_CHARGED, None, order.status.value, order.status.value, ""
    )


def retry_due(session: Session, limit: int = 200) -> list[int]:
    ids = session.scalars(
        select(Order.id)
        .where(Order.charge_state == ChargeState.RETRY, Order.charge_retry_at <= clock.now())
        .limit(limit)
    ).all()
    for order_id in ids:
        order = session.get(Order, order_id)
        if order is not None:
            charge(session, order)
    return list(ids)
