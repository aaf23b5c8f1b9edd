"""The recommended streams: 首页推荐 (goods, live sessions and videos mixed), 直播广场, 短视频.

Candidates come from the buyer's ties and from everyone's (``gather``): shops and anchors they follow
(私域), shops they bought from, goods in the categories they bought (similar) and in those
categories' siblings (taste), what ranks best overall (popular), goods of new shops (so the policy
can give them exposure), live sessions on air, recent videos. Each candidate is scored by the
traffic policy (``score``), and says why (``reasons``); pages are laid out by ``arrange`` with the
fairness tools of ``feed.fairness`` (page and window caps, exploration slots for new shops).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.pagination import PageParams
from laotie.feed import fairness, newshops
from laotie.feed.fairness import EXPOSURE, PRIVATE_SOURCES, ExposureView
from laotie.feed.newshops import NewShopStatus
from laotie.feed.policy import SOURCE_AFFINITY, TrafficPolicy
from laotie.feed.schemas import FeedItem, Reason
from laotie.orders import service as orders
from laotie.scores import service as scores
from laotie.search import service as search
from laotie.search.schemas import DocView
from laotie.social import service as social

__all__ = ["EXPOSURE"]  # the simulator holds it for a simulated day

POOL = 240  # candidates ranked per request, at most
SOURCE_LABELS = {
    "follow": "你关注的店铺或主播",
    "bought_shop": "你在这家店买过",
    "similar": "和你买过的商品同类",
    "taste": "你常买的品类",
}
CONVERSION_PRIOR_ORDERS, CONVERSION_PRIOR_IMPRESSIONS = 0.4, 20.0  # search's prior: 2 %
TIES = ("follow", "bought_shop", "similar", "taste")  # the sources that know this viewer


@dataclass
class Candidate:
    doc: DocView
    sources: set[str] = field(default_factory=set)
    score: float = 0.0
    reasons: list[Reason] = field(default_factory=list)
    new_shop: bool = False
    capped: bool = False  # its shop is over the window cap
    quality_return_bp: int | None = None  # 品退率 (scores), the worse of product and shop
    explore_weight: float = 0.0  # > 0: it may take an exploration slot

    @property
    def key(self) -> tuple[str, int]:
        return self.doc.kind, self.doc.ref_id

    @property
    def shop(self) -> int | None:
        return self.doc.shop_id

    @property
    def private(self) -> bool:
        return bool(self.sources & PRIVATE_SOURCES)


@dataclass
class Viewer:
    user_id: int | None
    followed_shops: set[int] = field(default_factory=set)
    followed_users: set[int] = field(default_factory=set)
    bought_shops: set[int] = field(default_factory=set)
    bought_categories: set[int] = field(default_factory=set)
    taste_categories: set[int] = field(default_factory=set)  # the bought categories' siblings

    @property
    def known(self) -> bool:
        """Whether the platform knows anything of this viewer's taste."""
        return bool(self.followed_shops or self.bought_shops or self.bought_categories)


def viewer_of(session: Session, principal: Principal | None) -> Viewer:
    if principal is None:
        return Viewer(user_id=None)
    viewer = Viewer(user_id=principal.user_id)
    for f in social.my_follows(session, principal, PageParams(limit=100, offset=0)).items:
        (viewer.followed_shops if f.target_kind == "shop" else viewer.followed_users).add(f.target_id)
    bought = orders.buyer_purchases(session, principal.user_id, 50)
    viewer.bought_shops = {shop for shop, _ in bought}
    docs = search.docs(session, "product", ref_ids=[p for _, p in bought], limit=50)
    viewer.bought_categories = {d.category_id for d in docs if d.category_id is not None}
    parents = set()
    for category_id in viewer.bought_categories:
        trail = search.category_trail(session, category_id)
        if len(trail) >= 2:
            parents.add(trail[-2][0])
    for parent in sorted(parents):
        viewer.taste_categories |= {c for c, _ in search.category_children(session, parent)}
    viewer.taste_categories -= viewer.bought_categories
    return viewer


def _add(pool: dict[tuple[str, int], Candidate], docs: list[DocView], source: str) -> None:
    for doc in docs:
        pool.setdefault((doc.kind, doc.ref_id), Candidate(doc)).sources.add(source)


def gather(session: Session, viewer: Viewer, kind: str, policy: TrafficPolicy) -> list[Candidate]:
    pool: dict[tuple[str, int], Candidate] = {}
    since = clock.now() - timedelta(days=policy.new_shop_days)
    if viewer.followed_shops:
        _add(pool, search.docs(session, kind, shop_ids=viewer.followed_shops, limit=40), "follow")
    if viewer.followed_users and kind != "product":
        _add(pool, search.docs(session, kind, author_ids=viewer.followed_users, limit=40), "follow")
    if kind == "product":
        if viewer.bought_shops:
            _add(pool, search.docs(session, kind, shop_ids=viewer.bought_shops, limit=30), "bought_shop")
        if viewer.bought_categories:
            _add(pool, search.docs(session, kind, category_ids=viewer.bought_categories, limit=60), "similar")
        _add(pool, search.docs(session, kind, order="rank", limit=100), "popular")
        _add(pool, search.docs(session, kind, order="popular", limit=40), "popular")
        _add(pool, search.docs(session, kind, opened_since=since, limit=60), "new")
        if viewer.taste_categories and policy.affinity:  # last: it marks what is already in, then adds
            _add(pool, search.docs(session, kind, category_ids=viewer.taste_categories, limit=60), "taste")
    else:
        _add(pool, search.docs(session, kind, order="popular", limit=60), "popular")
        _add(pool, search.docs(session, kind, order="new", limit=60), "new")
    return list(pool.values())[:POOL]


def _expected_gmv(doc: DocView) -> float:
    if doc.kind == "product":
        conversion = (doc.orders + CONVERSION_PRIOR_ORDERS) / (doc.impressions + CONVERSION_PRIOR_IMPRESSIONS)
        return min(1.0, math.log1p(doc.price_fen / 100 * conversion) / math.log1p(50))
    return min(1.0, math.log1p(doc.popularity) / math.log1p(10_000))


def _freshness(doc: DocView, now: datetime) -> float:
    if doc.kind == "live":
        return 1.0
    if doc.published_at is None:
        return 0.0
    age = (now - doc.published_at).total_seconds() / 86_400
    return max(0.0, 1 - age / 7)


def evidence(d: DocView, p: TrafficPolicy) -> float:
    """What buyers made of a product so far: its conversion (orders per impression, with search's
    prior, so an unseen product is neutral) against the prior's, to the policy's power, bounded."""
    if d.kind != "product" or not p.conversion_evidence:
        return 1.0
    prior = CONVERSION_PRIOR_ORDERS / CONVERSION_PRIOR_IMPRESSIONS
    conversion = (d.orders + CONVERSION_PRIOR_ORDERS) / (d.impressions + CONVERSION_PRIOR_IMPRESSIONS)
    factor = (conversion / prior) ** p.conversion_evidence
    return min(p.conversion_ceiling, max(p.conversion_floor, factor))


def sink(c: Candidate, p: TrafficPolicy) -> float:
    """How much bad goods sink, in (0, 1]: 品退率 above the policy's free line (the product's own,
    or its shop's when that is worse) and a price far above equivalent goods each scale the score
    down linearly, to ``sink_floor`` at their zero line."""

    def linear(value: int | None, free: int, zero: int) -> float:
        if value is None or value <= free or zero <= free:
            return 1.0
        return max(p.sink_floor, 1 - (value - free) / (zero - free))

    return linear(c.quality_return_bp, p.quality_return_free_bp, p.quality_return_zero_bp) * linear(
        c.doc.price_index_bp, p.price_index_free_bp, p.price_index_zero_bp
    )


def score(
    c: Candidate,
    policy: TrafficPolicy,
    status: NewShopStatus,
    viewer_id: int | None,
    damped: bool,
    now: datetime,
    balance: float = 1.0,
) -> None:
    """Score one candidate under ``policy`` and note why it is shown. ``damped``: its shop is over
    the window cap; ``balance``: its shop's exposure balance (``ExposureView.balance``)."""
    d, p = c.doc, policy
    reasons: list[Reason] = []
    affinity = max((SOURCE_AFFINITY.get(s, 0.0) for s in c.sources), default=0.0)
    for source in TIES:
        if source in c.sources and p.affinity:
            reasons.append(Reason(code=source, label=SOURCE_LABELS[source]))
            break
    value = (
        p.quality * search.quality_of(d)
        + p.expected_gmv * _expected_gmv(d)
        + p.affinity * affinity
        + p.freshness * _freshness(d, now)
    )
    lifted = d.boosted or not p.obey_weights
    if lifted and status.new and p.new_merchant:
        value += p.new_merchant
        reasons.append(Reason(code="new_merchant", label="新商家扶持"))
    if lifted and status.promising and p.promising_merchant:
        value += p.promising_merchant
        reasons.append(Reason(code="promising", label=f"潜力新店：{newshops.REASONS[status.reason]}"))
    if lifted and d.free_shipping and p.free_shipping:
        value += p.free_shipping
        reasons.append(Reason(code="free_shipping", label="包邮"))
    if lifted and d.pay_later and p.pay_later:
        value += p.pay_later
        reasons.append(Reason(code="pay_later", label="支持先用后付"))
    if p.obey_weights:
        value *= d.weight_bp / 10_000
        if not d.boosted:
            value *= p.no_boost_factor
        if d.overpriced:  # 溢价: sinks even before the consequence stops it
            value *= p.overpriced_factor
        value *= sink(c, p)
    if damped:
        value *= p.exposure_damping
    day = now.date()
    value *= evidence(d, p)
    c.score = value * balance * fairness.rotation(viewer_id, d.shop_id, day, p.rotation)
    c.reasons = reasons + _quality_reasons(d, p)


def _quality_reasons(d: DocView, p: TrafficPolicy) -> list[Reason]:
    out = []
    if d.kind == "live":
        out.append(Reason(code="live_now", label="正在直播"))
    if p.expected_gmv and not p.quality:
        out.append(Reason(code="expected_gmv", label="预计成交额高"))
        return out
    parts = search.quality_parts(d)
    if d.product_score is not None and d.product_score >= 85:
        out.append(Reason(code="product_score", label="商品分高"))
    if d.price_index_bp is not None and parts["price"] >= 0.7:
        out.append(Reason(code="price", label="价格力强"))
    if d.shop_band == "excellent":
        out.append(Reason(code="shop_band", label="优秀店铺"))
    if parts["sales"] >= 0.5:
        out.append(Reason(code="popular", label="热销" if d.kind == "product" else "人气高"))
    if not out:
        out.append(Reason(code="quality", label="平台综合推荐"))
    return out


def with_scores(session: Session, cands: list[Candidate]) -> None:
    """Read the candidates' scores through the scores API (the index's copy may be an event behind);
    subjects scores know nothing of keep what the index has. 品退率: the worse of the product's
    and its shop's."""
    products = scores.product_scores(session, [c.doc.ref_id for c in cands if c.doc.kind == "product"])
    shops = scores.shop_scores(session, {c.doc.shop_id for c in cands if c.doc.shop_id is not None})
    for c in cands:
        update: dict[str, object] = {}
        p = products.get(c.doc.ref_id) if c.doc.kind == "product" else None
        if p is not None and p.updated_at is not None:
            update.update(
                product_score=p.product_score, price_index_bp=p.price_index_bp, overpriced=p.overpriced
            )
        s = shops.get(c.doc.shop_id) if c.doc.shop_id is not None else None
        if s is not None and s.updated_at is not None:
            update.update(dsr_x100=s.dsr_mean_x100, shop_band=s.band)
        rates = [x.quality_return_bp for x in (p, s) if x is not None and x.quality_return_bp is not None]
        c.quality_return_bp = max(rates) if rates else None
        if update:
            c.doc = c.doc.model_copy(update=update)


def rank(session: Session, viewer: Viewer, kind: str, policy: TrafficPolicy) -> list[Candidate]:
    """The candidates of ``kind`` for ``viewer``, best first under ``policy``; each knows whether
    its shop is over the window cap and how strongly it is drawn for an exploration slot."""
    cands = gather(session, viewer, kind, policy)
    with_scores(session, cands)
    opened = {c.doc.shop_id: c.doc.shop_opened_at for c in cands if c.doc.shop_id is not None}
    statuses = newshops.evaluate(session, opened, policy) if opened else {}
    fair_needed = policy.exposure_balance or policy.window_cap_multiple < 1e6 or policy.exposure_damping < 1
    view = ExposureView.of(EXPOSURE.get(session) if fair_needed else {}, opened)
    now = clock.now()
    plain = NewShopStatus(new=False, promising=False)
    for c in cands:
        sid = c.doc.shop_id
        status = statuses.get(sid, plain) if sid is not None else plain
        c.new_shop, c.capped = status.new, view.over_cap(sid, policy)
        balance = view.balance(sid, policy)
        score(c, policy, status, viewer.user_id, c.capped, now, balance)
        c.explore_weight = _explore_weight(c, policy, status, viewer, balance)
    return sorted(cands, key=lambda c: (-c.score, c.doc.kind, c.doc.ref_id))


def _explore_weight(
    c: Candidate, p: TrafficPolicy, status: NewShopStatus, viewer: Viewer, balance: float
) -> float:
    """How strongly a new shop's item is drawn for an exploration slot (0: it is not eligible).
    Only goods that keep their boosts; the draw favours shops further below their fair share,
    the viewer's known taste, promising shops, and good goods (the consequences and sinks)."""
    if not (p.explore_share and status.new and c.doc.boosted and not c.capped):
        return 0.0
    weight = balance * c.doc.weight_bp / 10_000 * sink(c, p)
    if c.doc.overpriced:
        weight *= p.overpriced_factor
    if status.promising:
        weight *= p.explore_promising
    if viewer.known and not c.sources & set(TIES):
        weight *= p.explore_off_taste
    return weight


def arrange(
    ranked: list[Candidate],
    per_page: int,
    policy: TrafficPolicy,
    viewer_id: int | None,
    upto: int | None = None,
) -> list[Candidate]:
    """The ranked stream laid out in pages (``fairness.paginate``): the page and window caps, and
    this viewer's draw of new shops' goods for the exploration slots."""
    explore: list[Candidate] = []
    if policy.explore_share:
        eligible = [c for c in ranked if c.explore_weight > 0]
        explore = fairness.explore_order(
            eligible, lambda c: c.explore_weight, lambda c: c.doc.shop_id, viewer_id, clock.now().date()
        )
    slots = round(per_page * policy.explore_share)
    return fairness.paginate(ranked, explore, per_page, policy.shop_cap_share, slots, upto)


def capped(ranked: list[Candidate], per_page: int, share: float) -> list[Candidate]:
    """The ranked list cut into pages of ``per_page`` where no shop has more than ``share`` of a
    page while other shops' items can fill it; what a page cannot take moves to the next one, in
    order. When nothing else is left, the remaining slots take over-cap items rather than stay empty."""
    return fairness.paginate(ranked, [], per_page, share, 0)


def mix(products: list[Candidate], lives: list[Candidate], videos: list[Candidate]) -> list[Candidate]:
    """首页推荐: goods, with a live session on air at every 5th slot's third place and a video at
    its fifth, while they last."""
    out: list[Candidate] = []
    p, lv, vd = iter(products), iter(lives), iter(videos)
    slot = 0
    while True:
        source = lv if slot % 5 == 2 else vd if slot % 5 == 4 else p
        item = next(source, None) or next(p, None) or next(lv, None) or next(vd, None)
        if item is None:
            return out
        out.append(item)
        slot += 1


def item_of(c: Candidate, position: int, status_new: bool) -> FeedItem:
    d = c.doc
    return FeedItem(
        kind=d.kind,  # type: ignore[arg-type]
        id=d.ref_id,
        title=d.title,
        subtitle=d.subtitle,
        cover_url=d.cover_url,
        shop_id=d.shop_id,
        price_fen=d.price_fen if d.kind == "product" else None,
        original_price_fen=d.original_price_fen if d.kind == "product" else None,
        popularity=d.sales if d.kind == "product" else d.popularity,
        free_shipping=d.free_shipping,
        pay_later=d.pay_later,
        new_shop=status_new,
        position=position,
        score=round(c.score, 6),
        reasons=c.reasons,
    )
