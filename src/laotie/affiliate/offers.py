"""Merchants offer their products to creators at a commission rate, change it, withdraw it.

Every change is written to the offer's trail. An order placed while a rate holds keeps that rate
(the orders domain copies it onto the order line at placement), so a later change or withdrawal
never touches commission already promised.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.affiliate import errors
from laotie.affiliate.models import Offer, OfferChange
from laotie.affiliate.schemas import OfferChangeOut, OfferOut
from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.settings import get_settings
from laotie.shops import service as shops


def _out(offer: Offer) -> OfferOut:
    return OfferOut(
        product_id=offer.product_id,
        shop_id=offer.shop_id,
        rate_bp=offer.rate_bp,
        active=offer.active,
        created_at=offer.created_at,
        updated_at=offer.updated_at,
    )


def check_rate(rate_bp: int) -> None:
    settings = get_settings()
    if not settings.affiliate_min_rate_bp <= rate_bp <= settings.affiliate_max_rate_bp:
        raise errors.AFFILIATE_RATE_OUT_OF_BOUNDS(
            min_bp=settings.affiliate_min_rate_bp, max_bp=settings.affiliate_max_rate_bp, rate_bp=rate_bp
        )


def _offer_of(session: Session, product_id: int, lock: bool = False) -> Offer | None:
    query = select(Offer).where(Offer.product_id == product_id)
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def _record(
    session: Session, offer: Offer, action: str, old: int | None, new: int | None, actor: int
) -> None:
    session.add(
        OfferChange(
            offer_id=offer.id, action=action, old_rate_bp=old, new_rate_bp=new, actor_id=actor, at=clock.now()
        )
    )


def set_offer(
    session: Session, principal: Principal, shop_id: int, product_id: int, rate_bp: int
) -> OfferOut:
    """Offer a listed product of the shop at ``rate_bp``, or change the rate of its offer."""
    shops.require_selling_shop(session, shop_id, principal)
    catalog.get_product(session, principal, product_id, shop_id=shop_id)  # the shop's own product
    check_rate(rate_bp)
    if not catalog.is_visible(session, product_id):
        raise errors.AFFILIATE_PRODUCT_NOT_LISTED(product_id=product_id)
    now = clock.now()
    offer = _offer_of(session, product_id, lock=True)
    if offer is None:
        offer = Offer(
            product_id=product_id,
            shop_id=shop_id,
            rate_bp=rate_bp,
            active=True,
            created_at=now,
            updated_at=now,
        )
        session.add(offer)
        session.flush()
        _record(session, offer, "offered", None, rate_bp, principal.user_id)
    elif not offer.active:
        offer.active, offer.rate_bp, offer.updated_at = True, rate_bp, now
        _record(session, offer, "offered", None, rate_bp, principal.user_id)
    elif offer.rate_bp != rate_bp:
        old = offer.rate_bp
        offer.rate_bp, offer.updated_at = rate_bp, now
        _record(session, offer, "rate_changed", old, rate_bp, principal.user_id)
    session.flush()
    return _out(offer)


def withdraw_offer(session: Session, principal: Principal, shop_id: int, product_id: int) -> OfferOut:
    shops.require_shop_member(session, shop_id, principal)
    catalog.get_product(session, principal, product_id, shop_id=shop_id)  # the shop's own product
    offer = _offer_of(session, product_id, lock=True)
    if offer is None or offer.shop_id != shop_id or not offer.active:
        raise errors.AFFILIATE_NOT_OFFERED(product_id=product_id)
    offer.active, offer.updated_at = False, clock.now()
    _record(session, offer, "withdrawn", offer.rate_bp, None, principal.user_id)
    session.flush()
    return _out(offer)


def shop_offers(session: Session, principal: Principal, shop_id: int) -> list[OfferOut]:
    shops.require_shop_member(session, shop_id, principal)
    rows = session.scalars(select(Offer).where(Offer.shop_id == shop_id).order_by(Offer.id.desc())).all()
    return [_out(r) for r in rows]


def offer_history(
    session: Session, principal: Principal, shop_id: int, product_id: int
) -> list[OfferChangeOut]:
    """The trail of a product's offer, oldest first (empty when it was never offered)."""
    shops.require_shop_member(session, shop_id, principal)
    catalog.get_product(session, principal, product_id, shop_id=shop_id)
    offer = _offer_of(session, product_id)
    if offer is None:
        return []
    rows = session.scalars(
        select(OfferChange).where(OfferChange.offer_id == offer.id).order_by(OfferChange.id)
    ).all()
    return [
        OfferChangeOut(
            action=r.action,
            old_rate_bp=r.old_rate_bp,
            new_rate_bp=r.new_rate_bp,
            actor_id=r.actor_id,
            at=r.at,
        )
        for r in rows
    ]


def offered_rate_bp(session: Session, product_id: int) -> int | None:
    """The current alliance rate if the product is offered to creators, else None."""
    offer = _offer_of(session, product_id)
    return offer.rate_bp if offer is not None and offer.active else None


def active_rates(session: Session, product_ids: list[int]) -> dict[int, int]:
    if not product_ids:
        return {}
    rows = session.execute(
        select(Offer.product_id, Offer.rate_bp).where(
            Offer.product_id.in_(sorted(set(product_ids))), Offer.active
        )
    ).all()
    return {product_id: rate for product_id, rate in rows}
