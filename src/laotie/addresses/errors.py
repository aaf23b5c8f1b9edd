from laotie.core.errors import ErrorKind

# INVALID_PHONE is the accounts domain's: addresses normalise phones through accounts.service.
INVALID_REGION = ErrorKind(
    "INVALID_REGION",
    422,
    "所选省市区不正确，请重新选择",
    "That province / city / district choice is not valid",
)
REGION_NOT_FOUND = ErrorKind("REGION_NOT_FOUND", 404, "行政区划不存在", "Unknown region code")
ADDRESS_NOT_FOUND = ErrorKind("ADDRESS_NOT_FOUND", 404, "收货地址不存在", "Address not found")
ADDRESS_LIMIT = ErrorKind(
    "ADDRESS_LIMIT",
    409,
    "收货地址最多保存{limit}个，请先删除不用的地址",
    "At most {limit} addresses can be kept; delete one first",
)


class RevealRequestInvalid(ValueError):
    """A programming error: a caller asked to reveal an address without saying for which order."""
