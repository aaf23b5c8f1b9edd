from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class AccountKind(enum.StrEnum):
    """The chart of accounts. Debit-normal kinds hold what the platform has or has spent; the others
    (credit-normal) what it owes or has earned."""

    PSP_CASH = "psp_cash"  # money held at the payment provider
    PLATFORM_CLEARING = "platform_clearing"  # paid by buyers, not yet earned by anyone
    SHOP_PENDING = "shop_pending"  # a shop's earnings inside the return window
    SHOP_AVAILABLE = "shop_available"  # a shop's money it may withdraw
    PAYOUTS_SENT = "payouts_sent"  # paid out to merchants' bank accounts
    PLATFORM_FEE_REVENUE = "platform_fee_revenue"  # 技术服务费
    GROWTH_FUND = "growth_fund"  # 商户成长奖励金: part of fees owed back to merchants
    SUBSIDY_EXPENSE = "subsidy_expense"  # platform-funded discounts and shipping legs
    COMMISSION_PAYABLE = "commission_payable"  # a creator's earned commission
    COMMISSION_AVAILABLE = "commission_available"  # a creator's commission past the return window
    PAY_LATER_RECEIVABLE = "pay_later_receivable"  # 先用后付: owed by buyers
    BAD_DEBT_EXPENSE = "bad_debt_expense"  # pay-later debts written off
    REFUNDS_SENT = "refunds_sent"  # money returned to buyers
    LOGISTICS_PAYABLE = "logistics_payable"  # owed to carriers for legs the platform pays (西北集运)
    BUYER_CREDIT = "buyer_credit"  # owed to a buyer outside a payment refund (return-shipping compensation)


class TransactionKind(enum.StrEnum):
    """What a ledger transaction records (``ledger_transaction.kind``)."""

    PAYMENT_CAPTURE = "payment_capture"  # buyer paid: PSP cash into clearing
    PAYMENT_REFUND = "payment_refund"
    ORDER_COMPLETED = "order_completed"  # clearing to the shop's pending money, fee, commission
    ORDER_SETTLED = "order_settled"  # the return window closed: pending becomes available
    REFUND_REVERSAL = "refund_reversal"  # a refund takes back what completion booked
    PAY_LATER_CREDIT = "pay_later_credit"  # 先用后付: the buyer owes what the order costs
    PAY_LATER_CANCEL = "pay_later_cancel"
    RETURN_SHIPPING_COMP = "return_shipping_comp"
    COUNTERFEIT_COMPENSATION = "counterfeit_compensation"  # 假一赔三
    BUYER_CREDIT_PAYOUT = "buyer_credit_payout"
    BUYER_CREDIT_PAYOUT_REVERSAL = "buyer_credit_payout_reversal"
    CONSOLIDATION_LEG = "consolidation_leg"  # 西北集运: the platform pays the hub leg
    WITHDRAWAL = "withdrawal"
    WITHDRAWAL_REVERSAL = "withdrawal_reversal"


DEBIT_NORMAL = {
    AccountKind.PSP_CASH,
    AccountKind.PAYOUTS_SENT,
    AccountKind.SUBSIDY_EXPENSE,
    AccountKind.PAY_LATER_RECEIVABLE,
    AccountKind.BAD_DEBT_EXPENSE,
    AccountKind.REFUNDS_SENT,
}
PER_OWNER = {
    AccountKind.SHOP_PENDING,
    AccountKind.SHOP_AVAILABLE,
    AccountKind.COMMISSION_PAYABLE,
    AccountKind.BUYER_CREDIT,
    AccountKind.COMMISSION_AVAILABLE,
}


@dataclass(frozen=True)
class Posting:
    """One leg: ``amount_fen`` debits (positive) or credits (negative) the account."""

    kind: AccountKind
    amount_fen: int
    owner_id: int | None = None

    @property
    def code(self) -> str:
        return f"{self.kind.value}:{self.owner_id}" if self.owner_id is not None else self.kind.value


@dataclass(frozen=True)
class TransactionOut:
    id: int
    kind: str
    reference_type: str
    reference_id: str
    created_at: datetime
    postings: tuple[Posting, ...]
    replayed: bool = False


@dataclass(frozen=True)
class EntryOut:
    """One line of an account's statement. ``amount_fen`` is in the account's normal direction:
    money a shop is owed shows positive when it comes in, negative when it goes out."""

    id: int
    transaction_id: int
    account: AccountKind
    owner_id: int | None
    amount_fen: int
    kind: str  # the transaction's kind, e.g. "withdrawal"
    reference_type: str
    reference_id: str
    memo: str
    created_at: datetime


@dataclass
class LedgerCheck:
    total_fen: int = 0
    transactions: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems
