"""What the promotions domain emits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from laotie.core.events import DomainEvent


@dataclass(frozen=True)
class CampaignPriceApproved(DomainEvent):
    """A campaign price was approved: a price drop buyers will see while the campaign runs."""

    topic: ClassVar[str] = "CampaignPriceApproved"
    campaign_id: int
    campaign_item_id: int
    sku_id: int
    product_id: int
    shop_id: int
    old_price_fen: int
    new_price_fen: int
    starts_at: str  # ISO 8601
    ends_at: str
