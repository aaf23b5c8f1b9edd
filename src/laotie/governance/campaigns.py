"""雷霆计划 and the like: a named, time-boxed crackdown on violation kinds in categories.

Cases opened for it carry its ``campaign_id`` (the inspections of its plans and the counterfeit
procedures started from its cases do). Its dashboard adds up what it achieved — shops closed,
anchors punished, products delisted, money refunded — and shows the affected categories' DSR and
quality-return rate when it began and now, from ``scores.service`` when that domain is present
(暂无 where it has too few data: this part never recomputes a score).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.categories import service as categories
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.errors import ErrorKind
from laotie.core.ids import Id
from laotie.core.pagination import PageParams
from laotie.governance.counterfeit import audit
from laotie.governance.models import Case, Penalty, PenaltyStatus
from laotie.governance.models_integrity import (
    Campaign,
    CounterfeitRun,
    Inspection,
    InspectionPlan,
    InspectionStatus,
)
from laotie.scores import service as scores

CAMPAIGN_NOT_FOUND = ErrorKind("CRACKDOWN_NOT_FOUND", 404, "专项治理不存在", "Campaign not found")
CAMPAIGN_NAME_TAKEN = ErrorKind("CRACKDOWN_NAME_TAKEN", 409, "已有同名专项治理", "A campaign has this name")
CAMPAIGN_BAD_WINDOW = ErrorKind(
    "CRACKDOWN_BAD_WINDOW",
    422,
    "结束时间须晚于开始时间，且不超过一年",
    "It must end after it starts, within a year",
)
VIOLATION_KINDS = ("counterfeit", "quality", "false_advertising", "diversion", "review_fraud", "price_fraud")
CAMPAIGN_UNKNOWN_VIOLATION_KIND = ErrorKind(
    "CRACKDOWN_UNKNOWN_VIOLATION_KIND",
    422,
    "违规类型须为：" + "、".join(VIOLATION_KINDS),
    "Violation kinds must be among: " + ", ".join(VIOLATION_KINDS),
)


class CampaignIn(BaseModel):
    name: str = Field(min_length=1, max_length=60, examples=["雷霆计划·美妆打假"])
    description: str = Field(default="", max_length=2000)
    category_ids: list[Id] = Field(min_length=1, max_length=20)
    violation_kinds: list[str] = Field(min_length=1, max_length=len(VIOLATION_KINDS))
    starts_at: datetime
    ends_at: datetime


class CategoryFigures(BaseModel):
    category_id: int
    name: str
    dsr_before: float | None
    dsr_now: float | None
    quality_return_rate_before: float | None
    quality_return_rate_now: float | None


class CampaignPhase(enum.StrEnum):
    """Where a campaign stands today (from its dates; not stored)."""

    UPCOMING = "upcoming"
    ACTIVE = "active"
    ENDED = "ended"


class CampaignOut(BaseModel):
    id: int
    name: str
    description: str
    category_ids: list[int]
    violation_kinds: list[str]
    starts_at: datetime
    ends_at: datetime
    status: str  # CampaignPhase


class DashboardOut(BaseModel):
    campaign: CampaignOut
    cases: int
    shops_closed: int
    anchors_punished: int
    products_delisted: int
    money_refunded_fen: int
    compensation_fen: int
    orders_refunded: int
    inspections: int
    inspections_failed: int
    categories: list[CategoryFigures]
    scores_available: bool
    notes: list[str]


def campaign_out(row: Campaign) -> CampaignOut:
    now = clock.now()
    if now < row.starts_at:
        status = CampaignPhase.UPCOMING
    else:
        status = CampaignPhase.ACTIVE if now < row.ends_at else CampaignPhase.ENDED
    return CampaignOut(
        id=row.id,
        name=row.name,
        description=row.description,
        category_ids=list(row.category_ids),
        violation_kinds=list(row.violation_kinds),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        status=status,
    )


def create(session: Session, staff: Principal, body: CampaignIn) -> CampaignOut:
    if body.ends_at <= body.starts_at or (body.ends_at - body.starts_at).days > 366:
        raise CAMPAIGN_BAD_WINDOW()
    kinds = sorted(set(body.violation_kinds))
    if any(k not in VIOLATION_KINDS for k in kinds):
        raise CAMPAIGN_UNKNOWN_VIOLATION_KIND()
    cats = sorted(set(body.category_ids))
    for cat in cats:
        categories.get_category(session, cat)  # CATEGORY_NOT_FOUND for an unknown one
    row = Campaign(
        name=body.name.strip(),
        description=body.description.strip(),
        category_ids=cats,
        violation_kinds=kinds,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        baseline=_figures_now(session, cats),
        created_by=staff.user_id,
        created_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise CAMPAIGN_NAME_TAKEN() from None
    audit(
        session, "campaign", row.id, staff.user_id, "created", row.name, {"categories": cats, "kinds": kinds}
    )
    return campaign_out(row)


def load(session: Session, campaign_id: int) -> Campaign:
    row = session.get(Campaign, campaign_id)
    if row is None:
        raise CAMPAIGN_NOT_FOUND(campaign_id=campaign_id)
    return row


def list_campaigns(session: Session) -> list[CampaignOut]:
    return [campaign_out(r) for r in session.scalars(select(Campaign).order_by(Campaign.starts_at.desc()))]


def active_campaign_for(session: Session, category_id: int | None, violation_kind: str) -> int | None:
    """The running campaign a new case of this kind in this category belongs to, if any."""
    now = clock.now()
    for row in session.scalars(
        select(Campaign).where(Campaign.starts_at <= now, Campaign.ends_at > now).order_by(Campaign.id)
    ):
        if violation_kind in row.violation_kinds and (category_id is None or category_id in row.category_ids):
            return row.id
    return None


def _scores_by_category(session: Session, category_ids: list[int]) -> dict[int, dict[str, float | None]]:
    """DSR (mean of the three, 1..5) and quality-return rate (%) per category, read from the scores
    domain over the listed products of the category (up to 100) and their shops; None where the
    scores have too few data (暂无)."""
    out: dict[int, dict[str, float | None]] = {}
    for cat in category_ids:
        cards = catalog.list_listed(session, PageParams(limit=100, offset=0), category_id=cat).items
        products = scores.product_scores(session, [c.id for c in cards])
        shop_ids = {p.shop_id for p in products.values() if p.shop_id is not None}
        shop_figures = scores.shop_scores(session, shop_ids)
        dsrs: list[float] = []
        for shop in shop_figures.values():
            parts = [shop.dsr_description_x100, shop.dsr_service_x100, shop.dsr_logistics_x100]
            if all(x is not None for x in parts):
                dsrs.append(sum(x or 0 for x in parts) / 300)
        returns = [p.quality_return_bp / 100 for p in products.values() if p.quality_return_bp is not None]
        out[cat] = {
            "dsr": round(sum(dsrs) / len(dsrs), 2) if dsrs else None,
            "quality_return_rate": round(sum(returns) / len(returns), 2) if returns else None,
        }
    return out


def _figures_now(session: Session, category_ids: list[int]) -> dict[str, Any]:
    return {str(cat): values for cat, values in _scores_by_category(session, category_ids).items()}


def _campaign_case_ids(session: Session, campaign_id: int) -> list[int]:
    return list(session.scalars(select(Case.id).where(Case.campaign_id == campaign_id)))


def dashboard(session: Session, campaign_id: int) -> DashboardOut:
    row = load(session, campaign_id)
    case_ids = _campaign_case_ids(session, campaign_id)
    runs = session.scalars(
        select(CounterfeitRun).where(
            (CounterfeitRun.campaign_id == campaign_id) | CounterfeitRun.case_id.in_(case_ids or [-1])
        )
    ).all()
    plan_ids = list(
        session.scalars(select(InspectionPlan.id).where(InspectionPlan.campaign_id == campaign_id))
    )
    inspected = dict(
        session.execute(
            select(Inspection.status, func.count())
            .where(Inspection.plan_id.in_(plan_ids or [-1]))
            .group_by(Inspection.status)
        ).all()
    )
    delisted = _products_taken_down(session, [r.id for r in runs])
    shops_closed, anchors = _penalties(session, case_ids)
    now_figures: dict[int, dict[str, float | None]] | None = _scores_by_category(
        session, list(row.category_ids)
    )
    names = {c: categories.get_category(session, c).name for c in row.category_ids}
    cats = [
        CategoryFigures(
            category_id=c,
            name=names[c],
            dsr_before=(row.baseline.get(str(c)) or {}).get("dsr"),
            dsr_now=(now_figures or {}).get(c, {}).get("dsr"),
            quality_return_rate_before=(row.baseline.get(str(c)) or {}).get("quality_return_rate"),
            quality_return_rate_now=(now_figures or {}).get(c, {}).get("quality_return_rate"),
        )
        for c in row.category_ids
    ]
    notes = ["DSR 为类目内店铺三项评分的平均；品退率为类目内商品 30 天品退率的平均；数据不足显示“暂无”。"]
    return DashboardOut(
        campaign=campaign_out(row),
        cases=len(set(case_ids) | {r.case_id for r in runs if r.case_id}),
        shops_closed=shops_closed,
        anchors_punished=anchors,
        products_delisted=delisted,
        money_refunded_fen=sum(r.refunded_fen for r in runs),
        compensation_fen=sum(r.compensation_fen for r in runs),
        orders_refunded=sum(r.refunded_orders for r in runs),
        inspections=sum(int(v) for v in inspected.values()),
        inspections_failed=int(inspected.get(InspectionStatus.FAILED, 0)),
        categories=cats,
        scores_available=True,
        notes=notes,
    )


def _products_taken_down(session: Session, run_ids: list[int]) -> int:
    from laotie.governance.models_integrity import IntegrityEvent

    total = 0
    for data in session.scalars(
        select(IntegrityEvent.data).where(
            IntegrityEvent.subject_kind == "counterfeit_run",
            IntegrityEvent.kind == "started",
            IntegrityEvent.subject_id.in_(run_ids or [-1]),
        )
    ):
        total += len(data.get("banned", [])) + len(data.get("delisted", []))
    return total


def _penalties(session: Session, case_ids: list[int]) -> tuple[int, int]:
    """(shops closed, anchors punished) by the campaign's cases: closures, and live bans or alliance
    removals on a person, not reversed by an appeal."""
    if not case_ids:
        return 0, 0
    rows = session.execute(
        select(Penalty.kind, Penalty.subject_kind, Penalty.subject_id).where(
            Penalty.case_id.in_(case_ids), Penalty.status != PenaltyStatus.REVERSED
        )
    ).all()
    shops_closed = {sid for kind, _, sid in rows if kind == "closure"}
    anchors = {
        sid for kind, sk, sid in rows if sk == "user" and kind in ("live_ban", "alliance_removal", "points")
    }
    return len(shops_closed), len(anchors)
