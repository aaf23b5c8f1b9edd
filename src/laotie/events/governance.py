"""What the governance domain emits: decisions on cases and reports, content to take down, and the
counterfeit procedure's progress. Times are ISO 8601 strings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from laotie.core.events import DomainEvent


@dataclass(frozen=True)
class _ViolationEvent(DomainEvent):
    case_id: int
    rule_code: str
    violation_kind: str
    subject_kind: str
    subject_id: int
    shop_id: int | None
    product_id: int | None
    user_id: int | None
    points: int


@dataclass(frozen=True)
class ViolationConfirmed(_ViolationEvent):
    topic: ClassVar[str] = "governance.violation_confirmed"
    decided_at: str


@dataclass(frozen=True)
class ViolationReversed(_ViolationEvent):
    """An appeal succeeded: the violation no longer counts."""

    topic: ClassVar[str] = "governance.violation_reversed"
    reversed_at: str


@dataclass(frozen=True)
class CaseDecided(DomainEvent):
    """``outcome`` "violation" or otherwise; ``decided_by`` is the staff member (the counterfeit
    procedure starts in their name)."""

    topic: ClassVar[str] = "governance.case_decided"
    case_id: int
    rule_code: str
    violation_kind: str
    outcome: str
    shop_id: int | None
    product_ids: list[int]
    campaign_id: int | None
    decided_at: str
    decided_by: int | None


@dataclass(frozen=True)
class ReportDecided(DomainEvent):
    topic: ClassVar[str] = "governance.report_decided"
    report_id: int
    target_kind: str
    target_id: int
    shop_id: int | None
    product_id: int | None
    reason_code: str
    upheld: bool
    decided_at: str


@dataclass(frozen=True)
class ContentRemoved(DomainEvent):
    """The domain owning the content (``kind``: review, video, product, ...) takes item ``id`` down."""

    topic: ClassVar[str] = "governance.content_removed"
    kind: str
    id: int
    case_id: int | None
    reason: str


@dataclass(frozen=True)
class CounterfeitRunStarted(DomainEvent):
    topic: ClassVar[str] = "governance.counterfeit_run_started"
    run_id: int
    case_id: int | None
    shop_id: int
    product_ids: list[int]


@dataclass(frozen=True)
class CounterfeitRefundFinished(DomainEvent):
    """A counterfeit run refunded every order it could (``orders``, ``skipped``, ``failed``: counts)."""

    topic: ClassVar[str] = "governance.counterfeit_refund_finished"
    run_id: int
    case_id: int | None
    shop_id: int
    orders: int
    skipped: int
    failed: int
    refunded_fen: int
    compensation_fen: int
    compensation_owed_fen: int
    finished_at: str
