"""Spreading exposure: exploration slots drawn per viewer, the window cap, the exposure balance and
the sinks for bad goods. The old feed gave every viewer the same newest shops and only damped a
shop above three times its share; these fail on it."""

from __future__ import annotations

from datetime import date

import pytest

from laotie.feed import fairness
from laotie.feed.fairness import ExposureView, explore_positions
from laotie.feed.newshops import NewShopStatus
from laotie.feed.policy import get_policy
from laotie.feed.recommend import Candidate, arrange, sink
from tests.unit.feed.test_policy import NOW, doc, scored

LAOTIE = get_policy("laotie")
SLOTS = round(20 * LAOTIE.explore_share)  # exploration slots on a page of twenty


def _market(incumbents: int = 12, new_shops: int = 8) -> list[Candidate]:
    """Incumbents' goods scoring above new shops' goods, each new shop equally worth a draw."""
    ranked = [Candidate(doc(i, 100 + i // 2), score=2.0 - i / 100) for i in range(incumbents * 2)]
    for n in range(new_shops):
        c = Candidate(doc(500 + n, 900 + n), score=0.5, new_shop=True, explore_weight=1.0)
        ranked.append(c)
    return ranked


def _new_shops_on_first_page(viewer_id: int) -> list[int]:
    page = arrange(_market(), 20, LAOTIE, viewer_id, upto=20)[:20]
    return [c.doc.shop_id for c in page if c.new_shop and c.doc.shop_id is not None]


def test_each_page_keeps_slots_for_new_shops_at_spread_positions() -> None:
    assert explore_positions(20, 4) == [1, 6, 11, 16] and explore_positions(20, 5) == [1, 5, 9, 13, 17]
    assert SLOTS >= 3
    page = arrange(_market(), 20, LAOTIE, 7, upto=20)[:20]
    assert [i for i, c in enumerate(page) if c.new_shop] == explore_positions(20, SLOTS)
    gmv = arrange(_market(), 20, get_policy("gmv"), 7, upto=20)[:20]
    assert [c.key for c in gmv] == [c.key for c in _market()[:20]], "gmv keeps no slots"


def test_two_viewers_get_different_new_merchants_and_together_see_them_all() -> None:
    picks = {v: _new_shops_on_first_page(v) for v in range(1, 41)}
    assert all(len(p) == SLOTS and len(set(p)) == SLOTS for p in picks.values())
    assert len({tuple(p) for p in picks.values()}) > 20, "not everyone gets the same few shops"
    first = {p[0] for p in picks.values()}
    assert first == set(range(900, 908)), "over forty viewers every new shop leads someone's draw"
    assert _new_shops_on_first_page(3) == _new_shops_on_first_page(3), "stable for a viewer and day"


def test_the_draw_favours_the_shop_furthest_below_its_share() -> None:
    leads = {900: 0, 901: 0}
    for viewer in range(400):
        ranked = _market(new_shops=2)
        ranked[-2].explore_weight = 1.6  # shop 900: far below its fair share
        ranked[-1].explore_weight = 0.4  # shop 901: above it
        page = arrange(ranked, 20, LAOTIE, viewer, upto=20)[:20]
        leads[next(c.doc.shop_id for c in page if c.new_shop)] += 1  # type: ignore[index]
    assert leads[900] > 2.5 * leads[901] > 0


def test_a_shop_over_its_window_cap_gets_no_public_slot_but_its_followers_still_see_it() -> None:
    big = [Candidate(doc(i, 1), score=5.0, capped=True) for i in range(6)]
    followed = Candidate(doc(50, 1), sources={"follow"}, score=4.0, capped=True)
    others = [Candidate(doc(100 + i, 2 + i), score=1.0) for i in range(30)]
    page = arrange([*big, followed, *others], 20, LAOTIE, 1, upto=20)[:20]
    shops = [c.doc.shop_id for c in page]
    assert shops.count(1) == 1 and page[0] is followed
    only_big = arrange(big, 20, LAOTIE, 1)
    assert len(only_big) == 6, "nothing else to show: the capped shop still fills the page"


def test_no_shop_takes_more_than_its_page_share() -> None:
    ranked = [Candidate(doc(i, 1), score=9.0) for i in range(10)] + [
        Candidate(doc(100 + i, 2 + i % 8), score=1.0) for i in range(30)
    ]
    page = arrange(ranked, 20, LAOTIE, 1, upto=20)[:20]
    counts = {s: [c.doc.shop_id for c in page].count(s) for s in {c.doc.shop_id for c in page}}
    assert max(counts.values()) == 4 == counts[1]  # 20% of twenty


def test_exposure_balance_lifts_the_unseen_and_sinks_the_overexposed_within_bounds() -> None:
    view = ExposureView.of({1: 900, 2: 100}, shops=[1, 2, 3])
    assert view.fair == pytest.approx(1000 / 3)
    starved, modest, glutted = (view.balance(s, LAOTIE) for s in (3, 2, 1))
    assert LAOTIE.balance_ceiling >= starved > modest > 1 > glutted >= LAOTIE.balance_floor
    assert view.over_cap(1, LAOTIE) and not view.over_cap(2, LAOTIE)
    assert view.balance(1, get_policy("gmv")) == 1.0
    assert ExposureView.of({}, shops=[1]).balance(1, LAOTIE) == 1.0  # nothing shown yet: no opinion


def test_rotation_differs_between_viewers_and_is_stable() -> None:
    day = date(2026, 3, 5)
    values = {round(fairness.rotation(v, 7, day, 0.15), 6) for v in range(30)}
    assert len(values) == 30 and all(0.85 <= x <= 1.15 for x in values)
    assert fairness.rotation(4, 7, day, 0.15) == fairness.rotation(4, 7, day, 0.15)
    assert fairness.rotation(4, 7, day, 0.0) == 1.0


def test_quality_returns_and_overpricing_sink_goods_under_laotie_only() -> None:
    honest = Candidate(doc(1, 1))
    honest.quality_return_bp = 200
    faker = Candidate(doc(2, 2))
    faker.quality_return_bp = 3500
    dear = Candidate(doc(3, 3, price_index_bp=17_000))
    assert sink(honest, LAOTIE) == 1.0 and sink(faker, LAOTIE) == LAOTIE.sink_floor
    assert 0.3 < sink(dear, LAOTIE) < 0.5
    assert scored(faker) < 0.2 * scored(honest)
    assert scored(faker, "gmv") == scored(Candidate(doc(2, 2)), "gmv")


def test_the_balance_scales_the_score() -> None:
    from laotie.feed.recommend import score

    c = Candidate(doc(1, 1))
    plain = NewShopStatus(new=False, promising=False)
    score(c, LAOTIE, plain, None, False, NOW, 1.5)
    lifted = c.score
    score(c, LAOTIE, plain, None, False, NOW, 1.0)
    assert lifted == pytest.approx(1.5 * c.score)
