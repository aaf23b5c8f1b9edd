"""What a product page shows of promotions, read in one statement.

The page used to read the checkout's offer book (``offers.load_book``: four queries) and then the
campaign names and the multi-buys' rows again (up to two more). Per statement the Python around it
(compiling the expanding ``IN``, the execution context, the result) costs several times what SQLite
takes to answer an indexed lookup, and the page is the busiest read with promotions in it. So here
the same four reads are one ``UNION ALL``, one row per offer tagged by kind, in the order
``load_book`` reads them, with the columns the page shows beside them (the campaign's name, the
multi-buy's own fields).

It chooses exactly as ``load_book`` does: per SKU the cheapest approved campaign price in force
(then the lowest enrolment id), the largest subsidy in force (then the lowest id), the first deal in
force by id; the shop's multi-buys in force by id, those limited to other products left out.
``tests/integration/promotions`` compares the two. Pricing and placement keep ``load_book``.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Integer,
    Select,
    bindparam,
    cast,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from laotie.core.driver_select import DriverSelect
from laotie.promotions.models import (
    Budget,
    Campaign,
    CampaignItem,
    MultiBuy,
    NewBuyerDeal,
    Subsidy,
)
from laotie.promotions.offers import campaign_price_in_force, in_force
from laotie.promotions.schemas import CouponOut, MultiBuyOut, ProductPromotionsOut, SkuPromotionOut

_CAMPAIGN, _SUBSIDY, _MULTIBUY, _DEAL = 0, 1, 2, 3
_NOW: BindParameter[datetime] = bindparam("now")


def _none(type_: Any = BigInteger) -> Any:
    return cast(null(), type_)


def _kind(kind: int) -> Any:
    return literal_column(str(kind), Integer)  # written into the SQL: no parameter to bind


# The multi-buy comes first: a compound statement's result takes its column types from its first
# SELECT, and the multi-buy's JSON tiers, datetimes and flag are the columns that need converting.
# Columns: kind, order key, id, sku, n1, n2, n3, text1, text2, tiers, product_ids, starts, ends, active.
_MULTIBUYS = select(
    _kind(_MULTIBUY).label("kind"),
    MultiBuy.id.label("o"),
    MultiBuy.id.label("id"),
    _none().label("sku"),
    MultiBuy.shop_id.label("n1"),
    MultiBuy.campaign_id.label("n2"),
    _none().label("n3"),
    MultiBuy.name.label("t1"),
    MultiBuy.funded_by.label("t2"),
    MultiBuy.tiers.label("tiers"),
    MultiBuy.product_ids.label("product_ids"),
    MultiBuy.starts_at.label("starts"),
    MultiBuy.ends_at.label("ends"),
    MultiBuy.active.label("active"),
).where(MultiBuy.shop_id == bindparam("shop"), *in_force(MultiBuy, _NOW))


def _offer(kind: int, order: Any, id_: Any, sku: Any, n1: Any, n2: Any, n3: Any, t1: Any) -> list[Any]:
    return [_kind(kind), order, id_, sku, n1, n2, n3, t1, *[null()] * 6]


def _arity(count: int) -> int:
    """The number of SKU parameters a statement for ``count`` SKUs takes: the next power of two."""
    return 1 << max(count - 1, 0).bit_length()


@functools.cache
def _offers_select(arity: int) -> DriverSelect:
    """``_offers`` on the driver's cursor: the Python around SQLAlchemy's execute cost several times
    SQLite's answer (``core.driver_select``)."""
    return DriverSelect(_offers(arity), (*(f"s{i}" for i in range(arity)), "shop", "now"))


@functools.cache
def _offers(arity: int) -> Select[Any]:
    """The statement for up to ``arity`` SKUs (``s0``…, the last repeated to fill it): a fixed list
    of parameters, where an expanding ``IN`` re-wrote the statement on every execution (a fifth of
    its cost). Powers of two only, so a product of up to 600 SKUs needs at most eleven of these."""
    skus: list[BindParameter[int]] = [bindparam(f"s{i}") for i in range(arity)]
    campaigns = (
        select(
            *_offer(
                _CAMPAIGN,
                CampaignItem.campaign_price_fen,
                CampaignItem.id,
                CampaignItem.sku_id,
                CampaignItem.campaign_price_fen,
                CampaignItem.campaign_id,
                _none(),
                Campaign.name,
            )
        )
        .join(Campaign, Campaign.id == CampaignItem.campaign_id)
        .where(CampaignItem.sku_id.in_(skus), *campaign_price_in_force(_NOW))
    )
    subsidies = (
        select(
            *_offer(
                _SUBSIDY,
                -Subsidy.per_unit_fen,
                Subsidy.id,
                Subsidy.sku_id,
                Subsidy.per_unit_fen,
                Subsidy.budget_id,
                Budget.budget_fen - Budget.spent_fen,
                Subsidy.label,
            )
        )
        .join(Budget, Budget.id == Subsidy.budget_id)
        .where(Subsidy.sku_id.in_(skus), *in_force(Subsidy, _NOW))
    )
    deals = select(
        *_offer(
            _DEAL,
            NewBuyerDeal.id,
            NewBuyerDeal.id,
            NewBuyerDeal.sku_id,
            NewBuyerDeal.price_fen,
            _none(),
            _none(),
            _none(Campaign.name.type),
        )
    ).where(NewBuyerDeal.sku_id.in_(skus), *in_force(NewBuyerDeal, _NOW))
    offers = union_all(_MULTIBUYS, campaigns, subsidies, deals).subquery("offers")
    return select(offers).order_by(offers.c.kind, offers.c.o, offers.c.id)


def product_promotions(
    session: Session,
    product_id: int,
    shop_id: int,
    skus: list[tuple[int, int]],
    coupons: list[CouponOut],
    now: datetime,
) -> ProductPromotionsOut:
    """The promotions of a product whose SKUs (id, list price) the caller has read, with the shop's
    claimable ``coupons`` as the caller holds them."""
    campaign: dict[int, tuple[int, str]] = {}
    subsidy: dict[int, tuple[int, int, str]] = {}
    deal: dict[int, int] = {}
    multibuys: list[MultiBuyOut] = []
    if skus:
        ids = sorted({sku_id for sku_id, _ in skus})
        arity = _arity(len(ids))
        params: dict[str, Any] = {f"s{i}": ids[min(i, len(ids) - 1)] for i in range(arity)}
        params.update(shop=shop_id, now=now)
        for row in _offers_select(arity).rows(session, **params):
            kind = row.kind
            if kind == _CAMPAIGN:
                campaign.setdefault(row.sku, (row.n1, row.t1))
            elif kind == _SUBSIDY:
                subsidy.setdefault(row.sku, (row.n1, int(row.n3), row.t1))
            elif kind == _DEAL:
                deal.setdefault(row.sku, row.n1)
            elif row.product_ids is None or product_id in row.product_ids:
                multibuys.append(
                    MultiBuyOut(
                        id=row.id,
                        shop_id=row.n1,
                        campaign_id=row.n2,
                        name=row.t1,
                        funded_by=row.t2,
                        tiers=[list(t) for t in row.tiers],
                        product_ids=row.product_ids,
                        starts_at=row.starts,
                        ends_at=row.ends,
                        active=row.active,
                    )
                )
    out = []
    for sku_id, list_price_fen in skus:
        camp = campaign.get(sku_id)
        sub = subsidy.get(sku_id)
        out.append(
            SkuPromotionOut(
                sku_id=sku_id,
                list_price_fen=list_price_fen,
                campaign_price_fen=camp[0] if camp else None,
                campaign_name=camp[1] if camp else None,
                subsidy_fen=sub[0] if sub and sub[1] > 0 else None,
                subsidy_label=sub[2] if sub else None,
                deal_price_fen=deal.get(sku_id),
            )
        )
    return ProductPromotionsOut(product_id=product_id, skus=out, multibuys=multibuys, coupons=coupons)
