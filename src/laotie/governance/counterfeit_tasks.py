"""The counterfeit procedure in the background: the job that moves open runs forward, and the
listener that starts a run when a counterfeit case is decided against a shop.

Handled: ``CaseDecided`` (violation_kind "counterfeit", outcome ``CaseStatus.VIOLATION``); both are registered
in ``events.register``.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from laotie.core.auth import Principal, Role
from laotie.core.errors import AppError
from laotie.events.governance import CaseDecided
from laotie.governance import counterfeit
from laotie.governance.counterfeit_refund import active_run_ids, collect_page, refund_batch
from laotie.governance.models import Case, CaseStatus
from laotie.governance.models_integrity import CounterfeitRun, CounterfeitRunStatus

log = logging.getLogger(__name__)


def advance_runs(session: Session) -> None:
    """One step of the oldest open run per tick (a page collected or a batch refunded), so a run
    started from the web finishes without anyone at a terminal; the CLI may drive it at once."""
    for run_id in active_run_ids(session)[:1]:
        run = session.get(CounterfeitRun, run_id)
        if run is not None and run.status == CounterfeitRunStatus.COLLECTING:
            collect_page(session, run_id)
        else:
            refund_batch(session, run_id)


def decider_of(session: Session, payload: dict[str, object]) -> int | None:
    """Who decided the case: the procedure acts in their name (the payload does not carry it)."""
    case = session.get(Case, int(str(payload["case_id"])))
    return case.decided_by if case is not None else None


def on_case_decided(session: Session, ev: CaseDecided) -> None:
    p = ev.payload()
    if p.get("violation_kind") != "counterfeit" or p.get("outcome") != CaseStatus.VIOLATION:
        return
    product_ids = [int(x) for x in p.get("product_ids") or []]
    actor = decider_of(session, p)
    if not product_ids or p.get("shop_id") is None or actor is None:
        log.warning("counterfeit case %s decided without shop, products or decider", p.get("case_id"))
        return
    staff = Principal(user_id=actor, roles=frozenset({Role.GOVERNANCE}))
    try:
        counterfeit.start(
            session,
            staff,
            shop_id=int(p["shop_id"]),
            product_ids=product_ids,
            reason=f"案件 #{p['case_id']} 认定售假（{p.get('rule_code') or ''}）",
            case_id=int(p["case_id"]),
            campaign_id=int(p["campaign_id"]) if p.get("campaign_id") is not None else None,
        )
    except AppError as exc:
        if exc.code != "COUNTERFEIT_RUN_EXISTS":  # a redelivered event: already started
            raise
