"""How the feed spreads exposure (去中心化, 普惠): what each shop has had lately, and the three tools
that keep any one shop from taking the traffic while new shops get seen.

- **Balance** (``ExposureView.balance``): a shop's score is multiplied by (fair share ÷ its recent
  feed exposure) to the policy's ``exposure_balance`` power, bounded both ways, so a shop that had
  less than its share rises and one that had more sinks, continuously, not at a threshold.
- **Window cap** (``ExposureView.over_cap``): a shop above ``window_cap_multiple`` × the fair share
  of the recent window gets no public slots while other shops can fill the page; only its own
  private traffic (buyers who follow it or bought from it) still sees it.
- **Exploration slots** (``explore_order``, ``paginate``): on every page some slots go to new
  shops (新商冷启). Which new shops is drawn per viewer and day, weighted by how far below its fair
  share the shop is, by the viewer's taste, by the detector's verdict and by its quality, so two
  viewers see different new shops and, over a day, every new shop is seen.

Rotation between equals is per viewer, day and shop (``rotation``): a stable hash, no random state,
so a page is the same when reloaded and the simulator stays deterministic for a seed.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.feed import impressions
from laotie.feed.policy import TrafficPolicy

EXPOSURE_TTL = 60.0  # seconds a process reuses its view of recent exposure by shop
EXPOSURE_WINDOW = timedelta(days=1)
FEED_SURFACES = ("home", "live", "video")  # the traffic the policy hands out (not search, not shelves)
PRIVATE_SOURCES = frozenset({"follow", "bought_shop"})  # a shop's own buyers (私域)
T = TypeVar("T")


class _Shown(Protocol):
    @property
    def shop(self) -> int | None: ...
    @property
    def private(self) -> bool: ...
    @property
    def new_shop(self) -> bool: ...
    @property
    def capped(self) -> bool: ...


S = TypeVar("S", bound=_Shown)


@dataclass
class ExposureView:
    """Recent feed impressions by shop, and the fair share of the shops that could be shown."""

    by_shop: dict[int, int] = field(default_factory=dict)
    fair: float = 0.0

    @classmethod
    def of(cls, by_shop: dict[int, int], shops: Iterable[int]) -> ExposureView:
        everyone = set(by_shop) | set(shops)
        total = sum(by_shop.values())
        return cls(by_shop, total / len(everyone) if everyone and total else 0.0)

    def balance(self, shop_id: int | None, policy: TrafficPolicy) -> float:
        if shop_id is None or not self.fair or not policy.exposure_balance:
            return 1.0
        prior = self.fair * 0.25  # a few impressions more or less do not swing a small shop
        ratio = (self.fair + prior) / (self.by_shop.get(shop_id, 0) + prior)
        factor = ratio**policy.exposure_balance
        return min(policy.balance_ceiling, max(policy.balance_floor, factor))

    def over_cap(self, shop_id: int | None, policy: TrafficPolicy) -> bool:
        if shop_id is None or not self.fair:
            return False
        return self.by_shop.get(shop_id, 0) > policy.window_cap_multiple * self.fair


class _Exposure:
    """Recent feed impressions by shop, reread at most every EXPOSURE_TTL seconds."""

    def __init__(self) -> None:
        self.at = -math.inf
        self.by_shop: dict[int, int] = {}

    def get(self, session: Session) -> dict[int, int]:
        if time.monotonic() - self.at > EXPOSURE_TTL:
            since = clock.now() - EXPOSURE_WINDOW
            self.by_shop = impressions.exposure_by_shop(session, since, surfaces=FEED_SURFACES)
            self.at = time.monotonic()
        return self.by_shop

    def clear(self) -> None:
        self.at = -math.inf


EXPOSURE = _Exposure()


def _uniform(*parts: object) -> float:
    """A stable number in (0, 1) from ``parts``."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=6).digest()
    return (int.from_bytes(digest, "big") + 0.5) / 2**48


def rotation(viewer_id: int | None, shop_id: int | None, day: date, spread: float) -> float:
    """1 ± ``spread``, fixed for a viewer, a shop and a day: near-equal shops take turns across
    viewers instead of the same one leading for everyone."""
    if not spread:
        return 1.0
    return 1.0 + spread * (_uniform("rot", viewer_id, shop_id, day.isoformat()) * 2 - 1)


def explore_order(
    items: list[T],
    weight: Callable[[T], float],
    shop: Callable[[T], int | None],
    viewer_id: int | None,
    day: date,
) -> list[T]:
    """New shops' items in the order this viewer's exploration slots take them: shops drawn by
    weighted sampling without replacement (key u^(1/w), u stable per viewer, shop and day), each
    shop's items in their given order, one round of shops after another."""
    keyed: dict[int | None, float] = {}
    rounds: dict[int | None, list[T]] = {}
    for it in items:
        sid = shop(it)
        w = weight(it)
        if w <= 0:
            continue
        if sid not in keyed:
            keyed[sid] = math.log(_uniform("explore", viewer_id, sid, day.isoformat())) / w
        rounds.setdefault(sid, []).append(it)
    shops = sorted(keyed, key=lambda s: (-keyed[s], s or 0))
    out: list[T] = []
    depth = max((len(v) for v in rounds.values()), default=0)
    for i in range(depth):
        out.extend(rounds[s][i] for s in shops if i < len(rounds[s]))
    return out


def explore_positions(per_page: int, slots: int) -> list[int]:
    """Where a page's exploration slots are: spread evenly, each a little below the top of its
    stretch (the 2nd, 6th, 10th, 14th and 18th of twenty for five slots)."""
    if slots <= 0 or per_page <= 0:
        return []
    step = per_page / slots
    return sorted({min(per_page - 1, int(step * i + step * 0.3)) for i in range(slots)})


def paginate(
    ranked: list[S],
    explore: list[S],
    per_page: int,
    share: float,
    explore_slots: int,
    upto: int | None = None,
) -> list[S]:
    """Cut ``ranked`` into pages of ``per_page`` (until ``upto`` items are placed, or all):

    - no shop takes more than ``share`` of a page while others can fill it;
    - a shop over its window cap (``capped``) takes no public slot while others can fill it (its
      private traffic, followers and past buyers, still sees it);
    - at each of the ``explore_slots`` exploration positions, when the page so far holds fewer
      new-shop items than exploration positions passed, the next of ``explore`` (this viewer's
      draw) that fits takes the slot.
    When only capped items are left, they fill the page rather than leave it short (the window
    cap gives way first, then the page cap), in order."""
    cap = max(1, int(per_page * share)) if share < 1 else per_page
    positions = set(explore_positions(per_page, explore_slots))
    placed: set[int] = set()
    out: list[S] = []

    def fits(c: S, counts: dict[int | None, int], strict: bool) -> bool:
        if id(c) in placed or (c.shop is not None and counts.get(c.shop, 0) >= cap):
            return False
        return not (strict and c.capped and not c.private)

    limit = len(ranked) if upto is None else min(upto, len(ranked))
    while len(out) < limit:
        counts: dict[int | None, int] = {}
        page: list[S] = []
        new_on_page = passed = 0

        for slot in range(per_page):
            pick = None
            if slot in positions:
                passed += 1
                if new_on_page < passed:
                    pick = next((c for c in explore if fits(c, counts, True)), None)
            if pick is None:
                pick = next((c for c in ranked if fits(c, counts, True)), None)
            if pick is None:
                pick = next((c for c in ranked if fits(c, counts, False)), None)
            if pick is None:
                pick = next((c for c in ranked if id(c) not in placed), None)
            if pick is None:
                break
            page.append(pick)
            placed.add(id(pick))
            counts[pick.shop] = counts.get(pick.shop, 0) + 1
            new_on_page += pick.new_shop
        if not page:
            break
        out.extend(page)
    return out
