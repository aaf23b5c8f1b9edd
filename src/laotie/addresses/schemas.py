from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True)]


class RegionLevel(enum.StrEnum):
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"


class RegionOut(BaseModel):
    """One administrative region. ``code`` is the six-digit adcode (GB/T 2260, 行政区划代码)."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(examples=["110105"])
    name: str = Field(examples=["朝阳区"])
    level: RegionLevel
    kind: str = Field(
        description="省 / 自治区 / 直辖市 / 地级市 / 县级市 / 市辖区 / 县 …, as the data names it"
    )
    parent_code: str | None
    province_code: str = Field(description="the provincial-level unit this region lies in")
    has_children: bool
    remote: bool = Field(description="in a remote-region consolidation province (西北集运)")


class RegionPath(BaseModel):
    """A validated province / city / district choice with the names the codes stand for.

    ``city`` is empty only for a provincial unit the data does not subdivide (香港, 澳门, 台湾);
    ``district`` is empty where the city has no county level in the data (东莞, 中山, 仙桃, 石河子 …)."""

    model_config = ConfigDict(frozen=True)

    province_code: str
    province_name: str
    city_code: str | None = None
    city_name: str = ""
    district_code: str | None = None
    district_name: str = ""


class AddressIn(BaseModel):
    recipient: Text = Field(min_length=1, max_length=25, examples=["张三"])
    phone: Text = Field(min_length=1, max_length=20, examples=["13800138000"])
    province_code: Text = Field(min_length=1, max_length=12, examples=["330000"])
    city_code: Text | None = Field(default=None, max_length=12, examples=["330100"])
    district_code: Text | None = Field(default=None, max_length=12, examples=["330106"])
    detail: Text = Field(min_length=2, max_length=120, examples=["文三路478号华星时代广场A座1201"])
    postal_code: Text | None = Field(default=None, pattern=r"^\d{6}$")


class AddressCreate(AddressIn):
    is_default: bool = False


class AddressOut(BaseModel):
    """The buyer's own view of an address: everything, unmasked."""

    id: int
    recipient: str
    phone: str
    province_code: str
    province_name: str
    city_code: str | None
    city_name: str
    district_code: str | None
    district_name: str
    detail: str
    postal_code: str | None
    is_default: bool
    remote: bool
    created_at: datetime
    updated_at: datetime


class AddressSnapshot(BaseModel):
    """A full copy of an address, as an order keeps it from checkout on.

    Store it as JSON (``snapshot.model_dump(mode="json")``) and read it back with
    ``AddressSnapshot.model_validate(data)``: it stays valid after the buyer edits or deletes the
    address. Merchants never see it directly: they get ``masked(snapshot)``, and the full address
    only through ``reveal_for_shipping``, which is audited."""

    model_config = ConfigDict(frozen=True)

    address_id: int | None = None
    recipient: str
    phone: str
    province_code: str
    province_name: str
    city_code: str | None = None
    city_name: str = ""
    district_code: str | None = None
    district_name: str = ""
    detail: str
    postal_code: str | None = None

    def region_line(self) -> str:
        # A municipality's city level repeats its name (北京市 / 北京市): print it once.
        names = [self.province_name, self.city_name, self.district_name]
        return "".join(n for i, n in enumerate(names) if n and n not in names[:i])

    def one_line(self) -> str:
        """``浙江省杭州市西湖区文三路478号``: the address as a shipping label prints it."""
        return f"{self.region_line()}{self.detail}"


class MaskedAddress(BaseModel):
    """What a merchant sees of a buyer's address before it must ship: regions in full, person masked."""

    model_config = ConfigDict(frozen=True)

    recipient: str = Field(examples=["张*"])
    phone: str = Field(examples=["138****8000"])
    province_code: str
    province_name: str
    city_code: str | None = None
    city_name: str = ""
    district_code: str | None = None
    district_name: str = ""
    detail: str = Field(examples=["文三路****"])


class RevealPurpose(enum.StrEnum):
    SHIPPING_LABEL = "shipping_label"  # 打印面单
    CARRIER_PICKUP = "carrier_pickup"  # 物流揽收
    AFTER_SALES = "after_sales"  # 售后（换货、补发）
    DISPUTE_REVIEW = "dispute_review"  # 平台纠纷判责


class RevealLogEntry(BaseModel):
    id: int
    actor_user_id: int
    shop_id: int | None
    order_ref: str
    purpose: RevealPurpose
    address_id: int | None
    province_code: str
    at: datetime
