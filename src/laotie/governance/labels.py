"""How the governance trail's steps read in the console."""

from laotie.governance.models import TrailAction

TRAIL_LABELS: dict[str, str] = {
    TrailAction.SUBMITTED: "提交举报",
    TrailAction.UPHELD: "判定属实/成立",
    TrailAction.REJECTED: "判定不属实/驳回",
    TrailAction.RATED: "举报人评价",
    TrailAction.OPENED: "立案",
    TrailAction.REPORT_JOINED: "举报并入案件",
    TrailAction.RULE_CHANGED: "改按其他规则判定",
    TrailAction.DISMISSED: "不构成违规",
    TrailAction.VIOLATION_CONFIRMED: "违规成立",
    TrailAction.PENALTY_APPLIED: "执行处罚",
    TrailAction.PENALTY_SKIPPED: "处罚未执行",
    TrailAction.POINTS_ADDED: "扣分",
    TrailAction.POINTS_THRESHOLD: "累计扣分达到门槛",
    TrailAction.POINTS_THRESHOLD_LIFTED: "扣分门槛解除",
    TrailAction.PENALTY_ENDED: "处罚期满解除",
    TrailAction.PENALTY_REVERSED: "处罚撤销",
    TrailAction.CONTENT_REMOVED: "删除违规内容",
    TrailAction.CONTENT_ALREADY_GONE: "内容已不存在",
    TrailAction.SHOP_CLOSED: "店铺清退",
    TrailAction.APPEALED: "商家申诉",
    TrailAction.FILED: "提交申诉",
    TrailAction.APPEAL_REJECTED: "申诉驳回",
    TrailAction.REVERSED: "申诉成立，处罚撤销",
}
