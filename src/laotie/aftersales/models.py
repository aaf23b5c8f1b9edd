"""After-sales cases (售后单), their append-only trail, evidence, and the refunds they paid."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime


class CaseKind(enum.StrEnum):
    RETURN = "return"  # 退货退款 (7-day no-reason or for a fault)
    REFUND_ONLY = "refund_only"  # 仅退款
    PRICE_PROTECTION = "price_protection"  # 七天保价


class CaseReason(enum.StrEnum):
    NO_REASON = "no_reason"  # 七天无理由: the buyer pays return shipping
    QUALITY = "quality"  # 质量问题: the merchant pays return shipping
    WRONG_ITEM = "wrong_item"  # 发错货
    DAMAGED = "damaged"  # 破损
    NOT_RECEIVED = "not_received"  # 未收到货
    CHANGED_MIND = "changed_mind"  # 不想要了 (before shipment)
    PRICE_DROP = "price_drop"  # 降价
    COUNTERFEIT = "counterfeit"  # 售假: the platform refunds on its own (governance counterfeit procedure)


class CaseStatus(enum.StrEnum):
    REQUESTED = "requested"  # 待商家处理
    APPROVED = "approved"  # 待买家退货
    RETURNING = "returning"  # 买家已寄回
    RECEIVED = "received"  # 商家已收货，待退款
    REFUNDED = "refunded"  # 退款成功
    REJECTED = "rejected"  # 商家已拒绝
    IN_REVIEW = "in_review"  # 平台审核中
    DISPUTED = "disputed"  # 平台介入
    CLOSED = "closed"  # 已关闭
    CANCELLED = "cancelled"  # 买家已撤销


class CaseEventKind(enum.StrEnum):
    """What a case's trail records (``aftersales_case_event.kind``)."""

    OPENED = "opened"
    TO_REVIEW = "to_review"  # refund-only rate too high: staff look first
    INSTANT = "instant"  # 极速退款
    APPROVED = "approved"
    AUTO_APPROVED = "auto_approved"
    REJECTED = "rejected"
    SHIPPED_BACK = "shipped_back"
    RECEIVED = "received"
    RESTOCKED = "restocked"
    NOT_RESTOCKED = "not_restocked"
    REFUNDED = "refunded"
    AUTO_REFUNDED = "auto_refunded"
    CANCELLED = "cancelled"
    ESCALATED = "escalated"
    EVIDENCE = "evidence"
    DECIDED = "decided"
    DECISION_REFUND = "decision_refund"
    DECISION_RETURN = "decision_return"
    DECISION_REJECT = "decision_reject"
    PLATFORM_REFUND = "platform_refund"
    CREDIT_SENT = "credit_sent"
    CREDIT_PAID = "credit_paid"
    CREDIT_FAILED = "credit_failed"


class Party(enum.StrEnum):
    BUYER = "buyer"
    MERCHANT = "merchant"
    STAFF = "staff"
    SYSTEM = "system"


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    return Enum(kind, name=name, native_enum=False, length=20, values_callable=lambda k: [m.value for m in k])


class Case(Base):
    __tablename__ = "aftersales_case"
    __table_args__ = (
        UniqueConstraint("buyer_id", "idempotency_key"),
        Index("ix_aftersales_case_shop_id_status", "shop_id", "status"),
        Index("ix_aftersales_case_status_deadline_at", "status", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders_order.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops_shop.id"))
    kind: Mapped[CaseKind] = mapped_column(_enum(CaseKind, "aftersales_kind"))
    reason: Mapped[CaseReason] = mapped_column(_enum(CaseReason, "aftersales_reason"))
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus, "aftersales_status"))
    description: Mapped[str] = mapped_column(Text, default="")
    # [{"line_id", "sku_id", "title", "quantity", "amount_fen"}]: what the case covers, priced when opened.
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # what the case would refund
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # what it did refund
    shipping_comp_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # return shipping paid back
    return_carrier: Mapped[str] = mapped_column(String(40), default="")
    return_tracking_no: Mapped[str] = mapped_column(String(60), default="")
    return_shipping_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # what the buyer paid to send
    # When the current step times out (merchant silence, refund after receipt).
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_by: Mapped[str] = mapped_column(String(20), default="")
    decision: Mapped[str] = mapped_column(String(20), default="")
    fault_party: Mapped[str] = mapped_column(String(20), default="")
    idempotency_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseEvent(Base):
    """Append-only: who did what to a case, and when. Disputes are judged on it."""

    __tablename__ = "aftersales_case_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("aftersales_case.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    party: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Evidence(Base):
    """A photo a party uploaded: before opening a case (then attached to it) or into an open case."""

    __tablename__ = "aftersales_evidence"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("aftersales_case.id"), index=True)
    party: Mapped[str] = mapped_column(String(20))
    uploaded_by: Mapped[int] = mapped_column(BigInteger, index=True)  # the hourly upload limit counts by it
    storage_key: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseRefund(Base):
    """One payment of a case back to the buyer; the unique key makes a retried step pay once."""

    __tablename__ = "aftersales_refund"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("aftersales_case.id"), index=True)
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    shipping_comp_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # How the money went: "psp" (payment refund), "pay_later_cancel" (not charged), "none" (unshipped
    # pay-after-use: nothing was owed), each after reversing the order's completion if it had one.
    route: Mapped[str] = mapped_column(String(20))
    payment_refund_id: Mapped[int | None] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CreditPayoutStatus(enum.StrEnum):
    REQUESTED = "requested"  # booked out of BUYER_CREDIT; the transfer is not sent yet
    PROCESSING = "processing"  # the provider accepted it; its answer comes by webhook
    PAID = "paid"
    FAILED = "failed"  # the provider refused: the amount is owed to the buyer again


class CreditPayout(Base):
    """Return-shipping compensation (BUYER_CREDIT) paid out to the buyer: one per case, so a refund
    retried, or the job run twice at once, pays it once."""

    __tablename__ = "aftersales_credit_payout"
    __table_args__ = (Index("ix_aftersales_credit_payout_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("aftersales_case.id"), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[CreditPayoutStatus] = mapped_column(
        _enum(CreditPayoutStatus, "aftersales_credit_payout_status")
    )
    provider_payout_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    failure_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
