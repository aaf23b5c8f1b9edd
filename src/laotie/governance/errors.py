from laotie.core.errors import ErrorKind

RULE_NOT_FOUND = ErrorKind("RULE_NOT_FOUND", 404, "规则不存在", "No such rule")
RULE_EXISTS = ErrorKind("RULE_EXISTS", 409, "规则编号已存在", "A rule with this code exists")
BAD_RULE = ErrorKind("BAD_RULE", 422, "规则内容不合法：{why}", "Invalid rule: {why}")
REPORT_NOT_FOUND = ErrorKind("REPORT_NOT_FOUND", 404, "举报不存在", "No such report")
REPORT_TARGET_NOT_FOUND = ErrorKind(
    "REPORT_TARGET_NOT_FOUND", 404, "被举报的对象不存在", "The reported item does not exist"
)
REPORT_REASON_NOT_APPLICABLE = ErrorKind(
    "REPORT_REASON_NOT_APPLICABLE",
    422,
    "该规则不适用于此类举报对象",
    "This rule does not apply to this kind of item",
)
EVIDENCE_REQUIRED = ErrorKind(
    "EVIDENCE_REQUIRED",
    422,
    "该举报理由需要提供证据（图片、链接或订单）",
    "This reason needs evidence (a file, link or order)",
)
BAD_EVIDENCE = ErrorKind("BAD_EVIDENCE", 422, "证据不合法：{why}", "Invalid evidence: {why}")
NOT_YOUR_ORDER = ErrorKind("NOT_YOUR_ORDER", 422, "只能附上自己的订单", "Only your own order may be attached")
REPORT_ALREADY_DECIDED = ErrorKind(
    "REPORT_ALREADY_DECIDED", 409, "该举报已处理", "This report was already decided"
)
REPORT_NOT_DECIDED = ErrorKind(
    "REPORT_NOT_DECIDED", 409, "举报尚未处理，暂不能评价", "The report is not decided yet"
)
ALREADY_RATED = ErrorKind("ALREADY_RATED", 409, "已经评价过", "Already rated")
SELF_DECISION = ErrorKind(
    "SELF_DECISION", 403, "不能处理自己提交的举报或申诉", "You may not decide your own report or appeal"
)
CASE_NOT_FOUND = ErrorKind("CASE_NOT_FOUND", 404, "案件不存在", "No such case")
CASE_ALREADY_DECIDED = ErrorKind("CASE_ALREADY_DECIDED", 409, "该案件已判定", "This case was already decided")
SHOP_CLOSED = ErrorKind(
    "PENALTY_SHOP_CLOSED", 409, "店铺已清退，不能再处罚", "The shop is closed; no penalty can be applied"
)
SUBJECT_NOT_FOUND = ErrorKind("SUBJECT_NOT_FOUND", 404, "处罚对象不存在", "The subject does not exist")
APPEAL_NOT_FOUND = ErrorKind("APPEAL_NOT_FOUND", 404, "申诉不存在", "No such appeal")
APPEAL_EXISTS = ErrorKind("APPEAL_EXISTS", 409, "每个案件只能申诉一次", "A case may be appealed once")
APPEAL_DEADLINE_PASSED = ErrorKind(
    "APPEAL_DEADLINE_PASSED", 409, "已超过申诉期限（判定后7天内）", "The appeal window (7 days) has passed"
)
NOT_APPEALABLE = ErrorKind(
    "NOT_APPEALABLE", 409, "该案件未判定违规，无需申诉", "Only a confirmed violation may be appealed"
)
NOT_CASE_PARTY = ErrorKind("NOT_CASE_PARTY", 404, "案件不存在", "No such case")
APPEAL_ALREADY_DECIDED = ErrorKind(
    "APPEAL_ALREADY_DECIDED", 409, "该申诉已处理", "This appeal was already decided"
)
SAME_DECIDER = ErrorKind(
    "SAME_DECIDER",
    403,
    "申诉须由原判定人以外的工作人员处理",
    "An appeal must be decided by another staff member",
)
REASON_REQUIRED = ErrorKind("GOVERNANCE_REASON_REQUIRED", 422, "请填写处理理由", "A reason is required")
EVIDENCE_NOT_FOUND = ErrorKind("GOVERNANCE_EVIDENCE_NOT_FOUND", 404, "证据不存在", "No such evidence")
