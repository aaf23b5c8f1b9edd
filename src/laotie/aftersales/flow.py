"""The steps after a case is opened: merchant answers, the buyer ships back, receipt, refund, and
the timeouts that decide for the buyer when the merchant stays silent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.aftersales import errors
from laotie.aftersales.access import buyer_case, merchant_case, visible_case
from laotie.aftersales.models import Case, CaseKind, CaseReason, CaseStatus, Party
from laotie.aftersales.models import CaseEventKind as E
from laotie.aftersales.opening import refund_case
from laotie.aftersales.schemas import MERCHANT_FAULT, CaseOut, ShipBackIn
from laotie.aftersales.state import case_out, load, move, record, screen_message
from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.errors import AppError
from laotie.orders import service as orders
from laotie.orders.schemas import OrderEventKind
from laotie.settings import get_settings

S = CaseStatus


def _hours(n: int) -> timedelta:
    return timedelta(hours=n)


def shipping_comp(case: Case) -> int:
    """Return shipping the merchant pays back: only for its own fault, capped."""
    if case.kind != CaseKind.RETURN or case.reason not in MERCHANT_FAULT:
        return 0
    return min(case.return_shipping_fen, get_settings().return_shipping_cap_fen)


def approve(session: Session, principal: Principal, case_id: int) -> CaseOut:
    """同意: a return waits for the buyer to send it back; a refund-only claim is paid now."""
    case = merchant_case(session, principal, case_id)
    if case.kind == CaseKind.REFUND_ONLY:
        refund_case(
            session, case.id, case.amount_fen, principal.user_id, Party.MERCHANT, E.APPROVED, "商家同意仅退款"
        )
    else:
        move(session, case.id, S.APPROVED, principal.user_id, Party.MERCHANT, E.APPROVED, "商家同意退货")
    return case_out(session, load(session, case.id))


def reject(session: Session, principal: Principal, case_id: int, note: str) -> CaseOut:
    """拒绝 a request, or a return that arrived wrong; the buyer may escalate to the platform."""
    case = merchant_case(session, principal, case_id)
    move(session, case.id, S.REJECTED, principal.user_id, Party.MERCHANT, E.REJECTED, note or "商家拒绝")
    screen_message(session, case.id, principal.user_id, note)
    return case_out(session, load(session, case.id))


def ship_back(session: Session, principal: Principal, case_id: int, body: ShipBackIn) -> CaseOut:
    case = buyer_case(session, principal, case_id)
    settings = get_settings()
    arrive = _hours(settings.return_transit_hours + settings.aftersales_merchant_hours)
    move(
        session,
        case.id,
        S.RETURNING,
        principal.user_id,
        Party.BUYER,
        E.SHIPPED_BACK,
        f"{body.carrier} {body.tracking_no}",
        extra={
            "return_carrier": body.carrier,
            "return_tracking_no": body.tracking_no,
            "return_shipping_fen": body.shipping_fen,
        },
        deadline_at=clock.now() + arrive,
        data={"shipping_fen": body.shipping_fen},
    )
    return case_out(session, load(session, case.id))


def receive(session: Session, principal: Principal | None, case_id: int, damaged: bool = False) -> CaseOut:
    """The merchant confirms the return arrived; the refund is due within the refund deadline.

    A 七天无理由 return comes back resellable, so its units go back on sale here (``restock``);
    the merchant may say it arrived damaged (``damaged``), and then nothing is restocked."""
    case = merchant_case(session, principal, case_id) if principal else load(session, case_id)
    actor = principal.user_id if principal else None
    party = Party.MERCHANT if principal else Party.SYSTEM
    move(
        session,
        case.id,
        S.RECEIVED,
        actor,
        party,
        E.RECEIVED,
        "商家确认收到退货" if principal else "退货已签收，超时自动确认",
        deadline_at=clock.now() + _hours(get_settings().aftersales_refund_hours),
        data={"damaged": True} if damaged else None,
    )
    # Only the caller whose move won gets here (the move is one conditional UPDATE), so this runs
    # once per case however many receipts race.
    restock(session, case, actor, party, damaged)
    return case_out(session, load(session, case.id))


def restock(session: Session, case: Case, actor_id: int | None, party: Party, damaged: bool) -> None:
    """Put a received no-reason return's units back on the SKUs' stock, atomically (one conditional
    ``stock = stock + n`` per SKU, in SKU order). A fault return (quality, wrong item, damage) is not
    resellable as it stands and is left to the merchant; so is a return the merchant marks damaged."""
    if case.kind != CaseKind.RETURN or case.reason != CaseReason.NO_REASON:
        return
    units: dict[int, int] = {}
    for line in case.lines:
        units[int(line["sku_id"])] = units.get(int(line["sku_id"]), 0) + int(line["quantity"])
    if damaged:
        record(session, case.id, E.NOT_RESTOCKED, actor_id, party, None, None, "退货商品破损，不回库存")
        return
    for sku_id, quantity in sorted(units.items()):
        if quantity > 0:
            catalog.return_stock(session, sku_id, quantity)
    record(
        session,
        case.id,
        E.RESTOCKED,
        actor_id,
        party,
        None,
        None,
        "退货商品已回库存",
        {"units": {str(k): v for k, v in sorted(units.items())}},
    )


def refund_received(session: Session, principal: Principal, case_id: int) -> CaseOut:
    case = merchant_case(session, principal, case_id)
    if case.status != S.RECEIVED:
        raise errors.INVALID_CASE_STATE(status=case.status.value, action="退款", case_id=case_id)
    refund_case(
        session,
        case.id,
        case.amount_fen,
        principal.user_id,
        Party.MERCHANT,
        E.REFUNDED,
        "商家退款",
        shipping_comp_fen=shipping_comp(case),
    )
    return case_out(session, load(session, case.id))


def cancel(session: Session, principal: Principal, case_id: int) -> CaseOut:
    case = buyer_case(session, principal, case_id)
    move(session, case.id, S.CANCELLED, principal.user_id, Party.BUYER, E.CANCELLED, "买家撤销申请")
    return case_out(session, load(session, case.id))


def escalate(session: Session, principal: Principal, case_id: int, note: str) -> CaseOut:
    """平台介入: either party hands the case to governance staff."""
    case, party = visible_case(session, principal, case_id)
    if party not in (Party.BUYER, Party.MERCHANT):
        raise errors.CASE_NOT_FOUND(case_id=case_id)
    move(
        session,
        case.id,
        S.DISPUTED,
        principal.user_id,
        party,
        E.ESCALATED,
        note or "申请平台介入",
        extra={"escalated_by": party.value},
    )
    screen_message(session, case.id, principal.user_id, note)
    orders.note(
        session,
        case.order_id,
        OrderEventKind.AFTERSALES_DISPUTED,
        principal.user_id,
        f"售后单{case.id}申请平台介入",
    )
    return case_out(session, load(session, case.id))


def _due(session: Session, status: CaseStatus, kind: CaseKind | None, limit: int) -> list[int]:
    query = select(Case.id).where(Case.status == status, Case.deadline_at <= clock.now())
    if kind is not None:
        query = query.where(Case.kind == kind)
    return list(session.scalars(query.order_by(Case.deadline_at, Case.id).limit(limit)))


def run_timeouts(session: Session, limit: int = 200) -> dict[str, list[int]]:
    """What the 48-hour rules decide when nobody acted. Each case in its own savepoint: one that
    cannot be paid now (a provider outage) is retried next time and blocks no other."""
    done: dict[str, list[int]] = {"approved": [], "refunded": [], "received": []}
    for case_id in _due(session, S.REQUESTED, CaseKind.RETURN, limit):
        if move(
            session,
            case_id,
            S.APPROVED,
            None,
            Party.SYSTEM,
            E.AUTO_APPROVED,
            "商家超时未处理，系统自动同意",
            strict=False,
        ):
            done["approved"].append(case_id)
    for case_id in _due(session, S.RETURNING, None, limit):
        if _try(session, lambda c=case_id: receive(session, None, c) is not None):
            done["received"].append(case_id)
    for case_id in _due(session, S.REQUESTED, CaseKind.REFUND_ONLY, limit):
        case = load(session, case_id)
        if _try(
            session,
            lambda c=case: refund_case(
                session,
                c.id,
                c.amount_fen,
                None,
                Party.SYSTEM,
                E.AUTO_REFUNDED,
                "商家超时未处理，系统自动退款",
                strict=False,
            ),
        ):
            done["refunded"].append(case_id)
    for case_id in _due(session, S.RECEIVED, None, limit):
        case = load(session, case_id)
        if _try(
            session,
            lambda c=case: refund_case(
                session,
                c.id,
                c.amount_fen,
                None,
                Party.SYSTEM,
                E.AUTO_REFUNDED,
                "商家超时未退款，系统自动退款",
                shipping_comp_fen=shipping_comp(c),
                strict=False,
            ),
        ):
            done["refunded"].append(case_id)
    return done


def _try(session: Session, step: object) -> bool:
    savepoint = session.begin_nested()
    try:
        result = bool(step())  # type: ignore[operator]
    except AppError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return result
