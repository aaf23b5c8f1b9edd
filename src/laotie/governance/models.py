"""Governance tables: the versioned rulebook, reports, cases with their penalties and appeals, the
evidence attached to any of them, and one trail of every step (who, when, why).

Ids of other domains' rows (shops, products, users, orders) are plain columns, not foreign keys: the
governance record must outlive whatever it judged, and a case may name a subject that lives in a
domain above or beside this one (a review, a live comment).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime
from laotie.core.transitions import Transitions


class ReportStatus(enum.StrEnum):
    """A report waits for staff (open), who uphold it (a case follows) or reject it."""

    OPEN = "open"
    UPHELD = "upheld"
    REJECTED = "rejected"


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    VIOLATION = "violation"  # decided against the subject: penalties in force, appealable
    DISMISSED = "dismissed"  # decided: no violation
    REVERSED = "reversed"  # a violation undone by a successful appeal


class PenaltyStatus(enum.StrEnum):
    ACTIVE = "active"
    ENDED = "ended"  # its days ran out (or a closure took effect)
    REVERSED = "reversed"  # undone by a successful appeal; its points no longer count


class AppealStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # the appeal succeeds: the case is reversed
    REJECTED = "rejected"


# Decisions are final: only an open report, case or appeal is decided, and only a violation is reversed.
# (A penalty ends or is reversed by one conditional UPDATE in ``penalties``: from active only.)
REPORT_TRANSITIONS: Transitions[ReportStatus] = Transitions(
    {
        ReportStatus.OPEN: {ReportStatus.UPHELD, ReportStatus.REJECTED},
        ReportStatus.UPHELD: set(),
        ReportStatus.REJECTED: set(),
    }
)
CASE_TRANSITIONS: Transitions[CaseStatus] = Transitions(
    {
        CaseStatus.OPEN: {CaseStatus.VIOLATION, CaseStatus.DISMISSED},
        CaseStatus.VIOLATION: {CaseStatus.REVERSED},
        CaseStatus.DISMISSED: set(),
        CaseStatus.REVERSED: set(),
    }
)
APPEAL_TRANSITIONS: Transitions[AppealStatus] = Transitions(
    {
        AppealStatus.OPEN: {AppealStatus.UPHELD, AppealStatus.REJECTED},
        AppealStatus.UPHELD: set(),
        AppealStatus.REJECTED: set(),
    }
)


def _enum(kind: type[enum.Enum], name: str, length: int) -> Enum:
    """A status column: VARCHAR(length) holding the member's value, as the migration made it."""
    return Enum(
        kind, name=name, native_enum=False, length=length, values_callable=lambda k: [m.value for m in k]
    )


class Rule(Base):
    """A rule's identity; its words and penalties live in versions."""

    __tablename__ = "governance_rule"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    category: Mapped[str] = mapped_column(String(30), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RuleVersion(Base):
    """One wording of a rule, in force from ``effective_at`` until the next version's."""

    __tablename__ = "governance_rule_version"
    __table_args__ = (UniqueConstraint("rule_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("governance_rule.id"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))  # general | serious | critical
    violation_kinds: Mapped[list[str]] = mapped_column(JSON)
    # {"first": {"points": n, "actions": [{"kind": ..., "days": n}]}, "repeat": {...}}
    penalties: Mapped[dict[str, Any]] = mapped_column(JSON)
    evidence_required: Mapped[bool] = mapped_column(Boolean, default=False)
    report_kinds: Mapped[list[str]] = mapped_column(JSON)  # what a user may report under this rule
    detector_reasons: Mapped[list[str]] = mapped_column(JSON)  # moderation reasons it covers
    scores: Mapped[list[str]] = mapped_column(JSON)  # score names whose fall opens a case
    auto_decide: Mapped[bool] = mapped_column(Boolean, default=False)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    change_note: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Report(Base):
    """举报/投诉: a user flags something under a rule; staff uphold or reject it."""

    __tablename__ = "governance_report"
    __table_args__ = (Index("ix_governance_report_queue", "status", "severity_rank", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reporter_id: Mapped[int] = mapped_column(BigInteger, index=True)
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(BigInteger)
    shop_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    product_id: Mapped[int | None] = mapped_column(BigInteger)
    rule_code: Mapped[str] = mapped_column(String(40))
    rule_version_id: Mapped[int] = mapped_column(BigInteger)
    severity_rank: Mapped[int] = mapped_column(Integer)  # 3 critical, 2 serious, 1 general
    description: Mapped[str] = mapped_column(String(1000), default="")
    order_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus, "governance_report_status", 10))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    case_id: Mapped[int | None] = mapped_column(BigInteger)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(String(300), default="")
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Case(Base):
    """A suspected violation, decided against one version of one rule."""

    __tablename__ = "governance_case"
    __table_args__ = (
        Index("ix_governance_case_queue", "status", "created_at"),
        Index("ix_governance_case_subject", "subject_kind", "subject_id", "rule_code"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(12))  # report | detector | inspection | score | staff
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    shop_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    product_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    rule_code: Mapped[str] = mapped_column(String(40))
    rule_version_id: Mapped[int] = mapped_column(BigInteger)
    violation_kind: Mapped[str] = mapped_column(String(40))
    severity_rank: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(1000))
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus, "governance_case_status", 12))
    offence: Mapped[str | None] = mapped_column(String(8))  # first | repeat
    points: Mapped[int] = mapped_column(Integer, default=0)
    campaign_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    report_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(String(1000), default="")
    appeal_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Penalty(Base):
    """One measure of a decided case, with what it did, so that its end or an appeal undoes exactly it."""

    __tablename__ = "governance_penalty"
    __table_args__ = (Index("ix_governance_penalty_due", "status", "ends_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("governance_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    shop_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    points: Mapped[int] = mapped_column(Integer, default=0)
    points_year: Mapped[int | None] = mapped_column(Integer)
    days: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[PenaltyStatus] = mapped_column(_enum(PenaltyStatus, "governance_penalty_status", 10))
    # What was changed and must be given back: {"product_ids": [...], "froze": true, "from_status": ...}
    undo: Mapped[dict[str, Any]] = mapped_column(JSON)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str] = mapped_column(String(200), default="")


class Appeal(Base):
    """申诉: once per case, within the window, decided by someone other than the case's decider."""

    __tablename__ = "governance_appeal"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("governance_case.id"), unique=True)
    appellant_id: Mapped[int] = mapped_column(BigInteger)
    statement: Mapped[str] = mapped_column(String(2000))
    status: Mapped[AppealStatus] = mapped_column(_enum(AppealStatus, "governance_appeal_status", 10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(String(1000), default="")


class Evidence(Base):
    """A file, link, order or statement attached to a report, case or appeal."""

    __tablename__ = "governance_evidence"
    __table_args__ = (Index("ix_governance_evidence_owner", "owner_kind", "owner_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(10))  # report | case | appeal
    owner_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(
        String(12)
    )  # file | link | order | text | detector | inspection | score
    storage_key: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(500))
    order_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(1000), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The merchant sees a case's evidence except what would reveal a reporter (their files, order).
    shown_to_subject: Mapped[bool] = mapped_column(Boolean, default=True)
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrailObject(enum.StrEnum):
    """What a governance trail entry is about (``governance_trail.object_kind``)."""

    RULE = "rule"
    REPORT = "report"
    CASE = "case"
    APPEAL = "appeal"


class TrailAction(enum.StrEnum):
    """What a governance trail entry records (``governance_trail.action``); a report's or an appeal's
    decision is recorded as its new status (upheld, rejected)."""

    RULE_CREATED = "rule_created"
    RULE_VERSION_ADDED = "rule_version_added"
    SUBMITTED = "submitted"
    RATED = "rated"
    REPORT_JOINED = "report_joined"
    UPHELD = "upheld"
    REJECTED = "rejected"
    OPENED = "opened"
    RULE_CHANGED = "rule_changed"
    DISMISSED = "dismissed"
    VIOLATION_CONFIRMED = "violation_confirmed"
    PENALTY_APPLIED = "penalty_applied"
    PENALTY_SKIPPED = "penalty_skipped"
    PENALTY_ENDED = "penalty_ended"
    POINTS_ADDED = "points_added"
    POINTS_THRESHOLD = "points_threshold"
    POINTS_THRESHOLD_LIFTED = "points_threshold_lifted"
    CONTENT_REMOVED = "content_removed"
    CONTENT_ALREADY_GONE = "content_already_gone"
    SHOP_CLOSED = "shop_closed"
    APPEALED = "appealed"
    FILED = "filed"
    APPEAL_REJECTED = "appeal_rejected"
    REVERSED = "reversed"
    PENALTY_REVERSED = "penalty_reversed"


class TrailEntry(Base):
    """Every governance step on a rule, report, case or appeal: who, when, what and why (append-only)."""

    __tablename__ = "governance_trail"
    __table_args__ = (Index("ix_governance_trail_object", "object_kind", "object_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    object_kind: Mapped[str] = mapped_column(String(10))  # TrailObject
    object_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(30))  # TrailAction
    actor_id: Mapped[int | None] = mapped_column(BigInteger)  # None: the system (a rule, a job)
    reason: Mapped[str] = mapped_column(String(1000), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
