"""The new-merchant detector's evidence, from events: a shop opening starts it, paid orders add to
its early GMV, its first broadcast's audience is counted when the broadcast ends. ``register`` lists
the handlers, with the domain's job."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import EventBus
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry
from laotie.events.live import LiveSessionEnded
from laotie.events.orders import OrderPaid
from laotie.events.shops import ShopStatusChanged
from laotie.feed import newshops, tasks
from laotie.feed.policy import get_policy
from laotie.shops import service as shops


def register(bus: EventBus, jobs: JobRegistry, providers: ProviderRegistry) -> None:
    bus.subscribe(ShopStatusChanged, shop_opened, name="feed.shop_opened")
    bus.subscribe_many(OrderPaid, orders_paid, name="feed.early_gmv")
    bus.subscribe(LiveSessionEnded, broadcast_ended, name="feed.first_broadcast")
    jobs.add("feed.flush_impressions", 1.0, tasks.flush_impressions, everywhere=True)


def shop_opened(session: Session, ev: ShopStatusChanged) -> None:
    if ev.to != "open":
        return
    shop = shops.get_shop(session, ev.shop_id)
    if shop.opened_at is not None:
        newshops.track(session, {shop.id: shop.opened_at})


def orders_paid(session: Session, evs: list[OrderPaid]) -> None:
    """A run of paid orders: each shop's GMV grows by its orders' sum, then its promise is judged once."""
    policy = get_policy()
    by_shop: dict[int, int] = {}
    for ev in evs:
        by_shop[ev.shop_id] = by_shop.get(ev.shop_id, 0) + (ev.payable_fen or 0)
    newshops.add_gmv(session, by_shop, policy.early_gmv_days)
    newshops.stamp_promising(session, list(by_shop), policy)


def broadcast_ended(session: Session, ev: LiveSessionEnded) -> None:
    shop_id = ev.shop_id
    if shop_id is None:
        return
    newshops.record_first_broadcast(session, shop_id)
    newshops.stamp_promising(session, [shop_id], get_policy())
