"""What the counterfeit procedure shows: a run's progress and its final report."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.ids import Id
from laotie.core.numbers import StrictInt
from laotie.governance.models_integrity import CounterfeitItem, CounterfeitItemStatus, CounterfeitRun


class RunStart(BaseModel):
    shop_id: Id
    product_ids: list[Id] = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=500)
    case_id: Id | None = None
    campaign_id: Id | None = None
    compensation_multiple: StrictInt = Field(
        default=3, ge=0, le=10, description="3: 假一赔三; 0: refund only"
    )
    window_days: StrictInt = Field(default=90, ge=0, le=365, description="completed orders this recent too")


class RunOut(BaseModel):
    id: int
    case_id: int | None
    campaign_id: int | None
    shop_id: int
    product_ids: list[int]
    status: str
    compensation_multiple: int
    window_days: int
    reason: str
    started_by: int | None
    total_orders: int
    refunded_orders: int
    skipped_orders: int
    failed_orders: int
    pending_orders: int
    buyers: int
    refunded_fen: int
    compensation_fen: int
    compensation_funded_fen: int
    compensation_owed_fen: int
    percent: float
    started_at: datetime
    collected_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime


def run_out(session: Session, run: CounterfeitRun) -> RunOut:
    done = run.refunded_orders + run.skipped_orders
    buyers = (
        session.scalar(
            select(func.count(func.distinct(CounterfeitItem.buyer_id))).where(
                CounterfeitItem.run_id == run.id, CounterfeitItem.status == CounterfeitItemStatus.REFUNDED
            )
        )
        or 0
    )
    return RunOut(
        id=run.id,
        case_id=run.case_id,
        campaign_id=run.campaign_id,
        shop_id=run.shop_id,
        product_ids=list(run.product_ids),
        status=run.status,
        compensation_multiple=run.compensation_multiple,
        window_days=run.window_days,
        reason=run.reason,
        started_by=run.started_by,
        total_orders=run.total_orders,
        refunded_orders=run.refunded_orders,
        skipped_orders=run.skipped_orders,
        failed_orders=run.failed_orders,
        pending_orders=max(run.total_orders - done - run.failed_orders, 0),
        buyers=int(buyers),
        refunded_fen=run.refunded_fen,
        compensation_fen=run.compensation_fen,
        compensation_funded_fen=run.compensation_funded_fen,
        compensation_owed_fen=run.compensation_owed_fen,
        percent=round(100.0 * done / run.total_orders, 1) if run.total_orders else 0.0,
        started_at=run.started_at,
        collected_at=run.collected_at,
        finished_at=run.finished_at,
        updated_at=run.updated_at,
    )
