from laotie.core.errors import ErrorKind
from laotie.ledger.errors import KEY_REUSED

# One code for every replayed idempotency key with a different body, whichever domain sees it.
IDEMPOTENCY_KEY_REUSED = KEY_REUSED

PAYMENT_NOT_FOUND = ErrorKind("PAYMENT_NOT_FOUND", 404, "支付单不存在", "Payment not found")
ALREADY_PAID = ErrorKind("ALREADY_PAID", 409, "该笔款项已支付，请勿重复付款", "This has already been paid")
INTENT_EXPIRED = ErrorKind(
    "INTENT_EXPIRED", 409, "支付已超时，请重新发起支付", "This payment has expired; start a new one"
)
INTENT_CANCELED = ErrorKind("INTENT_CANCELED", 409, "该支付已取消", "This payment was canceled")
INTENT_FAILED = ErrorKind(
    "INTENT_FAILED", 409, "该笔支付已失败，请重新发起支付", "This payment failed; start a new one"
)
PAYMENT_IN_PROGRESS = ErrorKind(
    "PAYMENT_IN_PROGRESS",
    409,
    "已有一笔支付正在进行中，请稍候",
    "A payment for this is already in progress",
)
INVALID_SIGNATURE = ErrorKind("INVALID_SIGNATURE", 400, "签名校验失败", "The signature is not valid")
WEBHOOK_TOO_LARGE = ErrorKind("WEBHOOK_TOO_LARGE", 413, "通知内容过大", "The notification is too large")
INVALID_AMOUNT = ErrorKind(
    "INVALID_AMOUNT",
    422,
    "金额必须是大于 0 的整数（单位：分）",
    "The amount must be a positive whole number of fen",
)
INVALID_PAYMENT_METHOD = ErrorKind(
    "INVALID_PAYMENT_METHOD", 422, "不支持的支付方式", "That payment method is not accepted"
)
NOT_CAPTURED = ErrorKind(
    "PAYMENT_NOT_CAPTURED", 409, "该笔支付尚未到账，无法退款", "Nothing has been captured to refund"
)
REFUND_EXCEEDS_PAID = ErrorKind(
    "REFUND_EXCEEDS_PAID",
    409,
    "退款金额超过可退金额（可退 {refundable_fen} 分）",
    "The refund is more than what can be refunded ({refundable_fen} fen)",
)
REFUND_DECLINED = ErrorKind(
    "REFUND_DECLINED",
    502,
    "支付机构拒绝了退款：{reason}",
    "The payment provider refused the refund: {reason}",
)
NO_PAYMENT_AGREEMENT = ErrorKind(
    "NO_PAYMENT_AGREEMENT",
    409,
    "尚未开通先用后付免密支付",
    "The buyer has not signed a pay-after-use payment agreement",
)
PROVIDER_UNAVAILABLE = ErrorKind(
    "PAYMENT_PROVIDER_UNAVAILABLE",
    503,
    "支付通道暂时不可用，请稍后再试",
    "The payment provider is unavailable",
)
# A read with nothing to return is 404 (issue 9 item 16); NO_PAYMENT_AGREEMENT (409) is for a charge.
AGREEMENT_NOT_FOUND = ErrorKind(
    "PAYMENT_AGREEMENT_NOT_FOUND",
    404,
    "尚未开通先用后付免密支付",
    "No pay-after-use payment agreement signed",
)
