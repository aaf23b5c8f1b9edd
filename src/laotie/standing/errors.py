from laotie.core.errors import ErrorKind

CONSEQUENCE_NOT_FOUND = ErrorKind("CONSEQUENCE_NOT_FOUND", 404, "处置记录不存在", "No such consequence")
BAD_CONSEQUENCE = ErrorKind("BAD_CONSEQUENCE", 422, "处置参数不合法：{why}", "Invalid consequence: {why}")
