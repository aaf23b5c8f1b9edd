"""A shop's money over HTTP: balance and statement, payout account, withdrawals (提现)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from laotie.core.auth import AnyUser, Principal
from laotie.core.http import DbSession
from laotie.core.idempotency import idempotency_key_header
from laotie.core.pagination import Page, PageParams, page_params
from laotie.settlement import service
from laotie.settlement.schemas import (
    BalanceOut,
    PayoutAccountIn,
    PayoutAccountOut,
    SettlementEventOut,
    WithdrawalDetail,
    WithdrawalIn,
    WithdrawalOut,
    WithdrawalStatus,
)
from laotie.shops.schemas import MAX_ID

router = APIRouter(prefix="/api/v1/shops/{shop_id}", tags=["settlement"])

# Ids past BIGINT would reach the database as an overflow error instead of a clean 404 or 422.
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
IdempotencyKey = idempotency_key_header("retry with the same key: paid once")


@router.get("/balance", response_model=BalanceOut)
def balance(
    session: DbSession, shop_id: Id, params: PageParams = Depends(page_params), principal: Principal = AnyUser
) -> BalanceOut:
    """待结算 pending, 可提现 available, withdrawals on their way, and a page of the statement."""
    return service.shop_balance(session, principal, shop_id, params)


@router.get("/payout-account", response_model=PayoutAccountOut | None)
def get_payout_account(
    session: DbSession, shop_id: Id, principal: Principal = AnyUser
) -> PayoutAccountOut | None:
    """The owner's payout account, masked; null when none is set."""
    return service.get_payout_account(session, principal, shop_id)


@router.put("/payout-account", response_model=PayoutAccountOut)
def set_payout_account(
    session: DbSession, shop_id: Id, body: PayoutAccountIn, principal: Principal = AnyUser
) -> PayoutAccountOut:
    """The owner sets the bank account withdrawals go to."""
    return service.set_payout_account(session, principal, shop_id, body)


@router.post("/withdrawals", response_model=WithdrawalOut, status_code=201)
def request_withdrawal(
    session: DbSession,
    shop_id: Id,
    body: WithdrawalIn,
    response: Response,
    principal: Principal = AnyUser,
    idempotency_key: str = IdempotencyKey,
) -> WithdrawalOut:
    """The owner withdraws available money to the payout account. A retry with the same
    Idempotency-Key answers 200 with the same withdrawal."""
    out = service.request_withdrawal(session, principal, shop_id, body.amount_fen, idempotency_key)
    if out.replayed:
        response.status_code = 200
    return out


@router.get("/withdrawals", response_model=Page[WithdrawalOut])
def list_withdrawals(
    session: DbSession,
    shop_id: Id,
    status: WithdrawalStatus | None = None,
    params: PageParams = Depends(page_params),
    principal: Principal = AnyUser,
) -> Page[WithdrawalOut]:
    return service.list_withdrawals(session, principal, shop_id, params, status)


@router.get("/withdrawals/{withdrawal_id}", response_model=WithdrawalDetail)
def get_withdrawal(
    session: DbSession, shop_id: Id, withdrawal_id: Id, principal: Principal = AnyUser
) -> WithdrawalDetail:
    return service.get_withdrawal(session, principal, shop_id, withdrawal_id)


@router.get("/settlement-events", response_model=list[SettlementEventOut])
def settlement_events(
    session: DbSession, shop_id: Id, principal: Principal = AnyUser
) -> list[SettlementEventOut]:
    """The trail of the shop's payout account changes and withdrawals."""
    return service.settlement_trail(session, principal, shop_id)
