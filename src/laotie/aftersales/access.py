"""Who may see or act on a case: its buyer, the shop's members, governance staff. Anyone else is
told the case does not exist."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.aftersales import errors
from laotie.aftersales.models import Case, Party
from laotie.aftersales.state import load
from laotie.core.auth import Principal
from laotie.core.errors import AppError
from laotie.shops import service as shops


def is_member(session: Session, shop_id: int, principal: Principal) -> bool:
    try:
        shops.require_shop_member(session, shop_id, principal)
    except AppError:
        return False
    return True


def party_of(session: Session, case: Case, principal: Principal) -> Party | None:
    if case.buyer_id == principal.user_id:
        return Party.BUYER
    if is_member(session, case.shop_id, principal):
        return Party.MERCHANT
    if principal.is_staff:
        return Party.STAFF
    return None


def visible_case(session: Session, principal: Principal, case_id: int) -> tuple[Case, Party]:
    case = load(session, case_id)
    party = party_of(session, case, principal)
    if party is None:
        raise errors.CASE_NOT_FOUND(case_id=case_id)
    return case, party


def buyer_case(session: Session, principal: Principal, case_id: int) -> Case:
    case = load(session, case_id)
    if case.buyer_id != principal.user_id:
        raise errors.CASE_NOT_FOUND(case_id=case_id)
    return case


def merchant_case(session: Session, principal: Principal, case_id: int) -> Case:
    case = load(session, case_id)
    if not is_member(session, case.shop_id, principal):
        raise errors.CASE_NOT_FOUND(case_id=case_id)
    return case
