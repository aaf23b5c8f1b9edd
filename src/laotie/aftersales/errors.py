from laotie.core.errors import ErrorKind
from laotie.core.idempotency import (
    IDEMPOTENCY_KEY_REQUIRED as IDEMPOTENCY_KEY_REQUIRED,  # shared code, re-exported
)

CASE_NOT_FOUND = ErrorKind("AFTERSALES_CASE_NOT_FOUND", 404, "售后单不存在", "After-sales case not found")
INVALID_CASE_STATE = ErrorKind(
    "AFTERSALES_INVALID_STATE",
    409,
    "售后单当前状态为{status}，不能{action}",
    "A {status} after-sales case cannot be {action}",
)
CASE_ALREADY_OPEN = ErrorKind(
    "AFTERSALES_ALREADY_OPEN",
    409,
    "该订单已有进行中的售后单，请先处理完毕",
    "This order already has an open after-sales case",
)
ORDER_NOT_ELIGIBLE = ErrorKind(
    "AFTERSALES_ORDER_NOT_ELIGIBLE", 409, "该订单当前不能申请售后：{reason}", "This order cannot: {reason}"
)
RETURN_WINDOW_CLOSED = ErrorKind(
    "RETURN_WINDOW_CLOSED",
    409,
    "已超过签收后{days}天的七天无理由退货期限",
    "The {days}-day no-reason return window from delivery has closed",
)
RETURN_EXEMPT = ErrorKind(
    "RETURN_EXEMPT",
    409,
    "「{title}」属于不支持七天无理由退货的商品（下单时已确认），可选择质量问题退货",
    "{title} is excluded from no-reason returns (confirmed at purchase); a quality return is possible",
)
EVIDENCE_REQUIRED = ErrorKind(
    "AFTERSALES_EVIDENCE_REQUIRED",
    422,
    "发货后申请仅退款需上传商品问题照片",
    "A refund-only claim after shipment needs photos of the problem",
)
INVALID_LINES = ErrorKind(
    "AFTERSALES_INVALID_LINES", 422, "售后商品或数量不正确：{reason}", "Wrong items or quantities: {reason}"
)
AMOUNT_TOO_HIGH = ErrorKind(
    "AFTERSALES_AMOUNT_TOO_HIGH",
    409,
    "申请金额超过可退金额（最多{max_fen}分）",
    "The amount is more than can be refunded ({max_fen} fen at most)",
)
NO_PRICE_DROP = ErrorKind(
    "PRICE_PROTECTION_NO_DROP",
    409,
    "该商品在购买后{days}天内没有降价，或差价已补偿",
    "No price drop within {days} days of purchase, or the difference was already paid",
)
PRICE_PROTECTION_EXPIRED = ErrorKind(
    "PRICE_PROTECTION_EXPIRED",
    409,
    "已超过购买后{days}天的保价期",
    "Price protection ends {days} days after purchase",
)
NOT_A_PARTY = ErrorKind("AFTERSALES_NOT_A_PARTY", 404, "售后单不存在", "After-sales case not found")
REFUND_PENDING_CHARGE = ErrorKind(
    "AFTERSALES_CHARGE_IN_PROGRESS",
    409,
    "先用后付扣款处理中，请稍后再试",
    "A pay-after-use charge is in progress; try again shortly",
)
INVALID_DECISION = ErrorKind(
    "AFTERSALES_INVALID_DECISION", 422, "判责结果不正确：{reason}", "The decision is not valid: {reason}"
)
TOO_MUCH_EVIDENCE = ErrorKind(
    "AFTERSALES_TOO_MUCH_EVIDENCE",
    409,
    "每方最多上传{max}张凭证",
    "At most {max} pieces of evidence per party",
)
WHOLE_ORDER_BEFORE_SHIPMENT = ErrorKind(
    "AFTERSALES_WHOLE_ORDER_BEFORE_SHIPMENT",
    422,
    "发货前仅退款退还整笔订单（{refundable_fen}分）：请不填金额和商品，或取消订单",
    "Before shipment a refund-only request refunds the whole order ({refundable_fen} fen): "
    "leave the amount and lines out",
)
