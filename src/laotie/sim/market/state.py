"""What a run carries from step to step: the world, the chosen policy, the one seeded random source,
the cashier that pays through the sandbox PSP, the orders being followed, and the tallies of what
buyers saw and did (which the database does not record: a look at a product is not a row)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.orm import Session

from laotie.core.errors import AppError
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
    refused: Counter[str] = field(default_factory=Counter)  # "action:ERROR_CODE" -> count
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


T = TypeVar("T")


def attempt(sim: Sim, session: Session, action: str, step: Callable[[], T]) -> T | None:
    """Run one agent's action in a savepoint. The platform may refuse it (a penalty in force, a
    closed shop, a listing taken down): the refusal is counted by its code, nothing of it is
    written, and the run goes on, as the person would."""
    try:
        with session.begin_nested():
            return step()
    except AppError as exc:
        sim.tally.refused[f"{action}:{exc.code}"] += 1
        return None
