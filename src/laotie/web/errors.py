from laotie.core.errors import ErrorKind

FORM_PRICE_INVALID = ErrorKind(
    "FORM_PRICE_INVALID",
    422,
    "{field}格式不正确：请填写大于0的金额，最多两位小数，例如 59.90",
    "{field}: enter an amount above 0 with at most two decimals, e.g. 59.90",
)
FORM_NUMBER_INVALID = ErrorKind(
    "FORM_NUMBER_INVALID",
    422,
    "{field}须为不小于{minimum}的整数",
    "{field} must be a whole number ≥ {minimum}",
)
FORM_FIELDS_INVALID = ErrorKind(
    "FORM_FIELDS_INVALID", 422, "请检查以下内容：{fields}", "Please check: {fields}"
)
FORM_PRICE_MISSING = ErrorKind(
    "FORM_PRICE_MISSING",
    422,
    "规格“{sku}”还没有价格：请填写统一价格或该规格的价格",
    "SKU “{sku}” has no price: fill in the default price or this SKU's price",
)
FORM_TOO_MANY_SKUS = ErrorKind(
    "FORM_TOO_MANY_SKUS",
    422,
    "规格组合过多（{count}个），最多{limit}个",
    "Too many SKUs ({count}); at most {limit}",
)
FORM_CROSS_SITE = ErrorKind(
    "FORM_CROSS_SITE",
    403,
    "请从老铁的页面提交表单",
    "Forms must be submitted from Laotie's own pages",
)
CHOOSE_SKU = ErrorKind("CHOOSE_SKU", 422, "请先选择商品规格", "Choose a SKU first")
