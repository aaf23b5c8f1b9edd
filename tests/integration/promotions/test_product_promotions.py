"""What a product page shows of promotions (``promotions.display``, one statement) is what the
checkout's offer book (``load_book``) would apply: the same campaign price, subsidy and deal per SKU,
the same multi-buys, with the campaign's name and the multi-buy's own fields."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.promotions import service as promotions
from laotie.promotions.models import Budget, Campaign, CampaignItem, MultiBuy, Subsidy
from laotie.promotions.schemas import CampaignIn, EnrolIn
from laotie.promotions.views import multibuy_out
from tests.factories.catalog import make_listed_product, owner_principal, reviewer_principal
from tests.factories.promotions import deal, multibuy, shop_coupon, subsidy
from tests.factories.shops import make_open_shop


def _campaign(session: Session, name: str, auto: bool) -> int:
    now = clock.now()
    body = CampaignIn(
        name=name, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=3), auto_approve=auto
    )
    out = promotions.create_campaign(session, reviewer_principal(session), body)
    session.commit()
    return out.id


def _from_the_book(session: Session, product_id: int) -> dict[str, Any]:
    """The page's promotions as they were read before ``promotions.display``: the offer book, then
    the chosen campaign items' names and the multi-buys' rows."""
    product = catalog.get_listed(session, product_id)
    book = promotions.load_book(session, [s.id for s in product.skus], [product.shop_id], clock.now())
    item_ids = [c.item_id for c in book.campaign.values()]
    names = dict(
        session.execute(
            select(CampaignItem.sku_id, Campaign.name)
            .join(Campaign, Campaign.id == CampaignItem.campaign_id)
            .where(CampaignItem.id.in_(item_ids))
        ).all()
    )
    skus = []
    for s in product.skus:
        camp, sub, dl = book.campaign.get(s.id), book.subsidy.get(s.id), book.deals.get(s.id)
        skus.append(
            {
                "sku_id": s.id,
                "list_price_fen": s.price_fen,
                "campaign_price_fen": camp.price_fen if camp else None,
                "campaign_name": names.get(s.id) if camp else None,
                "subsidy_fen": sub.per_unit_fen if sub and (sub.budget_left_fen or 0) > 0 else None,
                "subsidy_label": sub.label if sub else None,
                "deal_price_fen": dl.price_fen if dl else None,
            }
        )
    ids = [m.multibuy_id for m in book.multibuys]
    rows = session.scalars(select(MultiBuy).where(MultiBuy.id.in_(ids))) if ids else []
    multibuys = [
        multibuy_out(m).model_dump(mode="json")
        for m in rows
        if m.product_ids is None or product_id in m.product_ids
    ]
    return {"product_id": product_id, "skus": skus, "multibuys": multibuys}


def test_the_page_shows_what_the_offer_book_applies(client: TestClient, session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id, price_fen=10_000, colours=["红", "蓝", "白", "黑", "灰"])
    other = make_listed_product(session, shop_id, price_fen=5_000)
    session.commit()
    first, second, third, fourth, _ = (s.id for s in product.skus)  # five: the statement pads to eight
    owner = owner_principal(session, shop_id)
    # two approved campaigns on the first SKU (the cheaper price wins), a pending one on the second
    for name, price in (("双11", 8_800), ("年货节", 8_500)):
        campaign_id = _campaign(session, name, auto=True)
        promotions.enrol(
            session, owner, shop_id, EnrolIn(campaign_id=campaign_id, sku_id=first, campaign_price_fen=price)
        )
    pending = _campaign(session, "待审", auto=False)
    promotions.enrol(
        session, owner, shop_id, EnrolIn(campaign_id=pending, sku_id=second, campaign_price_fen=7_000)
    )
    session.commit()
    # two subsidies on the second SKU (the larger wins); one on the third whose budget is spent
    subsidy(session, second, 500, 100_000)
    subsidy(session, second, 800, 100_000)
    spent = subsidy(session, third, 300, 50_000)
    budget_id = session.scalar(select(Subsidy.budget_id).where(Subsidy.id == spent.id))
    session.execute(update(Budget).where(Budget.id == budget_id).values(spent_fen=Budget.budget_fen))
    session.commit()
    deal(session, third, price_fen=100)
    # multi-buys: the shop's, one for this product, one for another product only (not shown)
    multibuy(session, shop_id, [(2, 1_000)])
    multibuy(session, shop_id, [(3, 2_000)], product_ids=[product.id])
    multibuy(session, shop_id, [(2, 1_500)], product_ids=[other.id])
    coupon = shop_coupon(session, shop_id, cut_fen=500)

    shown = promotions.product_promotions(session, product.id)
    assert shown.model_dump(mode="json", exclude={"coupons"}) == _from_the_book(session, product.id)
    by_sku = {s.sku_id: s for s in shown.skus}
    assert (by_sku[first].campaign_price_fen, by_sku[first].campaign_name) == (8_500, "年货节")
    assert by_sku[second].campaign_price_fen is None and by_sku[second].subsidy_fen == 800
    assert (by_sku[third].subsidy_fen, by_sku[third].subsidy_label, by_sku[third].deal_price_fen) == (
        None,
        "百亿补贴",
        100,
    )
    assert not any(
        (by_sku[fourth].campaign_price_fen, by_sku[fourth].subsidy_fen, by_sku[fourth].deal_price_fen)
    )
    assert [m.tiers for m in shown.multibuys] == [[[2, 1_000]], [[3, 2_000]]]
    assert [c.id for c in shown.coupons] == [coupon.id]
    # the other product: only the shop-wide multi-buy and its own one
    assert promotions.product_promotions(session, other.id).model_dump(
        mode="json", exclude={"coupons"}
    ) == _from_the_book(session, other.id)

    # the JSON route serves the same document
    assert client.get(f"/api/v1/products/{product.id}/promotions").json() == shown.model_dump(mode="json")


def test_a_product_without_promotions(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id, price_fen=2_000)
    session.commit()
    shown = promotions.product_promotions(session, product.id)
    assert shown.model_dump(mode="json") == {**_from_the_book(session, product.id), "coupons": []}
    assert [s.list_price_fen for s in shown.skus] == [2_000]
