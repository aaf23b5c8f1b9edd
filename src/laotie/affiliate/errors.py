from laotie.core.errors import ErrorKind

AFFILIATE_NOT_OFFERED = ErrorKind(
    "AFFILIATE_NOT_OFFERED", 409, "该商品未加入好物联盟，不能推广", "This product is not offered to creators"
)
AFFILIATE_RATE_OUT_OF_BOUNDS = ErrorKind(
    "AFFILIATE_RATE_OUT_OF_BOUNDS",
    422,
    "佣金比例须在{min_bp}到{max_bp}个基点之间",
    "The commission rate must be between {min_bp} and {max_bp} basis points",
)
AFFILIATE_PRODUCT_NOT_LISTED = ErrorKind(
    "AFFILIATE_PRODUCT_NOT_LISTED", 409, "商品上架后才能加入好物联盟", "Only listed products can be offered"
)
CREATOR_NOT_FOUND = ErrorKind("CREATOR_NOT_FOUND", 404, "达人不存在", "Creator not found")
AFFILIATE_CREATOR_REMOVED = ErrorKind(
    "AFFILIATE_CREATOR_REMOVED",
    403,
    "因违规处罚，暂时不能在好物联盟选品推广",
    "Removed from the alliance by a penalty for now",
)
