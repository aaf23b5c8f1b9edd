"""The fee maths of shipping templates: first/extra piece and weight, thresholds, regions, mixing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from laotie.core.errors import AppError
from laotie.logistics import fees
from laotie.logistics.schemas import ChargeBy, FeeRule, FreeShippingRule, RegionRule, TemplateIn

ZJ, XJ, XZ, SH, GD = "330000", "650000", "540000", "310000", "440000"
PROVINCES = {ZJ, XJ, XZ, SH, GD, "610000"}


def piece(first: int, extra: int, first_units: int = 1, extra_units: int = 1, **kw: object) -> TemplateIn:
    return TemplateIn(
        name="件",
        default=FeeRule(
            first_units=first_units, first_fee_fen=first, extra_units=extra_units, extra_fee_fen=extra
        ),
        **kw,  # type: ignore[arg-type]
    )


def goods(template: TemplateIn, pieces: int, amount: int = 0, weight: int = 0) -> fees.Goods:
    return fees.Goods(template=template, pieces=pieces, weight_g=weight, amount_fen=amount)


@pytest.mark.parametrize(
    ("pieces", "fee"),
    [(1, 800), (2, 1000), (3, 1200), (10, 2600)],
)
def test_first_piece_and_each_extra_piece(pieces: int, fee: int) -> None:
    assert fees.parcel_fee([goods(piece(800, 200), pieces)], ZJ) == fee


def test_extra_steps_round_up() -> None:
    # 2 pieces first, then every 3 pieces (or part) cost 500
    t = piece(1000, 500, first_units=2, extra_units=3)
    assert [fees.parcel_fee([goods(t, n)], ZJ) for n in (1, 2, 3, 5, 6, 8)] == [
        1000,
        1000,
        1500,
        1500,
        2000,
        2000,
    ]


def test_weight_first_kilo_and_each_extra_half_kilo() -> None:
    t = TemplateIn(
        name="重",
        charge_by=ChargeBy.WEIGHT,
        default=FeeRule(first_units=1000, first_fee_fen=1200, extra_units=500, extra_fee_fen=300),
    )
    assert fees.parcel_fee([goods(t, 1, weight=800)], ZJ) == 1200
    assert fees.parcel_fee([goods(t, 1, weight=1000)], ZJ) == 1200
    assert fees.parcel_fee([goods(t, 2, weight=1200)], ZJ) == 1500  # 200 g over: one extra step
    assert fees.parcel_fee([goods(t, 3, weight=2600)], ZJ) == 1200 + 4 * 300


def test_region_rules_override_the_default_and_excluded_regions_are_not_served() -> None:
    t = piece(
        600,
        100,
        regions=[RegionRule(provinces=[XJ], first_fee_fen=2000, extra_fee_fen=1000)],
        excluded=[XZ],
    )
    assert fees.parcel_fee([goods(t, 2)], ZJ) == 700
    assert fees.parcel_fee([goods(t, 2)], XJ) == 3000
    assert fees.parcel_fee([goods(t, 2)], XZ) is None


def test_free_shipping_thresholds_by_amount_or_pieces_and_by_region() -> None:
    t = piece(
        800,
        200,
        free_rules=[
            FreeShippingRule(min_amount_fen=9900),  # 满99包邮 everywhere
            FreeShippingRule(provinces=[SH], min_pieces=2),  # 上海 2 件包邮
        ],
    )
    assert fees.parcel_fee([goods(t, 1, amount=9899)], ZJ) == 800
    assert fees.parcel_fee([goods(t, 1, amount=9900)], ZJ) == 0
    assert fees.parcel_fee([goods(t, 2, amount=100)], ZJ) == 1000
    assert fees.parcel_fee([goods(t, 2, amount=100)], SH) == 0


def test_several_templates_pay_the_highest_first_fee_once() -> None:
    cheap = piece(500, 100)
    dear = piece(1000, 300)
    # dear leads: 1000 + 1 extra piece * 300; cheap pays its 2 pieces as extras: 2 * 100
    assert fees.parcel_fee([goods(cheap, 2), goods(dear, 2)], ZJ) == 1000 + 300 + 200
    # a free group drops out; one excluded group makes the parcel unservable
    free = piece(900, 900, free_rules=[FreeShippingRule(min_pieces=1)])
    assert fees.parcel_fee([goods(free, 3), goods(cheap, 1)], ZJ) == 500
    assert fees.parcel_fee([goods(piece(0, 0, excluded=[GD]), 1), goods(cheap, 1)], GD) is None
    assert fees.parcel_fee([], ZJ) == 0


@given(
    first=st.integers(0, 10_000),
    extra=st.integers(0, 10_000),
    first_units=st.integers(1, 5),
    extra_units=st.integers(1, 5),
    units=st.integers(1, 200),
)
def test_fee_never_drops_when_more_is_shipped(
    first: int, extra: int, first_units: int, extra_units: int, units: int
) -> None:
    rule = FeeRule(first_units=first_units, first_fee_fen=first, extra_units=extra_units, extra_fee_fen=extra)
    fee = fees.rule_fee(rule, units)
    assert fee >= first
    assert fees.rule_fee(rule, units + 1) >= fee
    assert fee <= first + units * extra


def _refused(body: TemplateIn) -> str:
    with pytest.raises(AppError) as caught:
        fees.check_template(body, PROVINCES)
    assert caught.value.code == "INVALID_SHIPPING_TEMPLATE"
    return caught.value.message("zh")


def test_bad_templates_are_refused() -> None:
    overlapping = piece(
        800,
        0,
        regions=[
            RegionRule(provinces=[XJ, XZ], first_fee_fen=1500),
            RegionRule(provinces=[XJ], first_fee_fen=2000),
        ],
    )
    assert "650000" in _refused(overlapping)
    assert "不配送" in _refused(
        piece(800, 0, regions=[RegionRule(provinces=[XJ], first_fee_fen=1)], excluded=[XJ])
    )
    assert "省级" in _refused(piece(800, 0, excluded=["330100"]))  # a city, not a province
    assert "包邮" in _refused(
        piece(800, 0, excluded=[XZ], free_rules=[FreeShippingRule(provinces=[XZ], min_pieces=2)])
    )
    assert "所有" in _refused(piece(800, 0, excluded=sorted(PROVINCES)))
    fees.check_template(piece(800, 0, regions=[RegionRule(provinces=[XJ], first_fee_fen=1)]), PROVINCES)


def test_negative_fees_fail_validation() -> None:
    with pytest.raises(ValueError):
        FeeRule(first_fee_fen=-1)
    with pytest.raises(ValueError):
        FeeRule(first_fee_fen=0, extra_units=0)
    with pytest.raises(ValueError):
        FreeShippingRule()


rules = st.builds(
    FeeRule,
    first_units=st.integers(1, 5),
    first_fee_fen=st.integers(0, 5_000),
    extra_units=st.integers(1, 5),
    extra_fee_fen=st.integers(0, 5_000),
)


@given(st.lists(st.tuples(rules, st.integers(1, 50)), min_size=1, max_size=4))
def test_buying_together_never_costs_more_than_apart(parts: list[tuple[FeeRule, int]]) -> None:
    goods_list = [goods(TemplateIn(name="t", default=rule), pieces) for rule, pieces in parts]
    together = fees.parcel_fee(goods_list, ZJ)
    apart = [fees.parcel_fee([g], ZJ) for g in goods_list]
    assert together is not None and all(a is not None for a in apart)
    assert 0 <= together <= sum(a for a in apart if a is not None)
    if len(parts) == 1:
        assert together == apart[0] == fees.rule_fee(*parts[0])


def test_a_cheap_first_fee_with_dear_extras_does_not_make_the_parcel_dearer() -> None:
    dear_extras = piece(0, 500, first_units=5)  # 5 pieces free, then ¥5 each
    flat = piece(800, 0)
    # combined rule: flat leads (¥8), dear_extras pays 3 extra steps (¥15) = ¥23; apart: ¥8 + ¥0
    assert fees.parcel_fee([goods(dear_extras, 3), goods(flat, 1)], ZJ) == 800
