from laotie.core.errors import FILE_TOO_LARGE as FILE_TOO_LARGE  # shared code, re-exported
from laotie.core.errors import ErrorKind

PRODUCT_NOT_FOUND = ErrorKind("PRODUCT_NOT_FOUND", 404, "商品不存在或已下架", "Product not found")
SKU_NOT_FOUND = ErrorKind("SKU_NOT_FOUND", 404, "商品规格不存在", "SKU not found")
IMAGE_NOT_FOUND = ErrorKind("IMAGE_NOT_FOUND", 404, "图片不存在", "Image not found")
INVALID_PRODUCT_TRANSITION = ErrorKind(
    "INVALID_PRODUCT_TRANSITION",
    409,
    "商品当前状态为{from_status}，不能变更为{to_status}",
    "A {from_status} product cannot become {to_status}",
)
SHOP_RESTRICTED = ErrorKind(
    "SHOP_RESTRICTED",
    403,
    "店铺处于限制经营状态，暂不能提交新商品审核",
    "The shop is restricted and cannot submit new products for review",
)
PRODUCT_BANNED = ErrorKind(
    "PRODUCT_BANNED", 409, "商品已被平台封禁，不能修改", "The product is banned and cannot be changed"
)
INVALID_ATTRIBUTES = ErrorKind(
    "INVALID_ATTRIBUTES",
    422,
    "商品规格有误：{problem}",
    "The product's attributes are not valid: {problem}",
)
SKU_ATTRS_MISMATCH = ErrorKind(
    "SKU_ATTRS_MISMATCH",
    422,
    "每个SKU须从商品的每个规格中各选一个值",
    "Each SKU must take exactly one declared value of every declared attribute",
)
DUPLICATE_SKU = ErrorKind(
    "DUPLICATE_SKU", 422, "存在规格组合完全相同的SKU", "Two SKUs have the same attribute values"
)
TOO_MANY_SKUS = ErrorKind(
    "TOO_MANY_SKUS", 422, "SKU数量不能超过{limit}个", "A product may have at most {limit} SKUs"
)
INVALID_PRICE = ErrorKind(
    "INVALID_PRICE", 422, "价格须为大于0的整数（单位：分）", "A price must be a positive whole number of fen"
)
ORIGINAL_PRICE_TOO_LOW = ErrorKind(
    "ORIGINAL_PRICE_TOO_LOW", 422, "划线价不能低于售价", "The original price cannot be below the price"
)
INVALID_STOCK = ErrorKind(
    "INVALID_STOCK", 422, "库存须为0到{limit}之间的整数", "Stock must be a whole number from 0 to {limit}"
)
INVALID_SIZE_CHART = ErrorKind(
    "INVALID_SIZE_CHART", 422, "尺码表每行的列数须与表头一致", "Every size-chart row must match the header"
)
TOO_MANY_IMAGES = ErrorKind(
    "TOO_MANY_IMAGES", 422, "每个商品最多{limit}张图片", "A product may have at most {limit} images"
)
INVALID_IMAGE = ErrorKind(
    "INVALID_IMAGE",
    422,
    "图片无效，请上传JPEG、PNG或WebP格式的图片",
    "Not a valid image; upload a JPEG, PNG or WebP picture",
)
STOCK_CONFLICT = ErrorKind(
    "STOCK_CONFLICT", 409, "库存刚刚发生变化，请重试", "Stock changed meanwhile; try again"
)
PRODUCT_HELD_BY_GOVERNANCE = ErrorKind(
    "PRODUCT_HELD_BY_GOVERNANCE",
    409,
    "商品因违规被平台下架，申诉成功前不能重新上架",
    "The product was delisted by governance; it may not be relisted unless an appeal succeeds",
)
BAD_CURSOR = ErrorKind(
    "BAD_CURSOR",
    422,
    "分页游标无效，请从第一页重新浏览",
    "The page cursor is not valid for this list; start again from the first page",
)
