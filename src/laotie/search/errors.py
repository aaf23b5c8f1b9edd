from laotie.core.errors import ErrorKind

UNKNOWN_SORT = ErrorKind(
    "UNKNOWN_SORT", 422, "不支持的排序方式“{sort}”，可选：{sorts}", "Unknown sort {sort}; use one of {sorts}"
)
BAD_PAGE = ErrorKind("BAD_PAGE", 422, "分页参数不正确", "limit must be 1–100 and offset 0–10000")
