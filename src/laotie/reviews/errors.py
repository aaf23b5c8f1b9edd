from laotie.core.errors import ErrorKind

REVIEW_NOT_FOUND = ErrorKind("REVIEW_NOT_FOUND", 404, "评价不存在", "Review not found")
LINE_NOT_FOUND = ErrorKind(
    "REVIEW_LINE_NOT_FOUND", 404, "找不到这件商品的购买记录", "No purchase of yours matches this order line"
)
NOT_RECEIVED = ErrorKind(
    "REVIEW_NOT_RECEIVED", 409, "商品签收后才能评价", "You can review once the goods have been delivered"
)
ALREADY_REVIEWED = ErrorKind(
    "REVIEW_ALREADY_EXISTS", 409, "这件商品已经评价过了", "This order line has been reviewed already"
)
STARS_INVALID = ErrorKind("REVIEW_STARS_INVALID", 422, "评分须为1到5星", "Stars must be between 1 and 5")
TOO_MANY_PHOTOS = ErrorKind("REVIEW_TOO_MANY_PHOTOS", 422, "最多上传{limit}张图片", "At most {limit} photos")
PHOTO_NOT_FOUND = ErrorKind(
    "REVIEW_PHOTO_NOT_FOUND", 404, "图片不存在或已被使用", "Photo not found or already used"
)
FOLLOWUP_EXISTS = ErrorKind("REVIEW_FOLLOWUP_EXISTS", 409, "已经追评过了", "A follow-up was written already")
FOLLOWUP_TOO_LATE = ErrorKind(
    "REVIEW_FOLLOWUP_TOO_LATE",
    409,
    "评价{days}天后不能再追评",
    "A follow-up can be written within {days} days of the review",
)
FOLLOWUP_EMPTY = ErrorKind("REVIEW_FOLLOWUP_EMPTY", 422, "追评内容不能为空", "A follow-up needs some text")
NOT_YOUR_SHOP = ErrorKind(
    "REVIEW_NOT_YOUR_SHOP", 403, "只有被评价店铺的商家可以回复", "Only the reviewed shop may reply"
)
ALREADY_REPLIED = ErrorKind("REVIEW_ALREADY_REPLIED", 409, "已经回复过了", "The shop has replied already")
REPLY_EMPTY = ErrorKind("REVIEW_REPLY_EMPTY", 422, "回复内容不能为空", "A reply needs some text")
NOTHING_TO_REPLY = ErrorKind("REVIEW_NO_FOLLOWUP", 409, "买家还没有追评", "There is no follow-up to reply to")
ALREADY_HELPFUL = ErrorKind(
    "REVIEW_ALREADY_HELPFUL", 409, "你已经点过有用了", "You marked it helpful already"
)
OWN_REVIEW = ErrorKind("REVIEW_OWN", 409, "不能给自己的评价点有用或举报", "Not on your own review")
ALREADY_REPORTED = ErrorKind(
    "REVIEW_ALREADY_REPORTED", 409, "你已经举报过这条评价", "You reported it already"
)
REPORT_NOT_FOUND = ErrorKind("REVIEW_REPORT_NOT_FOUND", 404, "举报不存在", "Report not found")
REPORT_DECIDED = ErrorKind("REVIEW_REPORT_DECIDED", 409, "该举报已处理", "The report was decided already")
ALREADY_REMOVED = ErrorKind("REVIEW_ALREADY_REMOVED", 409, "该评价已被删除", "The review was removed already")
NOTHING_HELD = ErrorKind("REVIEW_NOTHING_HELD", 409, "没有待审核的内容", "Nothing of this review is held")
