"""Lists: the buyer's cases, a shop's 售后 queue, the governance 纠纷 queue."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.aftersales.access import visible_case
from laotie.aftersales.models import Case, CaseStatus
from laotie.aftersales.schemas import CaseOut
from laotie.aftersales.state import case_out
from laotie.core.auth import Principal
from laotie.core.pagination import Page, PageParams
from laotie.shops import service as shops


def _page(session: Session, where: list[object], params: PageParams) -> Page[CaseOut]:
    total = session.scalar(select(func.count()).select_from(Case).where(*where)) or 0  # type: ignore[arg-type]
    rows = session.scalars(
        select(Case).where(*where).order_by(Case.id.desc()).limit(params.limit).offset(params.offset)  # type: ignore[arg-type]
    ).all()
    return Page(
        items=[case_out(session, c, detail=False) for c in rows],
        total=total,
        limit=params.limit,
        offset=params.offset,
    )


def buyer_cases(
    session: Session, buyer: Principal, params: PageParams, order_id: int | None = None
) -> Page[CaseOut]:
    where: list[object] = [Case.buyer_id == buyer.user_id]
    if order_id is not None:
        where.append(Case.order_id == order_id)
    return _page(session, where, params)


def shop_cases(
    session: Session, principal: Principal, shop_id: int, params: PageParams, status: CaseStatus | None = None
) -> Page[CaseOut]:
    shops.require_shop_member(session, shop_id, principal)
    where: list[object] = [Case.shop_id == shop_id]
    if status is not None:
        where.append(Case.status == status)
    return _page(session, where, params)


def governance_queue(session: Session, params: PageParams, status: CaseStatus | None = None) -> Page[CaseOut]:
    wanted = [status] if status is not None else [CaseStatus.DISPUTED, CaseStatus.IN_REVIEW]
    return _page(session, [Case.status.in_(wanted)], params)


def get_case(session: Session, principal: Principal, case_id: int) -> CaseOut:
    case, _ = visible_case(session, principal, case_id)
    return case_out(session, case)
