"""Chinese names for states and kinds shown in the consoles."""

from __future__ import annotations

from laotie.categories.schemas import CategoryNode
from laotie.logistics.service import carrier_list

STATUS_LABELS = {
    # products
    "draft": "草稿",
    "in_review": "审核中",
    "listed": "在售",
    "rejected": "已驳回",
    "delisted": "已下架",
    "banned": "已封禁",
    # shops
    "applying": "申请中",
    "open": "营业中",
    "restricted": "限制经营",
    "frozen": "已冻结",
    "closed": "已关闭",
    # reviews
    "pending": "待审核",
    "approved": "已通过",
    # orders, as the merchant reads them (the buyer's words are BUYER_ORDER_STATUS)
    "pending_payment": "待付款",
    "paid": "待发货",
    "shipped": "已发货",
    "delivered": "已签收",
    "completed": "已完成",
    "cancelled": "已取消",
    # pay modes
    "pay_now": "在线支付",
    "pay_later": "先用后付",
}
ENTITY_TYPES = {"company": "企业", "individual_business": "个体工商户", "person": "个人"}
DOCUMENT_LABELS = {
    "business_license": "营业执照",
    "brand_authorization": "品牌授权书",
    "food_license": "食品经营许可证",
    "cosmetics_filing": "化妆品备案凭证",
    "ccc_certificate": "3C认证证书",
    "publication_license": "出版物经营许可证",
}
# An order's state in the words a buyer knows from Taobao and Kuaishou.
BUYER_ORDER_STATUS = {
    "pending_payment": "待付款",
    "paid": "待发货",
    "shipped": "待收货",
    "delivered": "已签收",
    "completed": "交易成功",
    "cancelled": "已取消",
    "closed": "交易关闭",
}
# 我的订单's tabs: (status, name); a completed order waits for its review (待评价).
BUYER_ORDER_TABS = (
    ("", "全部"),
    ("pending_payment", "待付款"),
    ("paid", "待发货"),
    ("shipped", "待收货"),
    ("delivered", "已签收"),
    ("completed", "待评价"),
    ("cancelled", "已取消"),
)
# Why a payment did not go through, from the provider's reason code or the intent's end state.
PAYMENT_FAILURES = {
    "card_declined": "余额不足或被银行拒绝",
    "insufficient_funds": "余额不足",
    "expired": "超时未支付",
    "canceled": "已取消",
}
PRODUCT_TABS = ("", "listed", "in_review", "draft", "rejected", "delisted", "banned")
ORDER_TABS = ("", "pending_payment", "paid", "shipped", "delivered", "completed", "cancelled")
ORDER_EVENTS = {
    "placed": "下单",
    "paid": "支付成功",
    "shipped": "商家发货",
    "delivered": "快递送达",
    "receipt_confirmed": "确认收货",
    "auto_confirmed": "自动确认收货",
    "cancelled": "订单取消",
    "aftersales_return": "申请退货退款",
    "aftersales_refund_only": "申请仅退款",
    "aftersales_price_protection": "申请七天保价",
    "aftersales_refund": "售后退款",
    "aftersales_disputed": "申请平台介入",
    "aftersales_decided": "平台判责",
    "closed_refunded": "全额退款，交易关闭",
}
# What happened to a product or a shop (their event trails), in Chinese; see event_label.
TRAIL_EVENTS = {
    "created": "创建",
    "fields": "修改信息",
    "image_added": "上传图片",
    "image_removed": "删除图片",
    "submitted": "提交审核",
    "resubmitted": "重新提交审核",
    "approved": "审核通过",
    "rejected": "审核驳回",
    "delisted": "下架",
    "relisted": "重新上架",
    "banned": "封禁",
    "closed": "关闭",
    "applied": "申请开店",
    "document_uploaded": "上传资质",
    "member_added": "添加店员",
    "member_removed": "移除店员",
    "frozen": "冻结",
    "unfrozen": "解冻",
    "restricted": "限制经营",
}
CARRIERS = tuple(c.name for c in carrier_list())  # what logistics accepts
CARRIER_EXAMPLES = {c.name: c.example for c in carrier_list()}  # a number in each carrier's format
# The merchant's order tabs: (key, name, the states it holds); 售后 is the after-sales console.
MERCHANT_ORDER_TABS = (
    ("", "全部", ()),
    ("pending_payment", "待付款", ("pending_payment",)),
    ("paid", "待发货", ("paid",)),
    ("shipped", "已发货", ("shipped", "delivered")),
    ("completed", "已完成", ("completed",)),
    ("closed", "已关闭", ("cancelled", "closed")),
)
# A shop's money: which balance moved, and why (ledger transaction kinds).
LEDGER_ACCOUNTS = {"shop_pending": "待结算", "shop_available": "可提现"}
STATEMENT_KINDS = {
    "order_completed": "确认收货，货款进入待结算",
    "order_settled": "售后期结束，转入可提现",
    "pay_later_credit": "先用后付：平台垫付",
    "refund_reversal": "售后退款冲回",
    "payment_refund": "退款",
    "withdrawal": "提现",
    "withdrawal_reversal": "提现失败，退回余额",
    "counterfeit_compensation": "假一赔四赔付",
    "return_shipping_comp": "退货运费补偿",
    "agreement_charge": "协议扣款",
}
WITHDRAWAL_STATUS = {
    "requested": "已申请",
    "processing": "银行处理中",
    "paid": "已到账",
    "failed": "失败已退回",
}


def event_label(kind: str) -> str:
    """A trail entry's kind for a person: never the English code (an unknown one reads 记录更新)."""
    return ORDER_EVENTS.get(kind) or TRAIL_EVENTS.get(kind) or STATUS_LABELS.get(kind) or "记录更新"


def buyer_label(value: object) -> str:
    """An order state as the buyer reads it (待收货 where the merchant reads 已发货)."""
    text = str(getattr(value, "value", value))
    return BUYER_ORDER_STATUS.get(text) or label(text)


def label(value: object) -> str:
    text = str(getattr(value, "value", value))
    return STATUS_LABELS.get(text) or ENTITY_TYPES.get(text) or DOCUMENT_LABELS.get(text) or text


def main_category_groups(tree: list[CategoryNode]) -> list[tuple[str, list[CategoryNode]]]:
    """A shop's main category: second-level categories under their top-level names."""
    return [(root.name, list(root.children)) if root.children else ("", [root]) for root in tree]


def leaf_groups(tree: list[CategoryNode]) -> list[tuple[str, list[CategoryNode]]]:
    """A product's category: leaves grouped under their ancestors' path (``服饰内衣 / 女装``)."""
    groups: dict[str, list[CategoryNode]] = {}

    def walk(node: CategoryNode, path: list[str]) -> None:
        if not node.children:
            groups.setdefault(" / ".join(path), []).append(node)
        for child in node.children:
            walk(child, [*path, node.name])

    for root in tree:
        walk(root, [])
    return list(groups.items())
