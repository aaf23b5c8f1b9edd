from __future__ import annotations

from pydantic import BaseModel, Field

from laotie.core.ids import Id
from laotie.core.numbers import StrictInt


class CategoryOut(BaseModel):
    id: int
    parent_id: int | None
    name: str
    level: int
    fee_rate_bp: int
    required_qualifications: list[str]
    return_exempt: bool
    is_leaf: bool
    path: list[str] = Field(description="names from the root down to this category")


class CategoryNode(BaseModel):
    id: int
    name: str
    level: int
    children: list[CategoryNode] = []


class CategoryCreate(BaseModel):
    parent_id: Id | None = None
    name: str = Field(min_length=1, max_length=40)
    fee_rate_bp: StrictInt = Field(default=500, ge=0, le=5000)
    required_qualifications: list[str] = Field(default_factory=list, max_length=10)
    return_exempt: bool = False
