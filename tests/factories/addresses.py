"""Address-book entries for tests, written through the real service."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from laotie.addresses import service as addresses
from laotie.addresses.schemas import AddressCreate, AddressOut

# 浙江省 / 杭州市 / 西湖区
HANGZHOU_XIHU = {"province_code": "330000", "city_code": "330100", "district_code": "330106"}
# 北京市 / 北京市 / 朝阳区: a municipality, whose city level repeats its name
BEIJING_CHAOYANG = {"province_code": "110000", "city_code": "110100", "district_code": "110105"}
# 新疆 / 乌鲁木齐市 / 天山区: a remote-region consolidation province
URUMQI_TIANSHAN = {"province_code": "650000", "city_code": "650100", "district_code": "650102"}


def address_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "recipient": "张三",
        "phone": "13800138000",
        **HANGZHOU_XIHU,
        "detail": "文三路478号华星时代广场A座1201",
        "postal_code": "310012",
    }
    body.update(overrides)
    return body


def make_address(session: Session, user_id: int, **overrides: Any) -> AddressOut:
    out = addresses.create_address(session, user_id, AddressCreate(**address_body(**overrides)))
    session.commit()
    return out
