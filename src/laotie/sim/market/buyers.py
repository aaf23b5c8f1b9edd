"""A buyer's visit: the recommended feed (through ``feed.service`` with the run's traffic policy),
a search now and then (``search.service``), a live room seen in the feed, and purchases through the
orders service and the sandbox PSP (``sim.cashier``), each with the channel it came from.

How a buyer decides: a card is opened with a chance that falls with its position and rises with
taste (the category), a fair price for this buyer's price sensitivity, a budget it fits, and a
shop the buyer follows; an opened product is bought with a chance that rises with a good price,
with the sales it shows (social proof) and with live persuasion. Quality is not visible before
delivery (``upkeep`` draws faulty pieces); what others say of it is, once reviews exist.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from laotie.core.errors import AppError
from laotie.core.uow import unit_of_work
from laotie.feed import service as feed
from laotie.orders.models import Channel
from laotie.orders.schemas import Attribution
from laotie.search import service as search
from laotie.search.schemas import Filters
from laotie.sim.cashier import at
from laotie.sim.market.agents import BuyerAgent
from laotie.sim.market.state import Sim, Tracked
from laotie.sim.market.world import Truth, moment

PAGE = 20
CLICK = 0.30  # chance to open a card at the top, for a buyer's own taste at a fair price
BUY = 0.22  # chance to buy an opened product at a fair price
LIVE_LIFT = 1.5  # the anchor's persuasion
OFF_TASTE = 0.15
RETURN_VISIT = 0.3  # × loyalty: chance to open a followed shop's page on a visit


def appeal(b: BuyerAgent, t: Truth) -> float:
    """How the price looks to this buyer: 1 at the going price, more when cheaper, less when dearer;
    almost nothing above the budget."""
    ratio = t.price_fen / max(t.fair_fen, 1)
    value = math.exp(-b.price_sensitivity * (ratio - 1))
    if t.price_fen > b.budget_fen:
        value *= 0.05
    return min(value, 2.0)


def click_chance(b: BuyerAgent, t: Truth, position: int) -> float:
    taste = 1.0 if t.market in b.tastes else OFF_TASTE
    followed = 1.8 if t.shop_id in b.followed_shops else 1.0
    return min(0.95, CLICK * taste * followed * min(appeal(b, t), 1.2) / (1 + 0.12 * position))


def buy_chance(b: BuyerAgent, t: Truth, sales: int, lift: float = 1.0) -> float:
    proof = 1 + 0.5 * min(sales, 50) / 50
    followed = 1 + b.loyalty if t.shop_id in b.followed_shops else 1.0
    return min(0.9, BUY * appeal(b, t) * proof * followed * lift)


def _buy(sim: Sim, b: BuyerAgent, t: Truth, attribution: Attribution, day: int, n: int) -> bool:
    principal = sim.world.principals[b.user_id]
    key = f"sim-{sim.seed}-{day}-{b.index}-{n}"
    try:
        ids = sim.cashier.buy(principal, b.address_id, [(t.sku_id, 1, t.price_fen)], attribution, key)
    except AppError as exc:  # a shop closed, a listing taken down meanwhile: the buyer moves on
        sim.tally.refused[f"checkout:{exc.code}"] += 1
        return False
    for order_id in ids:
        sim.tracked[order_id] = Tracked(order_id, b.index, t.product_id, t.shop_id, attribution.channel, day)
    sim.sold_days.setdefault(t.shop_id, []).append(day)
    return True


def _consider(
    sim: Sim, b: BuyerAgent, cards: list[tuple[int, int, int]], attribution: Attribution, day: int, n: int
) -> bool:
    """Cards are (product id, position, sales shown). Opens some, buys at most one."""
    rng = sim.rng
    channel = str(attribution.channel)
    for product_id, position, sales in cards:
        t = sim.world.products.get(product_id)
        if t is None or rng.random() >= click_chance(b, t, position):
            continue
        sim.tally.visits[channel] += 1
        if rng.random() < buy_chance(b, t, sales):
            return _buy(sim, b, t, attribution, day, n)
    return False


def _watch(sim: Sim, b: BuyerAgent, session_id: int, position: int, day: int, n: int) -> bool:
    _, creator, cart = sim.on_air.get(session_id, (0, None, []))
    truths = [sim.world.products[p] for p in cart if p in sim.world.products]
    if not truths:
        return False
    taste = 1.0 if any(t.market in b.tastes for t in truths) else OFF_TASTE
    followed = 2.0 if any(t.shop_id in b.followed_shops for t in truths) else 1.0
    if sim.rng.random() >= min(0.9, 0.35 * taste * followed / (1 + 0.12 * position)):
        return False
    sim.tally.live_watches += 1
    sim.viewers.viewers[(session_id, f"u:{b.user_id}")] = (b.user_id, moment(day, 20))
    pinned = truths[0]
    sim.tally.visits[str(Channel.LIVE)] += 1
    attribution = Attribution(channel=Channel.LIVE, live_session_id=session_id, creator_id=creator)
    if sim.rng.random() < buy_chance(b, pinned, 0, LIVE_LIFT):
        return _buy(sim, b, pinned, attribution, day, n)
    return False


def _shop_page(sim: Sim, b: BuyerAgent, followed: list[int], when: datetime, day: int, n: int) -> None:
    """A loyal buyer comes back to a shop they follow (私域): its shelf, whatever the feed shows."""
    shop_id = sim.rng.choice(followed)
    with at(when):
        with unit_of_work(sim.world.db, read_only=True) as session:
            result = search.browse(session, Filters(shop_id=shop_id), limit=PAGE)
        feed.record_hits("shop", result.items, 0, b.user_id)
        cards = [(h.id, i, h.sales_count) for i, h in enumerate(result.items)]
        _consider(sim, b, cards, Attribution(channel=Channel.SHELF), day, n)


def visit(sim: Sim, b: BuyerAgent, day: int, slot: float) -> None:
    """One visit of ``b`` on ``day`` at ``slot`` hours (between 10:00 and 22:00)."""
    db, rng = sim.world.db, sim.rng
    principal = sim.world.principals[b.user_id]
    bought = 0
    when = moment(day, slot)
    with at(when):
        with unit_of_work(db, read_only=True) as session:
            page = feed.feed(session, principal, "recommend", limit=PAGE, policy=sim.policy)
        sim.tally.feed_pages += 1
        products = [(it.id, it.position, it.popularity) for it in page.items if it.kind == "product"]
        lives = [(it.id, it.position) for it in page.items if it.kind == "live"]
        if _consider(sim, b, products, Attribution(channel=Channel.SHELF), day, bought):
            bought += 1
        for session_id, position in lives:
            if _watch(sim, b, session_id, position, day, bought):
                bought += 1
                break
    if b.followed_shops and rng.random() < b.loyalty * RETURN_VISIT:
        _shop_page(sim, b, sorted(b.followed_shops), when + timedelta(minutes=3), day, bought + 20)
    if rng.random() < b.searcher:
        market = sim.world.markets[rng.choice(b.tastes)]
        query = rng.choice(market.leaves).name
        with at(when + timedelta(minutes=5)):
            with unit_of_work(db) as session:
                result = search.search_products(session, query, limit=PAGE)
                session.commit()
            feed.record_hits("search", result.items, 0, b.user_id)
            sim.tally.searches += 1
            cards = [(h.id, i, h.sales_count) for i, h in enumerate(result.items)]
            attribution = Attribution(channel=Channel.SEARCH, query=query)
            _consider(sim, b, cards, attribution, day, bought + 10)
