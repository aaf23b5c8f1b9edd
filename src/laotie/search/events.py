"""Keeping the index in step: each handler rebuilds what an event may have changed, from the owners'
current facts (scores through ``scores.service``), so running it twice changes nothing.

In the embedded setup the outbox worker wakes the moment a transaction with events commits, so a
listing change is searchable well within a second; with several API processes the worker process
(or processes) apply the same handlers to the one shared index.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import Event, bus
from laotie.orders import service as orders
from laotie.search import indexing
from laotie.search.models import DocKind
from laotie.search.scorecolumns import product_score_columns, shop_score_columns
from laotie.search.service import set_product_scores, set_shop_scores

PRODUCT_TOPICS = (
    "ProductStatusChanged",
    "SkuPriceChanged",
    "catalog.product_changed",
    "CampaignPriceApproved",
)


def _product(session: Session, ev: Event) -> None:
    product_id = ev.payload.get("product_id")
    if isinstance(product_id, int):
        indexing.index_products(session, [product_id])


for _topic in PRODUCT_TOPICS:
    bus.subscribe(_topic, name=f"search.index_product.{_topic}")(_product)


@bus.subscribe("OrderPaid", name="search.sales_on_paid")
@bus.subscribe("OrderCancelled", name="search.stock_on_cancel")
def order_products(session: Session, ev: Event) -> None:
    """Sales (paid) and stock (given back on cancel) of the products an order holds."""
    indexing.index_products(session, orders.order_products(session, int(ev.payload["order_id"])))


@bus.subscribe("ShopStatusChanged", name="search.shop_status")
def shop_status(session: Session, ev: Event) -> None:
    """A frozen or closed shop's goods leave search; a reopened shop's come back."""
    shop_id = int(ev.payload["shop_id"])
    indexing.index_products(session, indexing.shop_products(session, shop_id))


@bus.subscribe("logistics.shipping_changed", name="search.shipping")
def shipping(session: Session, ev: Event) -> None:
    ids = ev.payload.get("product_ids")
    if ids is None:
        ids = list(indexing.shop_products(session, int(ev.payload["shop_id"])))
    indexing.index_products(session, ids)


@bus.subscribe("standing.consequence_imposed", name="search.consequence_imposed")
@bus.subscribe("standing.consequence_lifted", name="search.consequence_lifted")
def consequence(session: Session, ev: Event) -> None:
    """Throttling: a product's or shop's traffic columns follow ``standing``."""
    kind, subject_id = ev.payload["subject_kind"], int(ev.payload["subject_id"])
    if kind == "product":
        shops = indexing.product_shops(session, [subject_id])
        indexing.apply_traffic(session, shops)
    elif kind == "shop":
        indexing.apply_traffic(session, indexing.shop_products(session, subject_id))
        indexing.apply_shop_media_traffic(session, subject_id)


@bus.subscribe("scores.product_changed", name="search.product_scores")
def product_scores(session: Session, ev: Event) -> None:
    """A product's scores moved: read them through the scores API (never from the payload) and rerank."""
    product_id = int(ev.payload["product_id"])
    set_product_scores(session, product_id, **product_score_columns(session, [product_id])[product_id])


@bus.subscribe("scores.shop_changed", name="search.shop_scores")
def shop_scores(session: Session, ev: Event) -> None:
    shop_id = int(ev.payload["shop_id"])
    set_shop_scores(session, shop_id, **shop_score_columns(session, [shop_id])[shop_id])


@bus.subscribe("LiveSessionStarted", name="search.live_started")
@bus.subscribe("LiveSessionEnded", name="search.live_ended")
def live_session(session: Session, ev: Event) -> None:
    indexing.index_live(session, [int(ev.payload["session_id"])])


@bus.subscribe("video.published", name="search.video_published")
@bus.subscribe("video.removed", name="search.video_removed")
def video(session: Session, ev: Event) -> None:
    indexing.index_videos(session, [int(ev.payload["video_id"])])


__all__ = ["DocKind"]
