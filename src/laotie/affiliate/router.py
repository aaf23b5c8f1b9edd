from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from laotie.affiliate import service
from laotie.affiliate.schemas import (
    EarningsOut,
    MarketItem,
    OfferChangeOut,
    OfferIn,
    OfferOut,
    ShowcaseIn,
    ShowcaseOut,
)
from laotie.core.auth import AnyUser, Principal, PublicAccess, Role, require_roles
from laotie.core.http import DbSession, PathId
from laotie.core.idempotency import idempotency_key_header
from laotie.core.pagination import Page, PageParams, page_params
from laotie.settlement.schemas import (
    PayoutAccountIn,
    PayoutAccountOut,
    WithdrawalDetail,
    WithdrawalIn,
    WithdrawalOut,
    WithdrawalStatus,
)

router = APIRouter(prefix="/api/v1", tags=["affiliate"])
Creator = require_roles(Role.CREATOR)
IdempotencyKey = idempotency_key_header("retry with the same key: paid once")


# Merchants: their shop's offers. Membership is checked in the service.


@router.get("/shops/{shop_id}/alliance/offers", response_model=list[OfferOut])
def shop_offers(session: DbSession, shop_id: PathId, principal: Principal = AnyUser) -> list[OfferOut]:
    return service.shop_offers(session, principal, shop_id)


@router.put("/shops/{shop_id}/alliance/offers/{product_id}", response_model=OfferOut)
def set_offer(
    session: DbSession, shop_id: PathId, product_id: PathId, body: OfferIn, principal: Principal = AnyUser
) -> OfferOut:
    """Offer the product to creators at ``rate_bp``, or change its rate (idempotent for the same rate)."""
    return service.set_offer(session, principal, shop_id, product_id, body.rate_bp)


@router.delete("/shops/{shop_id}/alliance/offers/{product_id}", response_model=OfferOut)
def withdraw_offer(
    session: DbSession, shop_id: PathId, product_id: PathId, principal: Principal = AnyUser
) -> OfferOut:
    return service.withdraw_offer(session, principal, shop_id, product_id)


@router.get("/shops/{shop_id}/alliance/offers/{product_id}/history", response_model=list[OfferChangeOut])
def offer_history(
    session: DbSession, shop_id: PathId, product_id: PathId, principal: Principal = AnyUser
) -> list[OfferChangeOut]:
    return service.offer_history(session, principal, shop_id, product_id)


# Creators: the market, their showcase and earnings.


@router.get("/alliance/market", response_model=Page[MarketItem])
def market(
    session: DbSession, params: PageParams = Depends(page_params), _: object = PublicAccess
) -> Page[MarketItem]:
    return service.market(session, params)


@router.get("/creators/{creator_id}/showcase", response_model=ShowcaseOut)
def showcase(session: DbSession, creator_id: PathId, _: object = PublicAccess) -> ShowcaseOut:
    return service.showcase(session, creator_id)


@router.post("/creator/showcase", response_model=ShowcaseOut)
def add_to_showcase(session: DbSession, body: ShowcaseIn, principal: Principal = Creator) -> ShowcaseOut:
    return service.add_to_showcase(session, principal, body.product_id)


@router.delete("/creator/showcase/{product_id}", response_model=ShowcaseOut)
def remove_from_showcase(
    session: DbSession, product_id: PathId, principal: Principal = Creator
) -> ShowcaseOut:
    return service.remove_from_showcase(session, principal, product_id)


@router.get("/creator/earnings", response_model=EarningsOut)
def earnings(
    session: DbSession, params: PageParams = Depends(page_params), principal: Principal = Creator
) -> EarningsOut:
    return service.earnings(session, principal, params)


# Creators: settled commission out to their bank account (提现), like a shop's withdrawal.


@router.get("/creator/payout-account", response_model=PayoutAccountOut | None)
def creator_payout_account(session: DbSession, principal: Principal = Creator) -> PayoutAccountOut | None:
    """The creator's payout account, masked; null when none is set."""
    return service.creator_payout_account(session, principal)


@router.put("/creator/payout-account", response_model=PayoutAccountOut)
def set_creator_payout_account(
    session: DbSession, body: PayoutAccountIn, principal: Principal = Creator
) -> PayoutAccountOut:
    """The creator sets the bank account commission withdrawals go to."""
    return service.set_creator_payout_account(session, principal, body)


@router.post("/creator/withdrawals", response_model=WithdrawalOut, status_code=201)
def withdraw_commission(
    session: DbSession,
    body: WithdrawalIn,
    response: Response,
    principal: Principal = Creator,
    idempotency_key: str = IdempotencyKey,
) -> WithdrawalOut:
    """The creator withdraws settled commission. A retry with the same Idempotency-Key answers 200
    with the same withdrawal."""
    out = service.withdraw_commission(session, principal, body.amount_fen, idempotency_key)
    if out.replayed:
        response.status_code = 200
    return out


@router.get("/creator/withdrawals", response_model=Page[WithdrawalOut])
def commission_withdrawals(
    session: DbSession,
    status: WithdrawalStatus | None = None,
    params: PageParams = Depends(page_params),
    principal: Principal = Creator,
) -> Page[WithdrawalOut]:
    return service.commission_withdrawals(session, principal, params, status)


@router.get("/creator/withdrawals/{withdrawal_id}", response_model=WithdrawalDetail)
def commission_withdrawal(
    session: DbSession, withdrawal_id: PathId, principal: Principal = Creator
) -> WithdrawalDetail:
    return service.commission_withdrawal(session, principal, withdrawal_id)
