"""The simulator's agents and their traits, drawn from one seeded ``random.Random``.

Buyers have tastes (categories), a budget, a price sensitivity, a loyalty (how readily they follow a
shop they were happy with and come back to it) and an activity (how often they open the app).
Merchants differ in quality (how often a piece is faulty), honesty and price: most are honest, some
over-price, some sell fakes (cheap, attractive, and often returned for quality), some try to take
buyers off the platform (导流) in their listings. Some merchants are there when the run starts
(incumbents, opened months before); the others open during the run (new merchants). Creators (达人)
have followers and sell alliance goods in their live rooms.

Traits are the simulator's truth: buyers decide on what the platform shows them (price, sales,
follows, ratings), and the truth only shows after delivery (a faulty piece is returned).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# Merchant kinds with (share, price factor range, faulty-piece probability range).
KINDS: dict[str, tuple[float, tuple[float, float], tuple[float, float]]] = {
    "honest": (0.55, (0.90, 1.10), (0.01, 0.05)),
    "overpricer": (0.15, (1.50, 1.90), (0.02, 0.06)),
    "faker": (0.15, (0.50, 0.70), (0.30, 0.50)),
    "diverter": (0.15, (0.85, 1.05), (0.04, 0.10)),
}
INCUMBENT_SHARE = 0.6  # the rest open during the first half of the run
NO_REASON_RETURN = 0.03  # a buyer returns a good piece anyway (七天无理由)


@dataclass
class BuyerAgent:
    index: int
    tastes: list[int]  # indexes into the world's markets (second-level categories)
    budget_fen: int  # the most they pay for one piece
    price_sensitivity: float  # 0.5 (indifferent) .. 2.0 (hunts bargains)
    loyalty: float  # 0 .. 1
    activity: float  # chance to open the app on a day
    searcher: float  # chance to search on a visit
    user_id: int = 0
    address_id: int = 0
    followed_shops: set[int] = field(default_factory=set)


@dataclass
class MerchantAgent:
    index: int
    kind: str
    market: int  # index into the world's markets
    price_factor: float
    fault_rate: float
    opens_day: int  # < 0: an incumbent, opened before the run
    lives: bool  # goes live (self-broadcast) some evenings
    products: int
    shop_id: int = 0
    user_id: int = 0
    closed_day: int | None = None
    rejected_listings: int = 0

    @property
    def new(self) -> bool:
        return self.opens_day >= 0


@dataclass
class CreatorAgent:
    index: int
    market: int
    reach: float  # share of buyers who follow them at the start
    user_id: int = 0
    room_id: int = 0
    stream_key: str = ""
    picks: list[int] = field(default_factory=list)  # product ids in their live cart


def _kind(rng: random.Random) -> str:
    roll, acc = rng.random(), 0.0
    for kind, (share, _, _) in KINDS.items():
        acc += share
        if roll < acc:
            return kind
    return "honest"


def merchants(rng: random.Random, count: int, markets: int, days: int) -> list[MerchantAgent]:
    """``count`` merchants spread over the markets; the first ``INCUMBENT_SHARE`` are incumbents, the
    others open on days spread over the first half of the run."""
    out = []
    incumbents = max(1, round(count * INCUMBENT_SHARE)) if count else 0
    entrants = count - incumbents
    for i in range(count):
        kind = _kind(rng)
        _, prices, faults = KINDS[kind]
        opens = -60 if i < incumbents else 1 + (i - incumbents) * max(1, days // 2) // max(1, entrants)
        out.append(
            MerchantAgent(
                index=i,
                kind=kind,
                market=i % markets,
                price_factor=round(rng.uniform(*prices), 3),
                fault_rate=round(rng.uniform(*faults), 3),
                opens_day=opens,
                lives=rng.random() < 0.4,
                products=rng.randint(3, 5),
            )
        )
    return out


def buyers(rng: random.Random, count: int, markets: int) -> list[BuyerAgent]:
    out = []
    for i in range(count):
        tastes = rng.sample(range(markets), k=min(markets, rng.choice((1, 2, 2, 3))))
        out.append(
            BuyerAgent(
                index=i,
                tastes=tastes,
                budget_fen=int(rng.lognormvariate(5.0, 0.6)) * 100,  # median ~¥150
                price_sensitivity=round(rng.uniform(0.5, 2.0), 2),
                loyalty=round(rng.random(), 2),
                activity=round(rng.uniform(0.15, 0.45), 2),
                searcher=round(rng.uniform(0.1, 0.6), 2),
            )
        )
    return out


def creators(rng: random.Random, count: int, markets: int) -> list[CreatorAgent]:
    return [
        CreatorAgent(index=i, market=rng.randrange(markets), reach=round(rng.uniform(0.05, 0.3), 2))
        for i in range(count)
    ]
