"""The counterfeit procedure (售假处置): freeze the shop's withdrawals, take its goods off the shelf,
and refund every open and recently completed order of the fake products in bulk.

Starting (``start``) does the immediate part in one transaction and writes the run row; the refunds
are done by ``counterfeit_refund`` in batches (``laotie governance counterfeit-refund``, or the
background job). A second start for the same case (or, without a case, the same shop and products)
is refused with COUNTERFEIT_RUN_EXISTS: a unique ``subject_key`` decides between racing starts.

The rule decides compensation: 假一赔三 pays three times the fake goods' price on top of the refund
(``compensation_multiple`` 3); staff may set 0 where the rule gives refunds only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.catalog.schemas import ProductStatus
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.errors import AppError, ErrorKind
from laotie.core.events import emit
from laotie.events.governance import CounterfeitRunStarted
from laotie.governance import cases
from laotie.governance.counterfeit_schemas import RunOut, run_out
from laotie.governance.models import CaseStatus
from laotie.governance.models_integrity import CounterfeitRun, CounterfeitRunStatus, IntegrityEvent
from laotie.shops import service as shops

COUNTERFEIT_RUN_EXISTS = ErrorKind(
    "COUNTERFEIT_RUN_EXISTS",
    409,
    "该案件的售假退款已经启动，不能重复启动（运行 #{run_id}）",
    "The counterfeit refund of this case has already been started (run #{run_id})",
)
COUNTERFEIT_RUN_NOT_FOUND = ErrorKind(
    "COUNTERFEIT_RUN_NOT_FOUND", 404, "售假退款任务不存在", "Counterfeit refund run not found"
)
COUNTERFEIT_PRODUCT_NOT_IN_SHOP = ErrorKind(
    "COUNTERFEIT_PRODUCT_NOT_IN_SHOP",
    422,
    "商品 {product_id} 不属于店铺 {shop_id}",
    "Product {product_id} is not the shop {shop_id}'s",
)
COUNTERFEIT_REASON_REQUIRED = ErrorKind(
    "COUNTERFEIT_REASON_REQUIRED", 422, "请填写处置理由", "Give the reason for the procedure"
)

DEFAULT_WINDOW_DAYS = 90  # completed orders this recent are refunded too (the buyer may still hold fakes)
SELLABLE = [ProductStatus.LISTED, ProductStatus.IN_REVIEW, ProductStatus.DELISTED, ProductStatus.DRAFT]


def audit(
    session: Session,
    subject_kind: str,
    subject_id: int,
    actor_id: int | None,
    kind: str,
    note: str,
    data: Mapping[str, object] | None = None,
) -> None:
    session.add(
        IntegrityEvent(
            subject_kind=subject_kind,
            subject_id=subject_id,
            actor_id=actor_id,
            kind=kind,
            note=note[:2000],
            data=dict(data or {}),
            at=clock.now(),
        )
    )


def subject_key(shop_id: int, product_ids: list[int], case_id: int | None) -> str:
    if case_id is not None:
        return f"case:{case_id}"
    return f"shop:{shop_id}:" + ",".join(str(p) for p in sorted(set(product_ids)))[:150]


def existing_run(session: Session, key: str) -> CounterfeitRun | None:
    return session.scalar(select(CounterfeitRun).where(CounterfeitRun.subject_key == key))


def start(
    session: Session,
    staff: Principal,
    *,
    shop_id: int,
    product_ids: list[int],
    reason: str,
    case_id: int | None = None,
    campaign_id: int | None = None,
    compensation_multiple: int = 3,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> RunOut:
    """Freeze, take off the shelf, and open the refund run. Everything is checked before anything
    is written; the caller commits."""
    reason = reason.strip()
    if not reason:
        raise COUNTERFEIT_REASON_REQUIRED()
    wanted = sorted(set(product_ids))
    key = subject_key(shop_id, wanted, case_id)
    previous = existing_run(session, key)
    if previous is not None:
        raise COUNTERFEIT_RUN_EXISTS(run_id=previous.id)
    shop = shops.get_shop(session, shop_id)
    products = {pid: catalog.inspect_product(session, staff, pid) for pid in wanted}
    for pid, product in products.items():
        if product.shop_id != shop.id:
            raise COUNTERFEIT_PRODUCT_NOT_IN_SHOP(product_id=pid, shop_id=shop_id)
    now = clock.now()
    run = CounterfeitRun(
        subject_key=key,
        case_id=case_id,
        campaign_id=campaign_id,
        shop_id=shop_id,
        product_ids=wanted,
        status=CounterfeitRunStatus.COLLECTING,
        compensation_multiple=compensation_multiple,
        window_days=window_days,
        reason=reason,
        started_by=staff.user_id,
        collected_through=0,
        started_at=now,
        updated_at=now,
    )
    # The unique key is the lock: of two starts racing past the check above, one inserts.
    savepoint = session.begin_nested()
    try:
        session.add(run)
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        other = existing_run(session, key)
        raise COUNTERFEIT_RUN_EXISTS(run_id=other.id if other else 0) from None
    savepoint.commit()
    why = f"售假处置（运行 #{run.id}）：{reason}"
    frozen = _freeze(session, staff, shop_id, why)
    banned, delisted = _clear_shelf(session, staff, shop_id, wanted, why)
    audit(
        session,
        "counterfeit_run",
        run.id,
        staff.user_id,
        "started",
        reason,
        {
            "shop_id": shop_id,
            "product_ids": wanted,
            "case_id": case_id,
            "withdrawals_frozen_now": frozen,
            "banned": banned,
            "delisted": delisted,
            "compensation_multiple": compensation_multiple,
        },
    )
    emit(session, CounterfeitRunStarted(run_id=run.id, case_id=case_id, shop_id=shop_id, product_ids=wanted))
    session.flush()
    return run_out(session, run)


def _freeze(session: Session, staff: Principal, shop_id: int, why: str) -> bool:
    """冻结提现 through the settlement freeze that exists; already frozen is fine."""
    try:
        with session.begin_nested():
            shops.freeze_withdrawals(session, shop_id, staff, why)
        return True
    except AppError as exc:
        if exc.code != "WITHDRAWALS_ALREADY_FROZEN":
            raise
        return False


def _clear_shelf(
    session: Session, staff: Principal, shop_id: int, fake_ids: list[int], why: str
) -> tuple[list[int], list[int]]:
    """The fakes are banned (违规下架, never relisted); the shop's other listed goods are delisted
    until the case is settled."""
    banned: list[int] = []
    for pid in fake_ids:
        if catalog.inspect_product(session, staff, pid).status != ProductStatus.BANNED:
            catalog.ban(session, staff, pid, why)
            banned.append(pid)
    delisted: list[int] = []
    for pid in catalog.shop_product_ids(session, shop_id, [ProductStatus.LISTED]):
        if pid not in banned:
            catalog.staff_delist(session, staff, pid, why)
            delisted.append(pid)
    return banned, delisted


def load_run(session: Session, run_id: int) -> CounterfeitRun:
    run = session.get(CounterfeitRun, run_id, populate_existing=True)
    if run is None:
        raise COUNTERFEIT_RUN_NOT_FOUND(run_id=run_id)
    return run


def get_run(session: Session, run_id: int) -> RunOut:
    return run_out(session, load_run(session, run_id))


def list_runs(session: Session, shop_id: int | None = None, limit: int = 50) -> list[RunOut]:
    query = select(CounterfeitRun).order_by(CounterfeitRun.id.desc()).limit(limit)
    if shop_id is not None:
        query = query.where(CounterfeitRun.shop_id == shop_id)
    return [run_out(session, r) for r in session.scalars(query)]


def runs_for_campaign(session: Session, campaign_id: int, case_ids: list[int]) -> list[CounterfeitRun]:
    query = select(CounterfeitRun).where(
        (CounterfeitRun.campaign_id == campaign_id) | CounterfeitRun.case_id.in_(case_ids or [-1])
    )
    return list(session.scalars(query))


def completed_since(run: CounterfeitRun) -> datetime:
    from datetime import timedelta

    return run.started_at - timedelta(days=run.window_days)


COUNTERFEIT_CASE_NOT_DECIDED = ErrorKind(
    "COUNTERFEIT_CASE_NOT_DECIDED",
    409,
    "只有认定售假（违规成立）的案件才能启动售假处置",
    "Only a case decided as a counterfeit violation starts the counterfeit procedure",
)


def start_from_case(
    session: Session, staff: Principal, case_id: int, compensation_multiple: int = 3
) -> RunOut:
    """Staff start the procedure from a decided counterfeit case (the listener does the same on
    ``governance.case_decided``): its shop, its product, its campaign."""
    case = cases.load_case(session, case_id)
    if case.status != CaseStatus.VIOLATION or case.violation_kind != "counterfeit" or case.shop_id is None:
        raise COUNTERFEIT_CASE_NOT_DECIDED(case_id=case_id)
    if case.product_id is None:
        raise COUNTERFEIT_PRODUCT_NOT_IN_SHOP(product_id=0, shop_id=case.shop_id)
    return start(
        session,
        staff,
        shop_id=case.shop_id,
        product_ids=[case.product_id],
        reason=f"案件 #{case.id} 认定售假（{case.rule_code}）",
        case_id=case.id,
        campaign_id=case.campaign_id,
        compensation_multiple=compensation_multiple,
    )
