from laotie.core.errors import ErrorKind

UNKNOWN_POLICY = ErrorKind(
    "UNKNOWN_POLICY",
    422,
    "没有名为“{policy}”的流量策略，可选：{policies}",
    "No traffic policy {policy}; use {policies}",
)
UNKNOWN_TAB = ErrorKind("UNKNOWN_TAB", 422, "没有这个频道", "No such feed tab")
