from laotie.core.errors import COMMENT_TOO_FAST as COMMENT_TOO_FAST
from laotie.core.errors import COMMENT_TOO_LONG as COMMENT_TOO_LONG
from laotie.core.errors import ErrorKind

ROOM_NOT_FOUND = ErrorKind("LIVE_ROOM_NOT_FOUND", 404, "直播间不存在", "Live room not found")
SESSION_NOT_FOUND = ErrorKind("LIVE_SESSION_NOT_FOUND", 404, "直播不存在", "Live session not found")
NOT_ROOM_OWNER = ErrorKind(
    "NOT_LIVE_ROOM_OWNER", 403, "只有主播本人可以操作该直播间", "Only the anchor may do this"
)
ROOM_EXISTS = ErrorKind("LIVE_ROOM_EXISTS", 409, "你已经有这个直播间了", "You already have this live room")
NOT_AN_ANCHOR = ErrorKind(
    "NOT_AN_ANCHOR",
    403,
    "开通直播间需要是店铺成员或达人",
    "Only a shop member or a creator may open a live room",
)
STREAM_KEY_INVALID = ErrorKind(
    "STREAM_KEY_INVALID", 403, "推流密钥无效或已作废", "The stream key is unknown or was revoked"
)
NO_SESSION_TO_START = ErrorKind(
    "NO_SESSION_TO_START",
    403,
    "没有待开播的直播，请先创建直播",
    "No scheduled session to start; create one first",
)
SESSION_ENDED = ErrorKind("LIVE_SESSION_ENDED", 409, "直播已结束", "The live session has ended")
SESSION_STATE = ErrorKind(
    "LIVE_SESSION_STATE", 409, "直播当前状态为{status}，不能{action}", "A {status} session cannot {action}"
)
ALREADY_LIVE = ErrorKind(
    "LIVE_ALREADY_ON_AIR",
    409,
    "直播间已有一场直播在进行或待开播",
    "The room already has a scheduled or live session",
)
PRODUCT_NOT_ALLOWED = ErrorKind(
    "LIVE_PRODUCT_NOT_ALLOWED",
    403,
    "只能添加本店商品或已加入好物联盟的商品",
    "Only the shop's own products or alliance products may be added",
)
CART_ITEM_NOT_FOUND = ErrorKind(
    "LIVE_CART_ITEM_NOT_FOUND", 404, "小黄车里没有这个商品", "Not in the live cart"
)
CART_FULL = ErrorKind(
    "LIVE_CART_FULL", 409, "小黄车最多{max}件商品", "At most {max} products in the live cart"
)
CART_ORDER_MISMATCH = ErrorKind(
    "LIVE_CART_ORDER_MISMATCH",
    422,
    "排序必须包含小黄车里的全部商品",
    "The order must list every cart item once",
)
FLASH_NOT_ENOUGH_STOCK = ErrorKind(
    "FLASH_SALE_NOT_ENOUGH_STOCK",
    409,
    "库存不足：秒杀需要{quantity}件，仅剩{available}件",
    "Not enough stock: the flash sale needs {quantity}, {available} left",
)
FLASH_SKU_MISMATCH = ErrorKind(
    "FLASH_SALE_SKU_MISMATCH",
    422,
    "该规格不属于这个商品或不可售",
    "That SKU is not a sellable SKU of this product",
)
FLASH_PRICE_INVALID = ErrorKind(
    "FLASH_SALE_PRICE_INVALID", 422, "秒杀价必须低于原价", "The flash price must be below the regular price"
)
FLASH_START_INVALID = ErrorKind(
    "FLASH_SALE_START_INVALID",
    422,
    "开始时间不能早于现在或晚于7天后",
    "Start between now and 7 days from now",
)
FLASH_NOT_FOUND = ErrorKind("FLASH_SALE_NOT_FOUND", 404, "秒杀不存在", "Flash sale not found")
FLASH_NOT_OPEN = ErrorKind("FLASH_SALE_NOT_OPEN", 409, "秒杀尚未开始", "The flash sale has not opened yet")
FLASH_SOLD_OUT = ErrorKind("FLASH_SALE_SOLD_OUT", 409, "已抢光", "Sold out")
FLASH_CLOSED = ErrorKind("FLASH_SALE_CLOSED", 409, "秒杀已结束", "The flash sale is over")
FLASH_LIMIT = ErrorKind(
    "FLASH_SALE_LIMIT_EXCEEDED", 409, "每人限购{limit}件", "At most {limit} per buyer in this flash sale"
)
COMMENT_EMPTY = ErrorKind("COMMENT_EMPTY", 422, "评论不能为空", "The comment is empty")
LOGIN_TO_POST = ErrorKind("LIVE_LOGIN_REQUIRED", 401, "登录后才能发言和点赞", "Log in to comment or like")
BAD_FRAME = ErrorKind("LIVE_BAD_FRAME", 422, "无法识别的消息", "Unrecognised message")
FLASH_WAITING_FOR_LIVE = ErrorKind(
    "FLASH_SALE_WAITING_FOR_LIVE",
    409,
    "直播开始后才开抢：秒杀已顺延到开播",
    "The flash sale opens once the broadcast is live",
)
LIVE_BANNED = ErrorKind(
    "LIVE_BANNED",
    403,
    "因违规处罚，暂不能直播（至 {until}）",
    "Live streaming is suspended by a penalty (until {until})",
)
