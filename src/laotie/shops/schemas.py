from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from laotie.core.ids import MAX_ID as MAX_ID  # routers import it from here
from laotie.core.ids import Id
from laotie.shops.models import MemberRole, ReviewState, ShopStatus
from laotie.shops.models import ShopEventKind as ShopEventKind  # re-exported for governance

# Control characters (NUL above all, which PostgreSQL refuses to store) have no place in shop text;
# tabs and line breaks do, in descriptions and reasons.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _printable(value: str) -> str:
    if CONTROL_CHARACTERS.search(value):
        raise ValueError("control characters are not allowed")
    return value


Text = Annotated[str, AfterValidator(_printable)]


class ShopApply(BaseModel):
    name: Text = Field(min_length=2, max_length=40, examples=["东北山货源头店"])
    main_category_id: Id
    entity_type: str = Field(
        pattern="^(company|individual_business|person)$", description="企业 / 个体工商户 / 个人"
    )
    legal_name: Text = Field(min_length=2, max_length=100)
    licence_number: Text | None = Field(
        default=None, max_length=30, description="统一社会信用代码; not for persons"
    )
    contact_phone: Text = Field(max_length=20)
    description: Text = Field(default="", max_length=2000)


class ShopOut(BaseModel):
    id: int
    name: str
    status: ShopStatus
    review_state: ReviewState
    review_reason: str
    main_category_id: int
    description: str
    created_at: datetime
    opened_at: datetime | None


class ShopPrivateOut(ShopOut):
    """What the shop's own members and staff see."""

    owner_id: int
    entity_type: str
    legal_name: str
    licence_number: str | None
    contact_phone: str
    submitted_at: datetime
    withdrawals_frozen_at: datetime | None = None
    withdrawals_frozen_reason: str = ""


class ShopEventOut(BaseModel):
    id: int
    actor_id: int | None
    kind: str
    from_status: str | None
    to_status: str | None
    reason: str
    data: dict[str, Any]
    at: datetime


class MemberOut(BaseModel):
    user_id: int
    role: MemberRole
    added_at: datetime
    nickname: str = ""
    phone: str | None = Field(default=None, description="masked, e.g. 138****8000")


class MemberAdd(BaseModel):
    phone: str = Field(
        min_length=1, max_length=20, description="the registered phone of the new staff member"
    )


class Decision(BaseModel):
    reason: Text = Field(default="", max_length=500)


class DocumentOut(BaseModel):
    id: int
    shop_id: int
    kind: str
    kind_label: str = Field(description="the kind's Chinese name, e.g. 食品经营许可证")
    brand: str
    filename: str
    content_type: str
    size_bytes: int
    uploaded_by: int
    uploaded_at: datetime
    expires_on: date | None
    expired: bool
    url: str


class ReviewQueueItem(ShopPrivateOut):
    required_documents: list[str]
    missing_documents: list[str]


class ShopReviewDetail(BaseModel):
    """Everything a reviewer needs on one page: the application, its files and its whole history."""

    shop: ShopPrivateOut
    category_path: list[str]
    required_documents: list[str]
    missing_documents: list[str]
    documents: list[DocumentOut]
    members: list[MemberOut]
    events: list[ShopEventOut]
