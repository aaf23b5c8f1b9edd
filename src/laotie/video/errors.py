from laotie.core.errors import COMMENT_TOO_FAST as COMMENT_TOO_FAST
from laotie.core.errors import COMMENT_TOO_LONG as COMMENT_TOO_LONG
from laotie.core.errors import ErrorKind

VIDEO_NOT_FOUND = ErrorKind("VIDEO_NOT_FOUND", 404, "视频不存在", "Video not found")
VIDEO_NOT_A_VIDEO = ErrorKind(
    "VIDEO_NOT_A_VIDEO", 422, "文件不是可播放的视频", "The file is not a playable video"
)
VIDEO_UNSUPPORTED_FORMAT = ErrorKind(
    "VIDEO_UNSUPPORTED_FORMAT",
    422,
    "仅支持 H.264/H.265/AV1 编码的 MP4 视频",
    "Only MP4 videos encoded with H.264, H.265 or AV1 are accepted",
)
VIDEO_TOO_LONG = ErrorKind(
    "VIDEO_TOO_LONG", 422, "视频时长不能超过{limit_seconds}秒", "The video may last at most {limit_seconds} s"
)
VIDEO_BAD_LINK = ErrorKind(
    "VIDEO_BAD_LINK",
    422,
    "视频链接须为 https 开头的 .mp4 地址",
    "The link must be an https URL of an .mp4 file",
)
VIDEO_LINK_HOST_NOT_ALLOWED = ErrorKind(
    "VIDEO_LINK_HOST_NOT_ALLOWED",
    422,
    "不支持该视频网站（{host}），可用：{allowed}；或直接上传视频",
    "Videos from {host} cannot be linked (allowed: {allowed}); upload the video instead",
)
VIDEO_PRODUCT_NOT_ALLOWED = ErrorKind(
    "VIDEO_PRODUCT_NOT_ALLOWED",
    422,
    "只能挂本店在售商品，达人可挂好物联盟商品",
    "Link your own shop's listed products, or alliance products as a creator",
)
VIDEO_TOO_MANY_PRODUCTS = ErrorKind(
    "VIDEO_TOO_MANY_PRODUCTS", 422, "一个视频最多挂{limit}件商品", "A video may link at most {limit} products"
)
VIDEO_NOT_AUTHOR = ErrorKind("VIDEO_NOT_AUTHOR", 403, "只有作者可以操作该视频", "Only the author may do this")
VIDEO_ATTRIBUTION_INVALID = ErrorKind(
    "VIDEO_ATTRIBUTION_INVALID",
    422,
    "订单来源视频无效或未挂该商品",
    "The attributed video does not exist or does not link this product",
)
COVER_NOT_FOUND = ErrorKind("VIDEO_COVER_NOT_FOUND", 404, "视频封面不存在", "The video has no cover")
