from laotie.core.errors import ErrorKind

FOLLOW_SELF = ErrorKind(
    "FOLLOW_SELF", 422, "不能关注自己或自己的店铺", "You cannot follow yourself or your own shop"
)
ALREADY_FOLLOWING = ErrorKind("ALREADY_FOLLOWING", 409, "已经关注过了", "Already following")
FOLLOW_TARGET_NOT_FOUND = ErrorKind(
    "FOLLOW_TARGET_NOT_FOUND", 404, "要关注的店铺或主播不存在", "No such shop or anchor to follow"
)
NOTIFICATION_NOT_FOUND = ErrorKind("NOTIFICATION_NOT_FOUND", 404, "消息不存在", "Notification not found")
