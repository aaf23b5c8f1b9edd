from laotie.core.errors import ErrorKind

CATEGORY_NOT_FOUND = ErrorKind("CATEGORY_NOT_FOUND", 404, "类目不存在", "Unknown category")
CATEGORY_NOT_LEAF = ErrorKind(
    "CATEGORY_NOT_LEAF", 422, "请选择最末级类目", "Choose a leaf category (one with no sub-categories)"
)
CATEGORY_EXISTS = ErrorKind("CATEGORY_EXISTS", 409, "同级类目名称已存在", "A sibling category has that name")
