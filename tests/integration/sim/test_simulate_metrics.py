"""The simulator's measures on a world small enough to check by hand: two merchants (one there
before, one new), three buyers, orders placed through the sandbox PSP on known channels, known
impressions, a quality return; and the Gini coefficient on known distributions."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from laotie.aftersales import service as aftersales
from laotie.aftersales.models import CaseKind, CaseReason
from laotie.aftersales.schemas import CaseIn
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.feed import service as feed
from laotie.feed.impressions import Shown
from laotie.orders import service as orders
from laotie.orders.models import Channel
from laotie.orders.schemas import Attribution
from laotie.sim.cashier import Cashier, at
from laotie.sim.market.agents import BuyerAgent, MerchantAgent
from laotie.sim.market.metrics import gini, lorenz, measure
from laotie.sim.market.run import light_passwords
from laotie.sim.market.state import Sim
from laotie.sim.market.upkeep import settle
from laotie.sim.market.world import World, add_buyers, markets, moment, open_merchant, staff


def test_gini_on_known_distributions() -> None:
    assert gini([]) == 0 and gini([0, 0, 0]) == 0
    assert gini([5, 5, 5, 5]) == pytest.approx(0)
    assert gini([0, 0, 0, 8]) == pytest.approx(3 / 4)  # one has everything: (n - 1) / n
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)  # 2·(1+4+9+16)/(4·10) − 5/4
    assert gini([3, 1]) == gini([1, 3]) == pytest.approx(0.25)
    curve = lorenz([1, 3], points=2)
    assert curve == [(0.0, 0.0), (0.5, 0.25), (1.0, 1.0)]


def _merchant(index: int, opens_day: int, kind: str = "honest") -> MerchantAgent:
    return MerchantAgent(index, kind, 0, 1.0, 0.0, opens_day, lives=False, products=1)


def _buyer(index: int) -> BuyerAgent:
    return BuyerAgent(index, [0], 1_000_000, 1.0, 0.0, 1.0, 0.0)


def test_measures_on_a_tiny_world(db: Database, tmp_path: Path) -> None:
    with unit_of_work(db, read_only=True) as session:
        found = markets(session)
    world = World(
        db, staff(db), found, [_merchant(0, -60), _merchant(1, 1, "faker")], [_buyer(i) for i in range(3)], []
    )
    sim = Sim(world, "laotie", 1, random.Random(1), Cashier(db, tmp_path))
    try:
        with light_passwords():
            open_merchant(world, world.merchants[0], -60, 1)
            open_merchant(world, world.merchants[1], 1, 1)
            add_buyers(world, 1)
        old, new = world.shop_products(0)[0], world.shop_products(1)[0]
        b0, b1, _ = (world.principals[b.user_id] for b in world.buyers)
        addr = [b.address_id for b in world.buyers]
        bought = [  # (buyer, address, truth, channel): b0 buys twice at the old shop (a repurchase)
            (b0, addr[0], old, Attribution(channel=Channel.SHELF)),
            (b0, addr[0], old, Attribution(channel=Channel.SEARCH, query="连衣裙")),
            (b1, addr[1], new, Attribution(channel=Channel.SHELF)),
        ]
        ids = []
        for n, (who, address, truth, attribution) in enumerate(bought):
            with at(moment(1, 10 + n)):
                ids += sim.cashier.buy(
                    who, address, [(truth.sku_id, 1, truth.price_fen)], attribution, f"tiny-{n}"
                )
            sim.sold_days.setdefault(truth.shop_id, []).append(1)
        sim.tally.visits.update({"shelf": 4, "search": 1})
        with at(moment(1, 12)):
            feed.RECORDER.add([Shown("home", "product", old.product_id, old.shop_id, i) for i in range(3)])
            feed.RECORDER.add([Shown("home", "product", new.product_id, new.shop_id, 0)])
        settle(sim, moment(1, 13))
        with at(moment(2, 9)), unit_of_work(db) as session:  # the new shop's piece comes back: quality
            owner = world.principals[world.merchants[1].user_id]
            orders.fulfilment.ship(session, owner, new.shop_id, ids[2], "中通快递", f"ZT{ids[2]:010d}")
            orders.fulfilment.mark_delivered(session, ids[2])
            body = CaseIn(order_id=ids[2], kind=CaseKind.RETURN, reason=CaseReason.QUALITY)
            aftersales.open_case(session, b1, body, "tiny-case")
            session.commit()
        with at(moment(10, 0)):
            m = measure(sim, days=10, seconds=1.0)
    finally:
        sim.cashier.close()
    assert m["orders"] == 3
    assert m["gmv_fen"] == 2 * old.price_fen + new.price_fen
    assert m["by_channel"]["shelf"]["orders"] == 2 and m["by_channel"]["search"]["orders"] == 1
    assert m["by_channel"]["shelf"]["conversion"] == 0.5  # 2 orders ÷ 4 product pages opened
    assert m["by_channel"]["shelf"]["impressions"] == 4
    assert m["repurchase_rate"] == 0.5  # b0 bought again at the same shop; b1 did not; b2 never bought
    assert m["quality_returns"] == 1 and m["quality_return_rate"] == round(1 / 3, 4)
    assert m["exposure_gini"] == 0.25  # 3 and 1 impressions
    assert m["new_merchants"] == 1 and m["new_merchants_surviving"] == 0  # no sale in the last 7 days
    assert m["by_merchant_kind"]["faker"]["feed_exposure_share"] == 0.25
    assert m["daily_gmv_fen"][1] == m["gmv_fen"]
    assert m["speed"]["orders_per_second"] == 3.0
