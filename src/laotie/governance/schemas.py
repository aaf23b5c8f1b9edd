"""Governance vocabulary (kinds, states) and what the API takes and returns."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from laotie.core.ids import Id
from laotie.core.numbers import StrictInt

# The statuses live beside their tables; re-exported for the web pages and the simulator.
from laotie.governance.models import AppealStatus as AppealStatus
from laotie.governance.models import CaseStatus as CaseStatus
from laotie.governance.models import ReportStatus as ReportStatus


class Severity(enum.StrEnum):
    GENERAL = "general"  # 一般违规
    SERIOUS = "serious"  # 严重违规
    CRITICAL = "critical"  # 特别严重违规


SEVERITY_RANK = {Severity.GENERAL: 1, Severity.SERIOUS: 2, Severity.CRITICAL: 3}
SEVERITY_LABELS = {
    Severity.GENERAL: "一般违规",
    Severity.SERIOUS: "严重违规",
    Severity.CRITICAL: "特别严重违规",
}

CATEGORY_LABELS = {
    "onboarding": "入驻与资质",
    "listing": "商品信息发布",
    "prohibited": "禁售与限售",
    "counterfeit": "假冒与品牌授权",
    "pricing": "价格与促销",
    "diversion": "私下交易与导流",
    "reviews": "评价",
    "shipping": "发货时效",
    "aftersales": "售后与保障",
    "live": "直播间行为",
    "creators": "达人与好物联盟",
    "disputes": "纠纷",
    "general": "通用规则",
}


class TargetKind(enum.StrEnum):
    """What a user may report."""

    PRODUCT = "product"
    SHOP = "shop"
    REVIEW = "review"
    VIDEO = "video"
    VIDEO_COMMENT = "video_comment"
    LIVE_COMMENT = "live_comment"
    LIVE_SESSION = "live_session"
    ANCHOR = "anchor"


TARGET_LABELS = {
    TargetKind.PRODUCT: "商品",
    TargetKind.SHOP: "店铺",
    TargetKind.REVIEW: "评价",
    TargetKind.VIDEO: "短视频",
    TargetKind.VIDEO_COMMENT: "视频评论",
    TargetKind.LIVE_COMMENT: "直播评论",
    TargetKind.LIVE_SESSION: "直播",
    TargetKind.ANCHOR: "主播/达人",
}
# 目标答复时间: live things go stale in hours, a shop complaint needs a look at its history.
ANSWER_HOURS = {
    TargetKind.LIVE_SESSION: 2,
    TargetKind.LIVE_COMMENT: 2,
    TargetKind.ANCHOR: 12,
    TargetKind.VIDEO: 24,
    TargetKind.VIDEO_COMMENT: 24,
    TargetKind.REVIEW: 24,
    TargetKind.PRODUCT: 24,
    TargetKind.SHOP: 48,
}


class CaseSource(enum.StrEnum):
    REPORT = "report"
    DETECTOR = "detector"
    INSPECTION = "inspection"
    SCORE = "score"
    STAFF = "staff"


SOURCE_LABELS = {
    "report": "用户举报",
    "detector": "系统识别",
    "inspection": "品控抽检",
    "score": "评分触发",
    "staff": "平台巡查",
}


class ActionKind(enum.StrEnum):
    WARNING = "warning"  # 警告
    DELIST = "delist"  # 商品下架
    TRAFFIC_CUT = "traffic_cut"  # 断流 N 天
    AD_BAN = "ad_ban"  # 禁止投放广告
    NO_NEW_LISTINGS = "no_new_listings"
    NO_LIVE = "no_live"  # the shop may not go live
    LIVE_BAN = "live_ban"  # the anchor may not go live
    ALLIANCE_REMOVAL = "alliance_removal"  # the creator leaves the alliance
    WITHDRAWAL_FREEZE = "withdrawal_freeze"
    CLOSURE = "closure"  # 清退: the shop is frozen now and closed when the appeal window ends
    REMOVE_CONTENT = "remove_content"
    DEPOSIT = "deposit"  # 扣除保证金: shops open with no deposit (0元开店), so there is none to take


ACTION_LABELS = {
    ActionKind.WARNING: "警告",
    ActionKind.DELIST: "商品下架",
    ActionKind.TRAFFIC_CUT: "停止流量分发",
    ActionKind.AD_BAN: "禁止投放广告",
    ActionKind.NO_NEW_LISTINGS: "禁止发布新商品",
    ActionKind.NO_LIVE: "店铺禁止直播",
    ActionKind.LIVE_BAN: "主播禁播",
    ActionKind.ALLIANCE_REMOVAL: "清退好物联盟",
    ActionKind.WITHDRAWAL_FREEZE: "冻结提现",
    ActionKind.CLOSURE: "清退店铺",
    ActionKind.REMOVE_CONTENT: "删除违规内容",
    ActionKind.DEPOSIT: "扣除保证金",
}
# Actions a rule may take on its own (auto_decide): none needs a staff member's hand on the shop.
AUTOMATIC_ACTIONS = frozenset(
    {
        ActionKind.WARNING,
        ActionKind.TRAFFIC_CUT,
        ActionKind.AD_BAN,
        ActionKind.NO_NEW_LISTINGS,
        ActionKind.NO_LIVE,
        ActionKind.LIVE_BAN,
        ActionKind.ALLIANCE_REMOVAL,
        ActionKind.REMOVE_CONTENT,
    }
)
APPEAL_DAYS = 7
# 扣分 per calendar year: each threshold restricts the shop until the year ends (48 closes it).
POINT_THRESHOLDS = ((12, "no_new_listings"), (24, "no_live"), (48, "closure"))


class ActionIn(BaseModel):
    kind: ActionKind
    days: StrictInt | None = Field(default=None, ge=1, le=3650)


class StepIn(BaseModel):
    points: StrictInt = Field(default=0, ge=0, le=48)
    actions: list[ActionIn] = Field(default_factory=list, max_length=10)


class ScheduleIn(BaseModel):
    first: StepIn
    repeat: StepIn


class RuleVersionIn(BaseModel):
    title: str = Field(min_length=2, max_length=100)
    category: str = Field(min_length=2, max_length=30)
    text: str = Field(min_length=10, max_length=5000)
    severity: Severity
    violation_kinds: list[str] = Field(min_length=1, max_length=10)
    penalties: ScheduleIn
    evidence_required: bool = False
    report_kinds: list[TargetKind] = Field(default_factory=list, max_length=10)
    detector_reasons: list[str] = Field(default_factory=list, max_length=20)
    scores: list[str] = Field(default_factory=list, max_length=10)
    auto_decide: bool = False
    effective_at: AwareDatetime | None = None  # default: now
    change_note: str = Field(default="", max_length=300)


class RuleIn(RuleVersionIn):
    code: str = Field(min_length=3, max_length=40, pattern=r"^[A-Z]{2,5}-[0-9]{2,3}$")


class RuleVersionOut(BaseModel):
    id: int
    code: str
    version: int
    title: str
    category: str
    category_label: str
    text: str
    severity: Severity
    violation_kinds: list[str]
    penalties: dict[str, Any]
    evidence_required: bool
    report_kinds: list[str]
    detector_reasons: list[str]
    scores: list[str]
    auto_decide: bool
    effective_at: datetime
    change_note: str
    created_at: datetime


class RuleOut(BaseModel):
    code: str
    current: RuleVersionOut
    versions: list[RuleVersionOut]


class EvidenceOut(BaseModel):
    id: int
    kind: str
    url: str | None
    order_id: int | None
    note: str
    content_type: str | None
    has_file: bool
    shown_to_subject: bool
    data: dict[str, Any]
    created_at: datetime


class LinkIn(BaseModel):
    url: str = Field(min_length=8, max_length=500, pattern=r"^https?://")


class ReportIn(BaseModel):
    target_kind: TargetKind
    target_id: Id
    rule_code: str = Field(min_length=3, max_length=40)
    description: str = Field(default="", max_length=1000)
    links: list[str] = Field(default_factory=list, max_length=5)
    order_id: Id | None = None
    evidence_ids: list[Id] = Field(default_factory=list, max_length=9)  # files uploaded beforehand


class ReportDecideIn(BaseModel):
    upheld: bool
    note: str = Field(min_length=1, max_length=500)


class RatingIn(BaseModel):
    stars: StrictInt = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=300)


class ReportOut(BaseModel):
    id: int
    reporter_id: int
    target_kind: str
    target_id: int
    shop_id: int | None
    product_id: int | None
    rule_code: str
    rule_title: str
    severity_rank: int
    description: str
    order_id: int | None
    status: str
    due_at: datetime
    overdue: bool
    created_at: datetime
    decided_at: datetime | None
    decision_note: str
    case_id: int | None
    rating: int | None
    rating_comment: str
    evidence: list[EvidenceOut] = Field(default_factory=list)


class CaseIn(BaseModel):
    """A case staff open by hand (平台巡查)."""

    subject_kind: Literal["shop", "product", "user"]
    subject_id: Id
    rule_code: str = Field(min_length=3, max_length=40)
    summary: str = Field(min_length=2, max_length=1000)
    links: list[str] = Field(default_factory=list, max_length=5)


class CaseDecideIn(BaseModel):
    violation: bool
    note: str = Field(min_length=1, max_length=1000)
    rule_code: str | None = Field(default=None, min_length=3, max_length=40)  # judge under another rule


class PenaltyOut(BaseModel):
    id: int
    kind: str
    label: str
    subject_kind: str
    subject_id: int
    points: int
    days: int | None
    starts_at: datetime
    ends_at: datetime | None
    status: str
    ended_at: datetime | None
    ended_reason: str


class TrailOut(BaseModel):
    id: int
    object_kind: str
    object_id: int
    action: str
    actor_id: int | None
    reason: str
    data: dict[str, Any]
    at: datetime


class AppealIn(BaseModel):
    statement: str = Field(min_length=5, max_length=2000)
    links: list[str] = Field(default_factory=list, max_length=5)
    evidence_ids: list[Id] = Field(default_factory=list, max_length=9)


class AppealDecideIn(BaseModel):
    upheld: bool  # True: the appeal succeeds and the penalty is reversed
    note: str = Field(min_length=1, max_length=1000)


class AppealOut(BaseModel):
    id: int
    case_id: int
    appellant_id: int
    statement: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    decision_note: str
    evidence: list[EvidenceOut] = Field(default_factory=list)


class CaseOut(BaseModel):
    id: int
    source: str
    subject_kind: str
    subject_id: int
    shop_id: int | None
    product_id: int | None
    user_id: int | None
    rule_code: str
    rule_version: int
    rule_title: str
    violation_kind: str
    severity_rank: int
    summary: str
    status: str
    offence: str | None
    points: int
    campaign_id: int | None
    report_id: int | None
    created_at: datetime
    decided_at: datetime | None
    decision_note: str
    appeal_until: datetime | None
    reversed_at: datetime | None
    penalties: list[PenaltyOut] = Field(default_factory=list)
    evidence: list[EvidenceOut] = Field(default_factory=list)
    appeal: AppealOut | None = None


class PointsOut(BaseModel):
    shop_id: int
    year: int
    points: int
    restrictions: list[str]


class RuleCount(BaseModel):
    code: str
    title: str
    cases: int


class DashboardOut(BaseModel):
    reports_total: int
    reports_open: int
    reports_decided: int
    answered_in_time: int
    answered_in_time_share: float | None
    satisfaction: float | None
    ratings: int
    cases_open: int
    cases_by_rule: list[RuleCount]
    cases_by_source: dict[str, int]
    appeals_open: int
    appeals_upheld: int
    appeals_rejected: int
    penalties_active: int
