from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from laotie.core.numbers import StrictInt
from laotie.core.pagination import Page
from laotie.ledger.schemas import AccountKind
from laotie.settlement.models import WithdrawalStatus

__all__ = [
    "BalanceOut",
    "CreatorBalanceOut",
    "PayoutAccountIn",
    "PayoutAccountOut",
    "SettlementEventOut",
    "StatementLineOut",
    "WithdrawalDetail",
    "WithdrawalIn",
    "WithdrawalOut",
    "WithdrawalStatus",
]

MAX_WITHDRAWAL_FEN = 10_000_000_000  # what the payout provider accepts in one transfer
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# Separators people type when copying a card number (6222 0202 0011 2233 445); they are not stored.
NUMBER_SEPARATORS = re.compile(r"[\s-]")


def _printable(value: str) -> str:
    if CONTROL_CHARACTERS.search(value):
        raise ValueError("control characters are not allowed")
    return value


def _account_number(value: str) -> str:
    digits = NUMBER_SEPARATORS.sub("", value)
    if not re.fullmatch(r"[0-9]{8,30}", digits):
        raise ValueError("a bank account number is 8 to 30 digits")
    return digits


Text = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_printable)]
AccountNumber = Annotated[str, Field(max_length=60), AfterValidator(_account_number)]


class PayoutAccountIn(BaseModel):
    holder_name: Text = Field(min_length=2, max_length=100, examples=["东北山货源头店"])
    bank_name: Text = Field(min_length=2, max_length=60, examples=["中国工商银行"])
    account_number: AccountNumber = Field(examples=["6222020200112233445"])


class PayoutAccountOut(BaseModel):
    shop_id: int | None = Field(description="the shop's account; null for a creator's")
    creator_id: int | None = Field(
        default=None, description="the creator's (达人) account; null for a shop's"
    )
    holder_name: str
    bank_name: str
    account_masked: str = Field(description="only the last 4 digits show, e.g. **** **** **** 3445")
    updated_by: int
    updated_at: datetime


class WithdrawalIn(BaseModel):
    amount_fen: StrictInt = Field(gt=0, le=MAX_WITHDRAWAL_FEN, description="fen (分), at least the minimum")


class WithdrawalOut(BaseModel):
    id: int
    shop_id: int | None = Field(description="the withdrawing shop; null for a creator's withdrawal")
    creator_id: int | None = Field(
        default=None, description="the withdrawing creator (达人); null for a shop's"
    )
    requested_by: int
    amount_fen: int
    status: WithdrawalStatus
    holder_name: str
    bank_name: str
    account_masked: str
    provider_payout_ref: str | None
    failure_reason: str
    created_at: datetime
    sent_at: datetime | None
    paid_at: datetime | None
    failed_at: datetime | None
    # True when a retried request found the withdrawal its idempotency key already made.
    replayed: bool = False


class SettlementEventOut(BaseModel):
    id: int
    withdrawal_id: int | None
    actor_id: int | None
    kind: str
    from_status: str | None
    to_status: str | None
    reason: str
    data: dict[str, Any]
    at: datetime


class WithdrawalDetail(WithdrawalOut):
    events: list[SettlementEventOut]


class StatementLineOut(BaseModel):
    """One movement of the shop's money, in the shop's favour: positive in, negative out."""

    entry_id: int
    account: AccountKind = Field(description="shop_pending (in the return window) or shop_available")
    amount_fen: int
    kind: str = Field(description="what moved it: order_settlement, withdrawal, withdrawal_reversal …")
    reference_type: str
    reference_id: str
    memo: str
    at: datetime


class CreatorBalanceOut(BaseModel):
    """A creator's commission as money: settled commission may be withdrawn like a shop's sales."""

    creator_id: int
    available_fen: int = Field(description="settled commission that may be withdrawn")
    in_flight_fen: int = Field(description="withdrawals on their way to the bank")
    withdrawn_fen: int = Field(description="paid out to the bank so far")
    min_withdrawal_fen: int


class BalanceOut(BaseModel):
    shop_id: int
    pending_fen: int = Field(description="earned, still inside the return window")
    available_fen: int = Field(description="may be withdrawn")
    in_flight_fen: int = Field(description="withdrawals on their way to the bank")
    withdrawn_fen: int = Field(description="paid out to the bank so far")
    withdrawals_frozen: bool
    min_withdrawal_fen: int
    statement: Page[StatementLineOut]
