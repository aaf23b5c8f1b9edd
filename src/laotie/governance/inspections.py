"""神秘买家 / 品控: inspection plans sample shops or categories, the samples are bought like any
buyer's order, staff enter what the lab found, and a failure opens a governance case.

The inspector is an ordinary buyer account the platform holds (buyer role only): its orders go
through ``orders.checkout`` and the cashier exactly like anyone's, so the merchant cannot tell them
apart. Lab results are keyed by the order; an order no inspection placed is INSPECTION_NOT_FOUND.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from laotie.addresses import service as addresses
from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal, Role
from laotie.core.errors import AppError, ErrorKind
from laotie.core.ids import Id
from laotie.core.numbers import StrictInt
from laotie.core.pagination import PageParams
from laotie.governance import cases
from laotie.governance.counterfeit import audit
from laotie.governance.models_integrity import Inspection, InspectionPlan, InspectionStatus
from laotie.orders import service as orders
from laotie.orders.schemas import CheckoutIn, LineIn

INSPECTION_NOT_FOUND = ErrorKind(
    "INSPECTION_NOT_FOUND", 404, "没有与该订单对应的抽检", "No inspection placed this order"
)
INSPECTION_PLAN_NOT_FOUND = ErrorKind(
    "INSPECTION_PLAN_NOT_FOUND", 404, "抽检计划不存在", "Inspection plan not found"
)
INSPECTION_DECIDED = ErrorKind(
    "INSPECTION_DECIDED", 409, "该抽检已录入结果", "This inspection already has its result"
)
INSPECTOR_INVALID = ErrorKind(
    "INSPECTOR_INVALID",
    422,
    "抽检账号须为有收货地址的普通买家账号",
    "The inspector must be a buyer account with an address",
)


class PlanIn(BaseModel):
    name: str = Field(min_length=1, max_length=60)
    target_kind: str = Field(pattern="^(shop|category)$")
    target_ids: list[Id] = Field(min_length=1, max_length=50)
    sample_size: StrictInt = Field(ge=1, le=50)
    inspector_id: Id
    campaign_id: Id | None = None


class PlanOut(BaseModel):
    id: int
    name: str
    target_kind: str
    target_ids: list[int]
    sample_size: int
    inspector_id: int
    campaign_id: int | None
    created_at: datetime


class ResultIn(BaseModel):
    passed: bool
    lab_name: str = Field(min_length=1, max_length=60)
    report: str = Field(min_length=1, max_length=5000, description="what the lab found")


class InspectionOut(BaseModel):
    id: int
    plan_id: int
    shop_id: int
    product_id: int
    category_id: int
    order_id: int | None
    status: str
    lab_name: str
    lab_report: str
    case_id: int | None
    created_at: datetime
    result_at: datetime | None


class CategoryRate(BaseModel):
    category_id: int
    inspected: int
    passed: int
    pass_rate: float | None


def plan_out(row: InspectionPlan) -> PlanOut:
    return PlanOut.model_validate(row, from_attributes=True)


def inspection_out(row: Inspection) -> InspectionOut:
    return InspectionOut.model_validate(row, from_attributes=True)


def create_plan(session: Session, staff: Principal, body: PlanIn) -> PlanOut:
    book = addresses.list_addresses(session, body.inspector_id)
    if not book:
        raise INSPECTOR_INVALID()
    row = InspectionPlan(
        name=body.name.strip(),
        target_kind=body.target_kind,
        target_ids=sorted(set(body.target_ids)),
        sample_size=body.sample_size,
        inspector_id=body.inspector_id,
        address_id=book[0].id,
        campaign_id=body.campaign_id,
        created_by=staff.user_id,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    audit(session, "inspection_plan", row.id, staff.user_id, "created", row.name, body.model_dump())
    return plan_out(row)


def _candidates(session: Session, plan: InspectionPlan) -> list[int]:
    ids: list[int] = []
    for target in plan.target_ids:
        kw = {"shop_id": target} if plan.target_kind == "shop" else {"category_id": target}
        try:
            page = catalog.list_listed(session, PageParams(limit=100, offset=0), **kw)  # type: ignore[arg-type]
        except AppError:
            continue  # a target that no longer exists samples nothing
        ids += [card.id for card in page.items]
    return sorted(set(ids))


def sample(session: Session, staff: Principal, plan_id: int, seed: int | None = None) -> list[InspectionOut]:
    """Pick up to ``sample_size`` listed products of the plan's targets and order one of each as the
    inspector, like any buyer (the inspector then pays at the cashier). Products out of stock or
    refused at checkout are skipped."""
    plan = session.get(InspectionPlan, plan_id)
    if plan is None:
        raise INSPECTION_PLAN_NOT_FOUND(plan_id=plan_id)
    pool = _candidates(session, plan)
    random.Random(seed).shuffle(pool)
    inspector = Principal(user_id=plan.inspector_id, roles=frozenset({Role.BUYER}))
    placed: list[InspectionOut] = []
    for product_id in pool:
        if len(placed) >= plan.sample_size:
            break
        product = catalog.get_listed(session, product_id)
        sku = next((s for s in product.skus if s.active and s.stock > 0), None)
        if sku is None:
            continue
        body = CheckoutIn(
            lines=[LineIn(sku_id=sku.id, quantity=1, expected_unit_price_fen=sku.price_fen)],
            address_id=plan.address_id,
        )
        try:
            with session.begin_nested():
                out = orders.checkout(session, inspector, body, f"inspection-{plan.id}-{uuid.uuid4().hex}")
        except AppError:
            continue
        row = Inspection(
            plan_id=plan.id,
            shop_id=product.shop_id,
            product_id=product.id,
            category_id=product.category_id,
            order_id=out.orders[0].id,
            status=InspectionStatus.ORDERED,
            lab_name="",
            lab_report="",
            created_at=clock.now(),
        )
        session.add(row)
        session.flush()
        placed.append(inspection_out(row))
    audit(session, "inspection_plan", plan.id, staff.user_id, "sampled", f"下单 {len(placed)} 件")
    return placed


def enter_result(session: Session, staff: Principal, order_id: int, body: ResultIn) -> InspectionOut:
    """The lab's verdict on the order's sample. A failure opens a case with the report as evidence."""
    row = session.scalar(select(Inspection).where(Inspection.order_id == order_id).with_for_update())
    if row is None:
        raise INSPECTION_NOT_FOUND(order_id=order_id)
    if row.status != InspectionStatus.ORDERED:
        raise INSPECTION_DECIDED()
    row.status = InspectionStatus.PASSED if body.passed else InspectionStatus.FAILED
    row.lab_name, row.lab_report = body.lab_name.strip(), body.report.strip()
    row.result_by, row.result_at = staff.user_id, clock.now()
    session.flush()
    if not body.passed:
        row.case_id = _open_case(session, staff, row)
    audit(session, "inspection", row.id, staff.user_id, row.status, body.report[:500], {"order_id": order_id})
    session.flush()
    return inspection_out(row)


def _open_case(session: Session, staff: Principal, row: Inspection) -> int:
    """A failed sample is a case against the shop under CTF-05 (神秘买家抽检不合格), the lab's
    report as evidence shown to the merchant; tagged with the plan's campaign."""
    plan = session.get(InspectionPlan, row.plan_id)
    case = cases.open_case(
        session,
        source="inspection",
        subject_kind="product",
        subject_id=row.product_id,
        shop_id=row.shop_id,
        product_id=row.product_id,
        rule_code="CTF-05",
        summary=f"神秘买家抽检不合格（{row.lab_name}）：{row.lab_report}"[:1000],
        evidence=[
            {
                "kind": "inspection",
                "note": f"{row.lab_name}检测报告：{row.lab_report}"[:1000],
                "order_id": row.order_id,
                "data": {"inspection_id": row.id, "plan_id": row.plan_id, "lab": row.lab_name},
            }
        ],
        campaign_id=plan.campaign_id if plan else None,
        actor_id=staff.user_id,
    )
    return int(case.id)


def plans(session: Session) -> list[PlanOut]:
    return [plan_out(r) for r in session.scalars(select(InspectionPlan).order_by(InspectionPlan.id.desc()))]


def inspections(
    session: Session, status: InspectionStatus | None = None, limit: int = 200
) -> list[InspectionOut]:
    query = select(Inspection).order_by(Inspection.id.desc()).limit(limit)
    if status:
        query = query.where(Inspection.status == status)
    return [inspection_out(r) for r in session.scalars(query)]


def pass_rates(session: Session) -> list[CategoryRate]:
    """Per category: samples with a result, how many passed, and the share."""
    rows = session.execute(
        select(
            Inspection.category_id,
            func.count(),
            func.sum(case((Inspection.status == InspectionStatus.PASSED, 1), else_=0)),
        )
        .where(Inspection.status.in_((InspectionStatus.PASSED, InspectionStatus.FAILED)))
        .group_by(Inspection.category_id)
        .order_by(Inspection.category_id)
    ).all()
    return [
        CategoryRate(
            category_id=int(cat),
            inspected=int(n),
            passed=int(ok or 0),
            pass_rate=round(100.0 * int(ok or 0) / int(n), 1) if n else None,
        )
        for cat, n, ok in rows
    ]
