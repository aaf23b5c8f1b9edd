"""Creators, alliance offers, and orders a creator brought, paid through the sandbox PSP."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.affiliate import service as affiliate
from laotie.core.auth import Principal, Role
from laotie.core.db import Database
from laotie.orders.models import Channel
from laotie.orders.schemas import Attribution
from tests.factories import make_user
from tests.factories.catalog import owner_principal
from tests.factories.orders import Buyer, OnSale, checkout_and_pay, checkout_body, key, make_buyer
from tests.factories.shops import principal_of


@dataclass(frozen=True)
class Creator:
    user_id: int
    headers: dict[str, str]
    principal: Principal


def make_creator(session: Session, nickname: str = "带货达人") -> Creator:
    user_id, headers = make_user(session, Role.BUYER, Role.CREATOR, nickname=nickname)
    return Creator(user_id, headers, principal_of(session, user_id))


def offer(session: Session, sale: OnSale, rate_bp: int) -> None:
    affiliate.set_offer(
        session, owner_principal(session, sale.shop_id), sale.shop_id, sale.product_id, rate_bp
    )
    session.commit()


def place_paid(
    client: TestClient,
    app: FastAPI,
    db: Database,
    session: Session,
    sale: OnSale,
    attribution: Attribution,
    quantity: int = 1,
    buyer: Buyer | None = None,
    showcased: bool = True,
) -> int:
    """A paid order for ``quantity`` of ``sale`` with ``attribution``; returns the order id. The
    creator named puts the product in their showcase first (``showcased``): attribution is verified
    on the server, and a creator who never showcased the product earns nothing."""
    buyer = buyer or make_buyer(session)
    if showcased and attribution.creator_id is not None:
        showcase(session, attribution.creator_id, sale)
    body = checkout_body(buyer, (sale, quantity))
    body.attribution = attribution
    return checkout_and_pay(client, app, db, session, buyer, body).orders[0].id


def showcase(session: Session, creator_id: int, sale: OnSale) -> None:
    """The creator adds the product to their showcase (橱窗), if they can and have not already."""
    from sqlalchemy import select

    from laotie.affiliate.models import ShowcaseItem
    from laotie.core.errors import AppError

    if session.scalar(
        select(ShowcaseItem.id).where(
            ShowcaseItem.creator_id == creator_id, ShowcaseItem.product_id == sale.product_id
        )
    ):
        return
    try:
        affiliate.add_to_showcase(session, principal_of(session, creator_id), sale.product_id)
        session.commit()
    except AppError:
        session.rollback()  # not a creator, or nothing offered: the order will credit no one


def by_creator(creator: Creator) -> Attribution:
    return Attribution(channel=Channel.AFFILIATE, creator_id=creator.user_id)


def give_settled_commission(session: Session, creator_id: int, amount_fen: int) -> None:
    """Commission the creator may withdraw, as if settled orders had put it there
    (Dr PSP_CASH / Cr COMMISSION_AVAILABLE)."""
    from laotie.ledger import service as ledger
    from laotie.ledger.schemas import AccountKind, Posting

    ref = f"creator-{creator_id}-{key()}"
    ledger.post(
        session,
        kind="test_commission",
        reference_type="test",
        reference_id=ref,
        postings=[
            Posting(AccountKind.PSP_CASH, amount_fen),
            Posting(AccountKind.COMMISSION_AVAILABLE, -amount_fen, creator_id),
        ],
        idempotency_key=f"test:commission:{ref}",
    )
    session.commit()


def set_creator_account(session: Session, creator: Creator, number: str = "6222020200112233445") -> None:
    from laotie.settlement.schemas import PayoutAccountIn

    affiliate.set_creator_payout_account(
        session,
        creator.principal,
        PayoutAccountIn(holder_name="带货达人小王", bank_name="中国建设银行", account_number=number),
    )
    session.commit()
