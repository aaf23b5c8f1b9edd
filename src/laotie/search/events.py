"""Keeping the index in step: each handler rebuilds what an event may have changed, from the owners'
current facts (scores through ``scores.service``), so running it twice changes nothing.

In the embedded setup the outbox worker wakes the moment a transaction with events commits, so a
listing change is searchable well within a second; with several API processes the worker process
(or processes) apply the same handlers to the one shared index. ``register`` lists them, with the
domain's job.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.events import EventBus
from laotie.core.jobs import JobRegistry
from laotie.core.providers import ProviderRegistry
from laotie.events.catalog import ProductChanged, ProductStatusChanged, SkuPriceChanged
from laotie.events.live import LiveSessionEnded, LiveSessionStarted
from laotie.events.logistics import ShippingChanged
from laotie.events.orders import OrderCancelled, OrderPaid
from laotie.events.promotions import CampaignPriceApproved
from laotie.events.scores import ProductScoresChanged, ShopScoresChanged
from laotie.events.shops import ShopStatusChanged
from laotie.events.standing import ConsequenceImposed, ConsequenceLifted
from laotie.events.video import VideoPublished, VideoRemoved
from laotie.orders import service as orders
from laotie.search import indexing, indexing_media, sales, tasks
from laotie.search.models import DocKind
from laotie.search.scorecolumns import product_score_columns, shop_score_columns
from laotie.search.service import set_product_scores, set_shop_scores

# Whatever may change how a product is found or shown: its document is rebuilt.
ProductEvent = ProductStatusChanged | SkuPriceChanged | ProductChanged | CampaignPriceApproved


def register(bus: EventBus, jobs: JobRegistry, providers: ProviderRegistry) -> None:
    # Handler names keep the topic each was first registered under (delivery records use them).
    bus.subscribe(ProductStatusChanged, _product, name="search.index_product.ProductStatusChanged")
    bus.subscribe(SkuPriceChanged, _product, name="search.index_product.SkuPriceChanged")
    bus.subscribe(ProductChanged, _product, name="search.index_product.catalog.product_changed")
    bus.subscribe(CampaignPriceApproved, _product, name="search.index_product.CampaignPriceApproved")
    # A flash sale pays for one product a thousand times: the outbox hands a run of OrderPaid
    # events over at once and each product's sales columns are set once for the run.
    bus.subscribe_many(OrderPaid, paid_orders_products, name="search.sales_on_paid")
    bus.subscribe(OrderCancelled, order_products, name="search.stock_on_cancel")
    bus.subscribe(ShopStatusChanged, shop_status, name="search.shop_status")
    bus.subscribe(ShippingChanged, shipping, name="search.shipping")
    bus.subscribe(ConsequenceImposed, consequence, name="search.consequence_imposed")
    bus.subscribe(ConsequenceLifted, consequence, name="search.consequence_lifted")
    bus.subscribe(ProductScoresChanged, product_scores, name="search.product_scores")
    bus.subscribe(ShopScoresChanged, shop_scores, name="search.shop_scores")
    bus.subscribe(LiveSessionStarted, live_session, name="search.live_started")
    bus.subscribe(LiveSessionEnded, live_session, name="search.live_ended")
    bus.subscribe(VideoPublished, video, name="search.video_published")
    bus.subscribe(VideoRemoved, video, name="search.video_removed")
    jobs.add("search.flush_query_log", 2.0, tasks.flush_query_log, everywhere=True)


def _product(session: Session, ev: ProductEvent) -> None:
    indexing.index_products(session, [ev.product_id])


def order_products(session: Session, ev: OrderPaid | OrderCancelled) -> None:
    """Sales (paid) and stock (given back on cancel) of the products an order holds."""
    indexing.index_products(session, orders.order_products(session, ev.order_id))


def paid_orders_products(session: Session, evs: list[OrderPaid]) -> None:
    """Sales of the products paid orders hold, each product's counters set once (from the current
    totals, so once covers every order of the run) without rebuilding its document (``sales``)."""
    sales.apply_sales(session, orders.products_of_orders(session, [ev.order_id for ev in evs]))


def shop_status(session: Session, ev: ShopStatusChanged) -> None:
    """A frozen or closed shop's goods leave search; a reopened shop's come back."""
    indexing.index_products(session, indexing.shop_products(session, ev.shop_id))


def shipping(session: Session, ev: ShippingChanged) -> None:
    ids = ev.product_ids
    if ids is None:
        ids = list(indexing.shop_products(session, ev.shop_id))
    indexing.index_products(session, ids)


def consequence(session: Session, ev: ConsequenceImposed | ConsequenceLifted) -> None:
    """Throttling: a product's or shop's traffic columns follow ``standing``."""
    kind, subject_id = ev.subject_kind, ev.subject_id
    if kind == "product":
        shops = indexing.product_shops(session, [subject_id])
        indexing.apply_traffic(session, shops)
    elif kind == "shop":
        indexing.apply_traffic(session, indexing.shop_products(session, subject_id))
        indexing_media.apply_shop_media_traffic(session, subject_id)


def product_scores(session: Session, ev: ProductScoresChanged) -> None:
    """A product's scores moved: read them through the scores API (never from the event) and rerank."""
    product_id = ev.product_id
    set_product_scores(session, product_id, **product_score_columns(session, [product_id])[product_id])


def shop_scores(session: Session, ev: ShopScoresChanged) -> None:
    shop_id = ev.shop_id
    set_shop_scores(session, shop_id, **shop_score_columns(session, [shop_id])[shop_id])


def live_session(session: Session, ev: LiveSessionStarted | LiveSessionEnded) -> None:
    indexing_media.index_live(session, [ev.session_id])


def video(session: Session, ev: VideoPublished | VideoRemoved) -> None:
    indexing_media.index_videos(session, [ev.video_id])


__all__ = ["DocKind"]
