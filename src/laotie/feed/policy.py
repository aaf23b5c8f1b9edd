"""Traffic policies: how the feed hands out exposure, every weight in one place, chosen by name.

``laotie`` is the policy the seeds describe (去中心化, 普惠): the buyer's own ties (follows: 私域,
shops they bought from, the categories they buy in) and quality lead; bad goods sink (a high
quality-return rate, a price far above equivalent goods, 溢价, a poor DSR or product score, and
every governance consequence: TRAFFIC_WEIGHT scales, NO_BOOST removes the lifts and sinks); 包邮
and 先用后付 get a lift. Traffic is spread (``feed.fairness``): a shop's score follows how far it
is below or above its fair share of recent feed exposure, a shop far above it gets no public slot
(a window cap) and no shop takes more than ``shop_cap_share`` of a page; a share of every page
goes to new merchants (新商冷启), drawn per viewer (their taste, each shop's exposure deficit, the
new-merchant detector's verdict), so the newest shops do not fill the first page for everyone.

``gmv`` ranks by expected GMV per impression alone (price × conversion), the baseline the simulator
compares against: it only obeys DISTRIBUTION_STOPPED, which no policy may ignore.
"""

from __future__ import annotations

from dataclasses import dataclass

from laotie.feed import errors


@dataclass(frozen=True)
class TrafficPolicy:
    name: str
    label: str
    # The score: a weighted sum of parts in [0, 1] …
    quality: float  # search's quality (product score, price, sales, DSR, conversion)
    expected_gmv: float  # price × conversion, log-scaled
    affinity: float  # follows, purchases, same category
    freshness: float  # new listings, live now
    # … plus lifts (only for goods that keep their boosts) …
    new_merchant: float
    promising_merchant: float
    free_shipping: float
    pay_later: float
    # … times the consequences, when obeyed.
    obey_weights: bool
    no_boost_factor: float
    shop_cap_share: float  # at most this share of one page per shop (1.0: no cap)
    window_cap_multiple: float  # a shop above this × its fair share of recent feed exposure …
    exposure_damping: float  # … has its score multiplied by this and takes no public slot
    exposure_balance: float  # score × (fair share ÷ recent exposure) ** this (0: exposure ignored)
    balance_floor: float  # … bounded below
    balance_ceiling: float  # … and above
    rotation: float  # per viewer, shop and day, ± this: near-equal shops take turns (0: none)
    explore_share: float  # share of a page's slots kept for new merchants' goods (新商冷启)
    explore_off_taste: float  # a new shop outside the viewer's known taste is drawn this much less
    explore_promising: float  # a promising new shop is drawn this much more
    # What buyers did with it: score × (its conversion ÷ the prior's) ** this, bounded, so goods
    # shown often and never bought (dear for what they are, or not wanted) give way (0: ignored).
    conversion_evidence: float = 0.0
    conversion_floor: float = 1.0
    conversion_ceiling: float = 1.0
    # Bad goods sink (when the policy obeys quality): 品退率 above the free line scales the score
    # down linearly to the floor at the zero line; so does a price above equivalent goods.
    quality_return_free_bp: int = 10_000
    quality_return_zero_bp: int = 10_000
    price_index_free_bp: int = 1_000_000
    price_index_zero_bp: int = 1_000_000
    sink_floor: float = 1.0
    # The new-merchant detector.
    new_shop_days: int = 30
    first_week_days: int = 7
    early_gmv_days: int = 14
    first_live_viewers: int = 50
    first_week_impressions: int = 500
    early_gmv_fen: int = 200_000  # ¥2,000
    # Scores (read through ``scores.service``): an over-priced (溢价) product sinks when obeyed.
    overpriced_factor: float = 0.25


POLICIES: dict[str, TrafficPolicy] = {
    "laotie": TrafficPolicy(
        name="laotie",
        label="老铁（普惠）",
        quality=0.35,
        expected_gmv=0.25,
        affinity=0.60,
        freshness=0.05,
        new_merchant=0.08,
        promising_merchant=0.12,
        free_shipping=0.05,
        pay_later=0.04,
        obey_weights=True,
        no_boost_factor=0.5,
        shop_cap_share=0.2,
        window_cap_multiple=2.5,
        exposure_damping=0.6,
        exposure_balance=0.5,
        balance_floor=0.4,
        balance_ceiling=1.6,
        rotation=0.15,
        explore_share=0.2,
        explore_off_taste=0.3,
        explore_promising=2.0,
        quality_return_free_bp=300,  # 3 %: what any honest shop sees
        quality_return_zero_bp=2_000,  # 20 %: a fake seller's goods
        price_index_free_bp=12_000,  # 20 % above equivalent goods still sells on its own merits
        price_index_zero_bp=20_000,  # twice the going price
        sink_floor=0.1,
        conversion_evidence=0.5,
        conversion_floor=0.35,
        conversion_ceiling=1.6,
    ),
    "gmv": TrafficPolicy(
        name="gmv",
        label="GMV优先",
        quality=0.0,
        expected_gmv=1.0,
        affinity=0.0,
        freshness=0.0,
        new_merchant=0.0,
        promising_merchant=0.0,
        free_shipping=0.0,
        pay_later=0.0,
        obey_weights=False,
        no_boost_factor=1.0,
        shop_cap_share=1.0,
        window_cap_multiple=1e9,
        exposure_damping=1.0,
        exposure_balance=0.0,
        balance_floor=1.0,
        balance_ceiling=1.0,
        rotation=0.0,
        explore_share=0.0,
        explore_off_taste=1.0,
        explore_promising=1.0,
    ),
}
DEFAULT_POLICY = "laotie"

# How close a candidate is to the viewer, by where it came from (the strongest source counts).
SOURCE_AFFINITY = {"follow": 1.0, "bought_shop": 0.7, "similar": 0.5, "taste": 0.4}


def get_policy(name: str | None = None) -> TrafficPolicy:
    """The policy called ``name`` (the default when None); UNKNOWN_POLICY otherwise."""
    policy = POLICIES.get(name or DEFAULT_POLICY)
    if policy is None:
        raise errors.UNKNOWN_POLICY(policy=(name or "")[:30], policies="、".join(POLICIES))
    return policy
