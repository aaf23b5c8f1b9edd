from laotie.core.errors import ErrorKind

HIT_NOT_FOUND = ErrorKind("MODERATION_HIT_NOT_FOUND", 404, "命中记录不存在", "Moderation hit not found")
HIT_ALREADY_REVIEWED = ErrorKind(
    "MODERATION_HIT_ALREADY_REVIEWED",
    409,
    "该记录已处理（{status}）",
    "This hit was already reviewed ({status})",
)
HIT_BAD_VERDICT = ErrorKind(
    "MODERATION_HIT_BAD_VERDICT",
    422,
    "只能确认或标记误判",
    "A review either confirms the hit or marks it wrong",
)
