"""What creators see and do: the alliance market, their showcase (橱窗), and the rates orders lock."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.affiliate import errors
from laotie.affiliate.models import Offer, ShowcaseItem
from laotie.affiliate.offers import active_rates
from laotie.affiliate.schemas import MarketItem, ShowcaseOut
from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal, Role
from laotie.core.errors import AppError
from laotie.core.money import share_of
from laotie.core.pagination import Page, PageParams
from laotie.standing import service as standing
from laotie.standing.schemas import Effect, SubjectKind


def _items(session: Session, product_ids: list[int], rates: dict[int, int]) -> list[MarketItem]:
    """Market items for the products buyers may see, in the order given."""
    cards = catalog.listed_cards(session, [p for p in product_ids if p in rates])
    return [
        MarketItem(
            product=card,
            rate_bp=rates[card.id],
            commission_per_piece_fen=share_of(card.min_price_fen, rates[card.id]),
        )
        for card in cards
    ]


def market(session: Session, params: PageParams) -> Page[MarketItem]:
    """Products offered to creators, newest offers first. ``total`` counts active offers; a page may
    hold fewer items when an offered product has meanwhile left the shelf."""
    total = session.scalar(select(func.count(Offer.id)).where(Offer.active)) or 0
    rows = session.execute(
        select(Offer.product_id, Offer.rate_bp)
        .where(Offer.active)
        .order_by(Offer.updated_at.desc(), Offer.id.desc())
        .limit(params.limit)
        .offset(params.offset)
    ).all()
    rates = {p: r for p, r in rows}
    return Page(
        items=_items(session, [p for p, _ in rows], rates),
        total=total,
        limit=params.limit,
        offset=params.offset,
    )


def is_creator(session: Session, user_id: int) -> bool:
    try:
        return Role.CREATOR in accounts.get_user_out(session, user_id).roles
    except AppError:
        return False


def add_to_showcase(session: Session, principal: Principal, product_id: int) -> ShowcaseOut:
    """Put an offered product in the creator's showcase (idempotent); AFFILIATE_NOT_OFFERED otherwise."""
    if standing.restriction(session, SubjectKind.USER, principal.user_id, Effect.NO_ALLIANCE) is not None:
        raise errors.AFFILIATE_CREATOR_REMOVED()  # 清退好物联盟: a governance penalty, until it ends
    if not active_rates(session, [product_id]) or not catalog.is_visible(session, product_id):
        raise errors.AFFILIATE_NOT_OFFERED(product_id=product_id)
    exists = session.scalar(
        select(ShowcaseItem.id).where(
            ShowcaseItem.creator_id == principal.user_id, ShowcaseItem.product_id == product_id
        )
    )
    if exists is None:
        try:
            with session.begin_nested():
                session.add(
                    ShowcaseItem(creator_id=principal.user_id, product_id=product_id, added_at=clock.now())
                )
        except IntegrityError:
            pass  # the same add committed meanwhile
    return showcase(session, principal.user_id)


def remove_from_showcase(session: Session, principal: Principal, product_id: int) -> ShowcaseOut:
    session.execute(
        delete(ShowcaseItem).where(
            ShowcaseItem.creator_id == principal.user_id, ShowcaseItem.product_id == product_id
        )
    )
    session.flush()
    return showcase(session, principal.user_id)


def showcase(session: Session, creator_id: int) -> ShowcaseOut:
    """A creator's showcase: the products still offered and on the shelf, newest first."""
    if not is_creator(session, creator_id):
        raise errors.CREATOR_NOT_FOUND(creator_id=creator_id)
    product_ids = list(
        session.scalars(
            select(ShowcaseItem.product_id)
            .where(ShowcaseItem.creator_id == creator_id)
            .order_by(ShowcaseItem.id.desc())
            .limit(200)
        ).all()
    )
    return ShowcaseOut(
        creator_id=creator_id,
        creator_name=accounts.get_user_out(session, creator_id).nickname,
        items=_items(session, product_ids, active_rates(session, product_ids)),
    )


def rates_for(session: Session, creator_id: int | None, product_ids: list[int]) -> dict[int, int]:
    """The commission rate (bp) an order attributed to ``creator_id`` locks for each product: the
    current alliance rate of offered products; products not offered, and attributions to someone who
    is not a creator, earn nothing (absent from the answer, i.e. rate 0)."""
    if creator_id is None or not product_ids or not is_creator(session, creator_id):
        return {}
    return active_rates(session, product_ids)


def showcased(session: Session, creator_id: int, product_ids: list[int]) -> set[int]:
    """Of ``product_ids``, those in the creator's showcase (橱窗) under an active alliance offer: what
    an order attributed to the creator from the showcase may credit them for."""
    if not product_ids or not is_creator(session, creator_id):
        return set()
    held = set(
        session.scalars(
            select(ShowcaseItem.product_id).where(
                ShowcaseItem.creator_id == creator_id, ShowcaseItem.product_id.in_(sorted(set(product_ids)))
            )
        )
    )
    return held & set(active_rates(session, sorted(held)))
