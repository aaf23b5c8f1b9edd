from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId


class Category(Base):
    __tablename__ = "categories_category"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories_category.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    level: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Platform fee (技术服务费) in basis points of the paid amount; the ledger reads it at settlement.
    fee_rate_bp: Mapped[int] = mapped_column(Integer, default=500)
    # Documents a shop must upload before selling here, e.g. ["food_license"].
    required_qualifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Goods excluded from 7-day no-reason returns by law (fresh food, custom-made, ...).
    return_exempt: Mapped[bool] = mapped_column(default=False)
