from laotie.core.errors import ErrorKind
from laotie.core.idempotency import (
    IDEMPOTENCY_KEY_REQUIRED as IDEMPOTENCY_KEY_REQUIRED,  # shared code, re-exported
)
from laotie.core.idempotency import IDEMPOTENCY_KEY_REUSED as IDEMPOTENCY_KEY_REUSED
from laotie.payments import errors as payment_errors

ORDER_NOT_FOUND = ErrorKind("ORDER_NOT_FOUND", 404, "订单不存在", "Order not found")
OUT_OF_STOCK = ErrorKind(
    "OUT_OF_STOCK", 409, "库存不足：仅剩{available}件", "Not enough stock: {available} left"
)
PRICE_CHANGED = ErrorKind(
    "PRICE_CHANGED",
    409,
    "商品价格已变化，请确认新价格后再下单",
    "The price changed; confirm the new price and order again",
)
SKU_UNAVAILABLE = ErrorKind("SKU_UNAVAILABLE", 409, "商品已下架或不可购买", "This item is not for sale")
PURCHASE_LIMIT_EXCEEDED = ErrorKind(
    "PURCHASE_LIMIT_EXCEEDED", 409, "超过每人限购数量（限购{limit}件）", "Over the per-buyer limit of {limit}"
)
INVALID_QUANTITY = ErrorKind(
    "INVALID_QUANTITY", 422, "购买数量必须是1到{max}之间的整数", "Quantity must be 1 to {max}"
)
EMPTY_CHECKOUT = ErrorKind("EMPTY_CHECKOUT", 422, "请选择要购买的商品", "Choose something to buy")
TOO_MANY_LINES = ErrorKind(
    "TOO_MANY_LINES", 422, "一次最多结算{max}种商品", "At most {max} items per checkout"
)
ADDRESS_REQUIRED = ErrorKind("ADDRESS_REQUIRED", 422, "请先添加收货地址", "Add a delivery address first")
INVALID_ORDER_STATE = ErrorKind(
    "INVALID_ORDER_STATE", 409, "订单当前状态为{status}，不能{action}", "A {status} order cannot be {action}"
)
ORDER_CANCELLED = ErrorKind("ORDER_CANCELLED", 409, "订单已取消", "The order was cancelled")
# One code for "already paid", whichever layer notices (issue 9 item 5): payments' ALREADY_PAID.
ALREADY_PAID = payment_errors.ALREADY_PAID
PAY_LATER_NOT_ELIGIBLE = ErrorKind(
    "PAY_LATER_NOT_ELIGIBLE", 409, "暂不满足先用后付条件：{reason}", "Not eligible to pay after use: {reason}"
)
CART_ITEM_NOT_FOUND = ErrorKind(
    "CART_ITEM_NOT_FOUND", 404, "购物车中没有该商品", "That item is not in your cart"
)
REFUND_EXCEEDS_PAYABLE = ErrorKind(
    "REFUND_EXCEEDS_PAYABLE",
    409,
    "退款金额超过订单可退金额（最多可退{refundable_fen}分）",
    "The refund is more than is left to refund on this order ({refundable_fen} fen)",
)
LINE_REFUND_CONFLICT = ErrorKind(
    "LINE_REFUND_CONFLICT",
    409,
    "商品行「{line_id}」的可退金额或件数已变化，请刷新后重试",
    "What is left to refund on line {line_id} changed; reload and try again",
)
PAYMENT_PENDING = ErrorKind(
    "PAYMENT_PENDING",
    409,
    "支付结果确认中，请稍后再取消",
    "The payment is still being confirmed; try cancelling again shortly",
)
ORDERS_CHANGED = ErrorKind(
    "ORDERS_CHANGED", 409, "订单状态已变化，请逐笔处理", "Orders changed meanwhile; handle them one by one"
)
