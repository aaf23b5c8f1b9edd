"""What a run carries from step to step: the world, the chosen policy, the one seeded random source,
the cashier that pays through the sandbox PSP, the orders being followed, and the tallies of what
buyers saw and did (which the database does not record: a look at a product is not a row)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from laotie.live.realtime import store
from laotie.sim.cashier import Cashier
from laotie.sim.market.world import World


@dataclass
class Tracked:
    """An order the simulator follows until its buyer has decided to keep or return it."""

    order_id: int
    buyer: int  # BuyerAgent index
    product_id: int
    shop_id: int
    channel: str
    day: int


@dataclass
class Tally:
    visits: Counter[str] = field(default_factory=Counter)  # product pages opened, by channel
    live_watches: int = 0
    searches: int = 0
    feed_pages: int = 0
    failed_checkouts: Counter[str] = field(default_factory=Counter)  # error code -> count
    faulty_received: int = 0
    returns_opened: Counter[str] = field(default_factory=Counter)  # reason -> count
    follows_after_purchase: int = 0
    merchants_quit: int = 0


@dataclass
class Sim:
    world: World
    policy: str
    seed: int
    rng: random.Random
    cashier: Cashier
    tally: Tally = field(default_factory=Tally)
    tracked: dict[int, Tracked] = field(default_factory=dict)
    on_air: dict[int, tuple[int, int | None, list[int]]] = field(default_factory=dict)
    # ^ live session id -> (anchor's user id, creator id or None, cart product ids)
    viewers: store.Pending = field(default_factory=store.Pending)
    sold_days: dict[int, list[int]] = field(default_factory=dict)  # shop id -> days with an order
