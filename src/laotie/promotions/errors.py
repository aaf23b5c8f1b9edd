from laotie.core.errors import ErrorKind

PROMOTION_NOT_FOUND = ErrorKind("PROMOTION_NOT_FOUND", 404, "优惠活动不存在", "Promotion not found")
CAMPAIGN_NOT_FOUND = ErrorKind("CAMPAIGN_NOT_FOUND", 404, "活动不存在", "Campaign not found")
INVALID_PROMOTION = ErrorKind(
    "INVALID_PROMOTION", 422, "优惠设置无效：{reason}", "Invalid promotion: {reason}"
)
COUPON_NOT_FOUND = ErrorKind("COUPON_NOT_FOUND", 404, "优惠券不存在", "Coupon not found")
COUPON_NOT_YOURS = ErrorKind("COUPON_NOT_YOURS", 403, "这张优惠券不属于你", "This coupon is not yours")
COUPON_NOT_CLAIMABLE = ErrorKind(
    "COUPON_NOT_CLAIMABLE", 409, "该优惠券不可领取", "This coupon cannot be claimed"
)
COUPON_EXPIRED = ErrorKind(
    "COUPON_EXPIRED",
    409,
    "优惠券不在有效期内（{valid_from} 至 {valid_until}）",
    "The coupon is not valid now",
)
COUPON_ALREADY_USED = ErrorKind("COUPON_ALREADY_USED", 409, "优惠券已使用", "The coupon was already used")
COUPON_LIMIT_REACHED = ErrorKind(
    "COUPON_LIMIT_REACHED", 409, "每人限领{limit}张，已达上限", "At most {limit} per buyer: limit reached"
)
COUPON_SOLD_OUT = ErrorKind("COUPON_SOLD_OUT", 409, "优惠券已领完", "No coupons left")
COUPON_THRESHOLD_NOT_MET = ErrorKind(
    "COUPON_THRESHOLD_NOT_MET",
    409,
    "未满¥{threshold_yuan}，不能使用该优惠券",
    "The order does not reach the coupon's threshold of {threshold_fen} fen",
)
COUPON_NOT_APPLICABLE = ErrorKind(
    "COUPON_NOT_APPLICABLE", 409, "该优惠券不适用于所选商品", "This coupon does not apply to these items"
)
COUPON_STACKING = ErrorKind(
    "COUPON_STACKING",
    422,
    "每个店铺只能用一张店铺券，每单只能用一张平台券",
    "One shop coupon per shop and one platform coupon per checkout",
)
SUBSIDY_BUDGET_EXHAUSTED = ErrorKind(
    "SUBSIDY_BUDGET_EXHAUSTED",
    409,
    "补贴名额已用完，请刷新后按新价格下单",
    "The subsidy budget is used up; refresh and order at the new price",
)
NEW_BUYER_DEAL_REFUSED = ErrorKind(
    "NEW_BUYER_DEAL_REFUSED", 409, "不符合一元购条件：{reason}", "Not eligible for the ¥1 deal: {reason}"
)
CAMPAIGN_ITEM_NOT_FOUND = ErrorKind(
    "CAMPAIGN_ITEM_NOT_FOUND", 404, "活动报名记录不存在", "Campaign enrolment not found"
)
BUYERS_NOT_FOUND = ErrorKind(
    "BUYERS_NOT_FOUND",
    422,
    "部分用户不存在或已停用，未发放任何优惠券",
    "Some buyers do not exist; no coupon was issued",
)
