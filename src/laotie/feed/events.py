"""The new-merchant detector's evidence, from events: a shop opening starts it, paid orders add to
its early GMV, its first broadcast's audience is counted when the broadcast ends."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import Event, bus
from laotie.feed import newshops
from laotie.feed.policy import get_policy
from laotie.shops import service as shops


@bus.subscribe("ShopStatusChanged", name="feed.shop_opened")
def shop_opened(session: Session, ev: Event) -> None:
    if ev.payload.get("to") != "open":
        return
    shop = shops.get_shop(session, int(ev.payload["shop_id"]))
    if shop.opened_at is not None:
        newshops.track(session, {shop.id: shop.opened_at})


@bus.subscribe("OrderPaid", name="feed.early_gmv")
def order_paid(session: Session, ev: Event) -> None:
    policy = get_policy()
    shop_id = int(ev.payload["shop_id"])
    newshops.add_gmv(session, shop_id, int(ev.payload.get("payable_fen") or 0), policy.early_gmv_days)
    newshops.stamp_promising(session, [shop_id], policy)


@bus.subscribe("LiveSessionEnded", name="feed.first_broadcast")
def broadcast_ended(session: Session, ev: Event) -> None:
    shop_id = ev.payload.get("shop_id")
    if shop_id is None:
        return
    newshops.record_first_broadcast(session, int(shop_id))
    newshops.stamp_promising(session, [int(shop_id)], get_policy())
