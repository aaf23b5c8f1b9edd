from laotie.core.errors import ErrorKind
from laotie.core.idempotency import (
    IDEMPOTENCY_KEY_REQUIRED as IDEMPOTENCY_KEY_REQUIRED,  # shared code, re-exported
)
from laotie.core.idempotency import IDEMPOTENCY_KEY_REUSED
from laotie.payments.errors import INVALID_AMOUNT

# One code for one meaning across domains: these are the same errors wherever they are raised.
__all__ = ["IDEMPOTENCY_KEY_REUSED", "INVALID_AMOUNT"]

WITHDRAWALS_FROZEN = ErrorKind(
    "WITHDRAWALS_FROZEN",
    403,
    "店铺提现已被冻结，请联系平台处理",
    "Withdrawals from this shop are frozen; contact the platform",
)
PAYOUT_ACCOUNT_REQUIRED = ErrorKind(
    "PAYOUT_ACCOUNT_REQUIRED", 409, "请先设置提现银行账户", "Set up a bank account for withdrawals first"
)
INSUFFICIENT_BALANCE = ErrorKind(
    "INSUFFICIENT_BALANCE",
    409,
    "可提现余额不足（可提现 {available_fen} 分）",
    "Not enough available money ({available_fen} fen may be withdrawn)",
)
BELOW_MINIMUM_WITHDRAWAL = ErrorKind(
    "BELOW_MINIMUM_WITHDRAWAL",
    422,
    "单笔提现金额不能低于 {min_fen} 分",
    "A withdrawal must be at least {min_fen} fen",
)
WITHDRAWAL_NOT_FOUND = ErrorKind("WITHDRAWAL_NOT_FOUND", 404, "提现记录不存在", "Withdrawal not found")
