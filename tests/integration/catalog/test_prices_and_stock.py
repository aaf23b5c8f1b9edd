"""Every price a SKU takes is kept with its time; stock moves without touching the history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.catalog.models import PriceChange
from laotie.core import clock
from laotie.core.errors import AppError
from laotie.core.events import OutboxEvent
from tests.factories.catalog import make_listed_product, make_product, owner_principal
from tests.factories.shops import make_open_shop


def test_price_changes_are_recorded_with_time_author_and_reason(session: Session) -> None:
    shop_id, owner_id, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id, price_fen=9900, original_price_fen=12900)
    owner = owner_principal(session, shop_id)
    sku_id = product.skus[0].id
    created_at = catalog.price_history(session, sku_id)[0].changed_at

    with clock.travel(timedelta(days=1)):
        out = catalog.set_sku_price(session, owner, sku_id, 7900, "双11降价")
        moved_at = clock.now()
    with clock.travel(timedelta(days=2)):
        catalog.set_sku_price(session, owner, sku_id, 7900, "no change")  # same price: nothing recorded
        catalog.set_sku_price(session, owner, sku_id, 15900, "涨价")
    session.commit()

    assert (out.price_fen, out.original_price_fen) == (7900, 12900)
    history = catalog.price_history(session, sku_id)
    assert [(h.old_price_fen, h.new_price_fen, h.reason) for h in history] == [
        (None, 9900, "created"),
        (9900, 7900, "双11降价"),
        (7900, 15900, "涨价"),
    ]
    assert all(h.changed_by == owner_id for h in history)
    assert history[0].changed_at == created_at < history[1].changed_at <= moved_at < history[2].changed_at
    # The crossed-out price never undercuts the real one, and the shelf shows the new price.
    assert catalog.get_listed(session, product.id).skus[0].original_price_fen == 15900
    assert catalog.get_listed(session, product.id).min_price_fen == 15900
    announced = session.scalars(
        select(OutboxEvent).where(OutboxEvent.topic == "SkuPriceChanged").order_by(OutboxEvent.id)
    ).all()
    assert [(e.payload["old_price_fen"], e.payload["new_price_fen"]) for e in announced] == [
        (None, 9900),
        (9900, 7900),
        (7900, 15900),
    ]


def test_a_price_change_does_not_send_the_product_back_to_review(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_listed_product(session, shop_id)
    catalog.set_sku_price(session, owner_principal(session, shop_id), product.skus[0].id, 100)
    assert catalog.get_listed(session, product.id).min_price_fen == 100


def test_min_price_follows_the_cheapest_sku(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_product(session, shop_id, colours=["红", "黑"], price_fen=1000, original_price_fen=2000)
    owner = owner_principal(session, shop_id)
    red, black = product.skus
    assert (product.min_price_fen, product.original_price_fen) == (1000, 2000)
    catalog.set_sku_price(session, owner, red.id, 5000, original_price_fen=6000)
    out = catalog.get_product(session, owner, product.id)
    assert (out.min_price_fen, out.original_price_fen) == (black.price_fen, black.original_price_fen)


@pytest.mark.parametrize(
    ("price", "original", "code"),
    [(0, None, "INVALID_PRICE"), (-5, None, "INVALID_PRICE"), (500, 400, "ORIGINAL_PRICE_TOO_LOW")],
)
def test_bad_prices_are_refused_and_nothing_is_recorded(
    session: Session, price: int, original: int | None, code: str
) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_product(session, shop_id, price_fen=900)
    with pytest.raises(AppError) as caught:
        catalog.set_sku_price(
            session, owner_principal(session, shop_id), product.skus[0].id, price, original_price_fen=original
        )
    assert (caught.value.code, caught.value.status) == (code, 422)
    session.flush()
    assert session.scalar(select(func.count()).select_from(PriceChange)) == 1
    assert catalog.price_history(session, product.skus[0].id)[-1].new_price_fen == 900


def test_stock_is_set_per_sku_and_never_negative(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_product(session, shop_id, colours=["红", "黑"], stock=10)
    owner = owner_principal(session, shop_id)
    out = catalog.set_sku_stock(session, owner, product.skus[0].id, 0)
    assert out.stock == 0
    assert catalog.get_product(session, owner, product.id).total_stock == 10
    with pytest.raises(AppError) as caught:
        catalog.set_sku_stock(session, owner, product.skus[1].id, -1)
    assert (caught.value.code, caught.value.status) == ("INVALID_STOCK", 422)
    assert catalog.get_product(session, owner, product.id).skus[1].stock == 10


def test_unknown_sku_is_not_found(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    with pytest.raises(AppError) as caught:
        catalog.set_sku_price(session, owner_principal(session, shop_id), 424242, 100)
    assert (caught.value.code, caught.value.status) == ("SKU_NOT_FOUND", 404)
