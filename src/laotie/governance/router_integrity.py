"""HTTP API of the integrity side of governance (staff): counterfeit procedures and their bulk
refunds, brand authorisations, mystery-buyer inspections and crackdown campaigns."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from laotie.core.auth import Principal, Role, require_roles
from laotie.core.http import PathId, get_session
from laotie.governance import counterfeit, counterfeit_refund
from laotie.governance import counterfeit_tasks as _tasks  # noqa: F401  (job and listener register)
from laotie.governance.counterfeit_schemas import RunOut, RunStart

router = APIRouter(prefix="/api/v1/governance", tags=["governance"])
Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)


@router.post("/counterfeit-runs", response_model=RunOut, status_code=201)
def start_counterfeit_run(
    body: RunStart, session: Session = Depends(get_session), staff: Principal = Staff
) -> RunOut:
    """Start the counterfeit procedure: withdrawals frozen, goods off the shelf, every open and
    recently completed order of the products refunded in the background (a second start of the
    same case: 409 COUNTERFEIT_RUN_EXISTS)."""
    out = counterfeit.start(
        session,
        staff,
        shop_id=body.shop_id,
        product_ids=body.product_ids,
        reason=body.reason,
        case_id=body.case_id,
        campaign_id=body.campaign_id,
        compensation_multiple=body.compensation_multiple,
        window_days=body.window_days,
    )
    session.commit()
    return out


@router.get("/counterfeit-runs", response_model=list[RunOut])
def counterfeit_runs(session: Session = Depends(get_session), staff: Principal = Staff) -> list[RunOut]:
    return counterfeit.list_runs(session)


@router.get("/counterfeit-runs/{run_id}", response_model=RunOut)
def counterfeit_run(
    run_id: PathId, session: Session = Depends(get_session), staff: Principal = Staff
) -> RunOut:
    """A run's progress, and its final report once done."""
    return counterfeit.get_run(session, run_id)


@router.post("/counterfeit-runs/{run_id}/retry-failed", response_model=RunOut)
def retry_failed(run_id: PathId, session: Session = Depends(get_session), staff: Principal = Staff) -> RunOut:
    counterfeit_refund.retry_failed(session, run_id, staff.user_id)
    session.commit()
    return counterfeit.get_run(session, run_id)
