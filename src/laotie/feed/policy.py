"""Traffic policies: how the feed hands out exposure, every weight in one place, chosen by name.

``laotie`` is the policy the seeds describe (去中心化, 普惠): quality and the buyer's own ties
(follows: 私域, what they bought) lead; new merchants get free exposure (新商冷启), more when the
new-merchant detector finds them promising; 包邮 and 先用后付 get a lift; consequences throttle
(TRAFFIC_WEIGHT scales, NO_BOOST removes the lifts and sinks); no shop takes more than
``shop_cap_share`` of a page, and shops far above their fair share of recent exposure are damped.

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
    fair_share_multiple: float  # a shop above this × its fair share of recent exposure …
    exposure_damping: float  # … has its score multiplied by this
    jitter: float  # per-viewer spread, so equal items take turns (0: none)
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
        quality=0.40,
        expected_gmv=0.10,
        affinity=0.35,
        freshness=0.15,
        new_merchant=0.15,
        promising_merchant=0.20,
        free_shipping=0.05,
        pay_later=0.04,
        obey_weights=True,
        no_boost_factor=0.5,
        shop_cap_share=0.2,
        fair_share_multiple=3.0,
        exposure_damping=0.6,
        jitter=0.08,
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
        fair_share_multiple=1e9,
        exposure_damping=1.0,
        jitter=0.0,
    ),
}
DEFAULT_POLICY = "laotie"


def get_policy(name: str | None = None) -> TrafficPolicy:
    """The policy called ``name`` (the default when None); UNKNOWN_POLICY otherwise."""
    policy = POLICIES.get(name or DEFAULT_POLICY)
    if policy is None:
        raise errors.UNKNOWN_POLICY(policy=(name or "")[:30], policies="、".join(POLICIES))
    return policy
