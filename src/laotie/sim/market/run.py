"""One run: build the world, then simulate ``days`` days, each in the same order of fixed hours,
with one ``random.Random(seed)`` drawn from in a fixed order and the platform clock set to
simulated time (``core.clock`` travel, from ``world.EPOCH``): the same seed gives the same run.

Two process-wide caches read the wall clock to decide when to refresh: the feed's view of recent
exposure by shop (60 s) and the search vocabulary (30 s). The run refreshes both itself at the
start of every simulated day and holds the feed's for the day, so wall time cannot change a result.
"""

from __future__ import annotations

import math
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from laotie.core import auth
from laotie.core.db import Database
from laotie.core.pagination import PageParams
from laotie.core.storage import LocalDiskStorage
from laotie.core.uow import unit_of_work
from laotie.feed import recommend
from laotie.feed import service as feed
from laotie.search import service as search
from laotie.shops import service as shops
from laotie.sim.cashier import Cashier, at
from laotie.sim.market import agents, buyers, upkeep
from laotie.sim.market.metrics import measure
from laotie.sim.market.state import Sim
from laotie.sim.market.world import (
    World,
    add_buyers,
    add_creators,
    markets,
    moment,
    open_merchant,
    staff,
    starting,
)

FIRST_VISIT, LAST_VISIT, LIVE_FROM = 10.0, 22.0, 18.0
SETTLE_EVERY = 25  # visits between two outbox runs (the server's worker runs within a second)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Options:
    days: int = 30
    buyers: int = 300
    merchants: int = 40
    policy: str = "laotie"
    seed: int = 14
    start: datetime | None = None  # day 0's date; None: the fixed epoch (``world.EPOCH``)

    @property
    def creators(self) -> int:
        return max(1, self.merchants // 10)


class EmptyDatabaseRequired(Exception):
    """The simulator builds its own marketplace; a database with shops would mix two worlds."""


def _hold_exposure(db: Database, day: int) -> None:
    recommend.EXPOSURE.clear()
    with at(moment(day, 9.9)), unit_of_work(db, read_only=True) as session:
        recommend.EXPOSURE.get(session)
    recommend.EXPOSURE.at = math.inf  # held until the next day's refresh


def build(db: Database, options: Options, media_dir: Path, pictures: bool = False) -> Sim:
    feed.get_policy(options.policy)  # an unknown policy fails before anything is written
    with unit_of_work(db, read_only=True) as session:
        if shops.list_shops(session, PageParams(limit=1, offset=0)).total:
            raise EmptyDatabaseRequired("the simulator needs a database without shops")
        found = markets(session)
    rng = random.Random(options.seed)
    world = World(
        db=db,
        reviewer=staff(db),
        markets=found,
        merchants=agents.merchants(rng, options.merchants, len(found), options.days),
        buyers=agents.buyers(rng, options.buyers, len(found)),
        creators=agents.creators(rng, options.creators, len(found)),
        storage=LocalDiskStorage(media_dir) if pictures else None,
    )
    sim = Sim(world, options.policy, options.seed, rng, Cashier(db, media_dir))
    for m in world.merchants:
        if not m.new:
            open_merchant(world, m, m.opens_day, options.seed)
    add_creators(world)
    add_buyers(world, options.seed)
    upkeep.settle(sim, moment(0, 7.5))
    return sim


def _day(sim: Sim, day: int) -> None:
    rng = sim.rng
    _hold_exposure(sim.world.db, day)
    upkeep.open_merchants(sim, day)
    upkeep.ship(sim, day)
    active = [b for b in sim.world.buyers if rng.random() < b.activity]
    rng.shuffle(active)
    span = LAST_VISIT - FIRST_VISIT
    slots = [(FIRST_VISIT + span * i / max(len(active), 1), b) for i, b in enumerate(active)]
    live_started = False
    for n, (slot, b) in enumerate(slots):
        if slot >= LIVE_FROM and not live_started:
            upkeep.go_live(sim, day)
            live_started = True
        buyers.visit(sim, b, day, slot)
        if (n + 1) % SETTLE_EVERY == 0:
            upkeep.settle(sim, moment(day, slot + 0.01))
    if not live_started:
        upkeep.go_live(sim, day)
    upkeep.settle(sim, moment(day, LAST_VISIT + 0.1))
    upkeep.after_sales(sim, day)
    upkeep.end_live(sim, day)
    upkeep.nightly(sim, day)


@contextmanager
def light_passwords() -> Iterator[None]:
    """Synthetic accounts are hashed with Argon2 at its lowest cost (still Argon2: they can sign in):
    the production cost, ~0.1-0.6 s a hash on a busy two-core machine, would take minutes for
    accounts nobody signs in to. The production hasher is back when the run ends."""
    production = auth._hasher
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        yield
    finally:
        auth._hasher = production


def simulate(
    db: Database, options: Options, progress: Progress | None = None, media_dir: Path | None = None
) -> dict[str, Any]:
    """Run the simulation on ``db`` (migrated, with the category tree, without shops); the metrics.
    Pictures go to ``media_dir`` when the marketplace is kept (the demo's history), else to a
    temporary directory."""
    started, cpu = time.perf_counter(), time.process_time()
    search.forget_process_caches()  # nothing this process cached from another database (or run)
    recommend.EXPOSURE.clear()
    with (
        light_passwords(),
        starting(options.start),
        tempfile.TemporaryDirectory(prefix="laotie-sim-media-") as scratch,
    ):
        sim = build(db, options, media_dir or Path(scratch), pictures=media_dir is not None)
        try:
            if progress:
                progress("days", 0, options.days)
            for day in range(options.days):
                _day(sim, day)
                if progress:
                    progress("days", day + 1, options.days)
            seconds = time.perf_counter() - started
            with at(moment(options.days, 0)):
                return measure(sim, options.days, seconds, time.process_time() - cpu)
        finally:
            sim.cashier.close()
            recommend.EXPOSURE.clear()
