"""The feed's public face: the recommended streams, the mall home, the impression log and the
new-merchant detector. The web pages, the API and the simulator call these functions; the traffic
policy is chosen by name (``policy``), so the simulator can run ``laotie`` against ``gmv``."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.feed import errors, impressions, newshops, recommend
from laotie.feed.impressions import RECORDER, Shown
from laotie.feed.policy import POLICIES, TrafficPolicy, get_policy
from laotie.feed.schemas import (
    TAB_LABELS,
    CampaignShelf,
    CategoryEntry,
    FeedItem,
    FeedPage,
    MallHome,
    SubsidyHit,
)
from laotie.promotions import service as promotions
from laotie.search import service as search
from laotie.search.schemas import Filters, ProductHit

__all__ = [
    "POLICIES",
    "RECORDER",
    "Shown",
    "TrafficPolicy",
    "exposure_by_shop",
    "feed",
    "flush_impressions",
    "get_policy",
    "mall_home",
    "record_hits",
]

KINDS = {"live": "live", "video": "video"}
exposure_by_shop = impressions.exposure_by_shop


def feed(
    session: Session,
    principal: Principal | None,
    tab: str = "recommend",
    limit: int = 20,
    offset: int = 0,
    *,
    policy: str | None = None,
    record: bool = True,
) -> FeedPage:
    """One page of a stream for this viewer, ranked by the traffic policy; logs its impressions."""
    if tab not in TAB_LABELS:
        raise errors.UNKNOWN_TAB()
    chosen = get_policy(policy)
    viewer = recommend.viewer_of(session, principal)
    if tab == "recommend":
        ranked = recommend.mix(
            recommend.rank(session, viewer, "product", chosen),
            recommend.rank(session, viewer, "live", chosen),
            recommend.rank(session, viewer, "video", chosen),
        )
    else:
        ranked = recommend.rank(session, viewer, KINDS[tab], chosen)
    ordered = recommend.arrange(ranked, limit, chosen, viewer.user_id, upto=offset + limit + 1)
    chunk = ordered[offset : offset + limit]
    since = clock.now() - timedelta(days=chosen.new_shop_days)
    items = [
        recommend.item_of(c, offset + i, c.doc.shop_opened_at is not None and c.doc.shop_opened_at >= since)
        for i, c in enumerate(chunk)
    ]
    if record:
        surface = "home" if tab == "recommend" else tab
        RECORDER.add(
            [
                Shown(surface, it.kind, it.id, it.shop_id, it.position, viewer.user_id, chosen.name)
                for it in items
            ]
        )
    return FeedPage(
        tab=tab,  # type: ignore[arg-type]
        policy=chosen.name,
        items=items,
        limit=limit,
        offset=offset,
        has_more=len(ordered) > offset + limit,
    )


def record_shown(page: FeedPage, viewer_id: int | None) -> None:
    """Log one more view of a page built with ``record=False`` (the home page's shared copy for
    visitors who are not signed in: built once, logged per view)."""
    surface = "home" if page.tab == "recommend" else page.tab
    RECORDER.add(
        [Shown(surface, it.kind, it.id, it.shop_id, it.position, viewer_id, page.policy) for it in page.items]
    )


def record_hits(
    surface: str, hits: list[ProductHit], offset: int, viewer_id: int | None, policy: str = ""
) -> None:
    """Log products shown on a search, category, shop or mall page (with their positions)."""
    RECORDER.add(
        [
            Shown(surface, "product", h.id, h.shop_id, offset + i, viewer_id, policy)
            for i, h in enumerate(hits)
        ]
    )


def flush_impressions(session: Session) -> int:
    """Write the impressions this process has logged since the last flush; the caller commits."""
    return RECORDER.flush(session)


def forget_pending_impressions() -> None:
    """Drop the impressions logged but not yet written (the tests empty the database between them)."""
    RECORDER.forget()


def _campaigns(session: Session, limit: int) -> list[CampaignShelf]:
    now = clock.now()
    shelves = []
    for c in promotions.campaigns(session):
        if not c.starts_at <= now < c.ends_at:
            continue
        items = [i for i in promotions.campaign_items(session, c.id) if i.status == "approved"]
        ids = list(dict.fromkeys(i.product_id for i in items))[:limit]
        hits = search.product_hits(session, ids)
        if hits:
            shelves.append(CampaignShelf(id=c.id, name=c.name, ends_at=c.ends_at, items=hits))
    return shelves[:3]


def _subsidies(session: Session, limit: int) -> list[SubsidyHit]:
    subsidised = promotions.subsidised_skus(session, limit * 3)
    skus = catalog.skus_for_sale(session, [sku for sku, _, _ in subsidised])
    best: dict[int, tuple[int, str]] = {}
    for sku, fen, label in subsidised:
        if sku in skus and skus[sku].product_id not in best:
            best[skus[sku].product_id] = (fen, label)
    hits = search.product_hits(session, list(best)[:limit])
    return [SubsidyHit(product=h, subsidy_fen=best[h.id][0], label=best[h.id][1]) for h in hits]


def _new_merchant_picks(session: Session, limit: int) -> list[ProductHit]:
    policy = get_policy()
    since = clock.now() - timedelta(days=policy.new_shop_days)
    hits = search.browse(session, Filters(new_shops_since=since), limit=60).items
    statuses = newshops.evaluate(session, {h.shop_id: since for h in hits}, policy)
    promising = {sid for sid, s in statuses.items() if s.promising}
    picks: list[ProductHit] = []
    per_shop: dict[int, int] = {}
    for h in sorted(hits, key=lambda h: h.shop_id not in promising):  # stable: rank within each group
        if per_shop.get(h.shop_id, 0) < 2:
            picks.append(h)
            per_shop[h.shop_id] = per_shop.get(h.shop_id, 0) + 1
    return picks[:limit]


def mall_home(session: Session, limit: int = 8) -> MallHome:
    """商城首页: category entrances, campaigns on now, 百亿补贴, new merchants' goods, best sellers."""
    tree = search.category_roots(session)
    return MallHome(
        categories=[CategoryEntry(id=i, name=n) for i, n in tree],
        campaigns=_campaigns(session, limit),
        subsidies=_subsidies(session, limit),
        new_merchants=_new_merchant_picks(session, limit),
        hot=search.browse(session, Filters(), sort="sales", limit=limit).items,
    )


__all__ += ["FeedItem"]
