"""Tables of the integrity side of governance: counterfeit refund runs, brand authorisations and the
checks of branded listings, mystery-buyer inspections, crackdown campaigns, and one audit trail.

Case ids point at ``governance_case`` (branch gov) by value, without a foreign key, so this part
migrates and runs in the order the branches merge.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime


class CounterfeitRunStatus(enum.StrEnum):
    """A counterfeit run: finding its orders, then refunding them; back to running on a retry."""

    COLLECTING = "collecting"
    RUNNING = "running"
    DONE = "done"


class CounterfeitItemStatus(enum.StrEnum):
    """One order of a counterfeit run; a failed one goes back to pending on a retry."""

    PENDING = "pending"
    REFUNDED = "refunded"
    SKIPPED = "skipped"  # nothing left to refund
    FAILED = "failed"


class BrandAuthorisationStatus(enum.StrEnum):
    """A brand authorisation, as staff judged its papers."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class BrandCheckStatus(enum.StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


class InspectionStatus(enum.StrEnum):
    """A sampled product: ordered, then what the lab found."""

    ORDERED = "ordered"
    PASSED = "passed"
    FAILED = "failed"


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    """A status column: VARCHAR(20) holding the member's value, as the migration made it."""
    return Enum(kind, name=name, native_enum=False, length=20, values_callable=lambda k: [m.value for m in k])


class CounterfeitRun(Base):
    """One counterfeit procedure's bulk refund: the orders it found, and how far it has gone.

    ``subject_key`` (``case:<id>`` or ``shop:<id>:<product ids>``) is unique: a second start for the
    same case is refused, however many staff or processes try at once."""

    __tablename__ = "governance_counterfeit_run"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_key: Mapped[str] = mapped_column(String(200), unique=True)
    case_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    campaign_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops_shop.id"), index=True)
    product_ids: Mapped[list[int]] = mapped_column(JSON)
    status: Mapped[CounterfeitRunStatus] = mapped_column(
        _enum(CounterfeitRunStatus, "governance_counterfeit_run_status")
    )
    compensation_multiple: Mapped[int] = mapped_column(Integer)  # 3: 假一赔三; 0: refund only
    window_days: Mapped[int] = mapped_column(Integer)  # completed orders this recent are refunded too
    reason: Mapped[str] = mapped_column(Text)
    started_by: Mapped[int | None] = mapped_column(BigInteger)
    collected_through: Mapped[int] = mapped_column(BigInteger, default=0)  # the last order id collected
    total_orders: Mapped[int] = mapped_column(Integer, default=0)
    refunded_orders: Mapped[int] = mapped_column(Integer, default=0)
    skipped_orders: Mapped[int] = mapped_column(Integer, default=0)  # nothing left to refund
    failed_orders: Mapped[int] = mapped_column(Integer, default=0)  # retried by ``retry_failed``
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    compensation_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # Of the compensation: what the shop's available balance covered, and what it now owes.
    compensation_funded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    compensation_owed_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CounterfeitItem(Base):
    """One order of a run. Its status moves in the same transaction as the order's refund, and the
    refund's own key is ``counterfeit:<run>:<order>``: a batch killed half-way leaves nothing, and
    the restart refunds each order once."""

    __tablename__ = "governance_counterfeit_item"
    __table_args__ = (
        UniqueConstraint("run_id", "order_id"),
        Index("ix_governance_counterfeit_item_run_id_status_id", "run_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("governance_counterfeit_run.id"))
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    buyer_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[CounterfeitItemStatus] = mapped_column(
        _enum(CounterfeitItemStatus, "governance_counterfeit_item_status")
    )
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    compensation_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    aftersales_case_id: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(String(200), default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BrandAuthorisation(Base):
    """品牌授权: the shop's right to sell a brand, as the papers say, checked by staff."""

    __tablename__ = "governance_brand_authorisation"
    __table_args__ = (Index("ix_governance_brand_authorisation_shop_id_brand", "shop_id", "brand"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops_shop.id"))
    brand: Mapped[str] = mapped_column(String(60))
    # From the brand owner down to the shop: ["耐克（中国）", "华东一级代理", "本店"]
    grantor_chain: Mapped[list[str]] = mapped_column(JSON)
    scope_category_ids: Mapped[list[int]] = mapped_column(JSON)  # empty: every category
    scope_note: Mapped[str] = mapped_column(String(200), default="")
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    # The papers: a shop document of kind brand_authorization for this brand, uploaded through the
    # shops' document upload (type sniffed from the bytes, size limit, expiry), so checked once.
    document_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[BrandAuthorisationStatus] = mapped_column(
        _enum(BrandAuthorisationStatus, "governance_brand_authorisation_status")
    )
    submitted_by: Mapped[int] = mapped_column(BigInteger)
    reviewed_by: Mapped[int | None] = mapped_column(BigInteger)
    review_reason: Mapped[str] = mapped_column(String(200), default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BrandCheck(Base):
    """A branded product sent to review: staff check it against the shop's authorisations."""

    __tablename__ = "governance_brand_check"
    __table_args__ = (Index("ix_governance_brand_check_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    shop_id: Mapped[int] = mapped_column(BigInteger, index=True)
    brand: Mapped[str] = mapped_column(String(60))
    # The event that asked for it: one check per submission, whatever the outbox redelivers.
    source_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    authorisation_id: Mapped[int | None] = mapped_column(BigInteger)  # the valid one found, if any
    status: Mapped[BrandCheckStatus] = mapped_column(_enum(BrandCheckStatus, "governance_brand_check_status"))
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InspectionPlan(Base):
    """神秘买家 plan: which shops or categories to sample, how many products, by which inspector."""

    __tablename__ = "governance_inspection_plan"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    target_kind: Mapped[str] = mapped_column(String(20))  # shop, category
    target_ids: Mapped[list[int]] = mapped_column(JSON)
    sample_size: Mapped[int] = mapped_column(Integer)
    inspector_id: Mapped[int] = mapped_column(BigInteger)  # the platform's buyer account
    address_id: Mapped[int] = mapped_column(BigInteger)  # where the samples are sent (the lab)
    campaign_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Inspection(Base):
    """One sampled product, bought as an ordinary buyer would, and what the lab found."""

    __tablename__ = "governance_inspection"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("governance_inspection_plan.id"), index=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, index=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    category_id: Mapped[int] = mapped_column(BigInteger, index=True)
    order_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    status: Mapped[InspectionStatus] = mapped_column(_enum(InspectionStatus, "governance_inspection_status"))
    lab_name: Mapped[str] = mapped_column(String(60), default="")
    lab_report: Mapped[str] = mapped_column(Text, default="")
    result_by: Mapped[int | None] = mapped_column(BigInteger)
    case_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Campaign(Base):
    """雷霆计划 and the like: a named, time-boxed drive against a violation kind in categories."""

    __tablename__ = "governance_campaign"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    category_ids: Mapped[list[int]] = mapped_column(JSON)
    violation_kinds: Mapped[list[str]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The affected categories' figures when the drive began: {"<category id>": {"dsr":…, "quality_return_rate":…}}
    baseline: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IntegrityEvent(Base):
    """Append-only audit of every staff action here: who, what, when and why."""

    __tablename__ = "governance_integrity_event"
    __table_args__ = (Index("ix_governance_integrity_event_subject", "subject_kind", "subject_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
