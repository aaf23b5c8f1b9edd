"""The carrier network behind an interface (house rule 9): the sandbox here, a real carrier's
tracking API (or an aggregator such as 快递100) in production, polled by the tracking job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Waybill:
    """What a carrier knows of a parcel once the merchant hands it over."""

    carrier_code: str
    tracking_no: str
    shipped_at: datetime
    dest_province: str  # 新疆维吾尔自治区
    dest_city: str  # 乌鲁木齐市
    hub_name: str | None = None  # 西北集运: the parcel goes to this hub first, the platform forwards it


@dataclass(frozen=True)
class TrackingNode:
    at: datetime
    stage: str  # one of STAGES
    city: str
    description: str


PICKED_UP = "揽收"
IN_TRANSIT = "运输中"
AT_HUB = "到达集运仓"
LEFT_HUB = "集运仓发出"
OUT_FOR_DELIVERY = "派送中"
DELIVERED = "签收"
STAGES = (PICKED_UP, IN_TRANSIT, AT_HUB, LEFT_HUB, OUT_FOR_DELIVERY, DELIVERED)


class CarrierNetwork(Protocol):
    def track(self, waybill: Waybill, now: datetime) -> list[TrackingNode]:
        """Every node of the parcel's journey that has happened by ``now``, oldest first."""
        ...
