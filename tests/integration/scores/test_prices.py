"""价格力 from the catalog's price events: equivalent goods (same leaf category, close attributes,
price band) and the product's own recent prices; 溢价 stops distribution and lifts when the price
comes back down."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.db import Database
from laotie.scores import service as scores
from laotie.standing import service as standing
from laotie.standing.schemas import Effect, SubjectKind
from tests.factories.catalog import make_listed_product, owner_principal
from tests.factories.shops import make_open_shop


def _run(app: FastAPI, session: Session) -> None:
    session.commit()
    app.state.outbox_worker.run_until_idle()
    session.rollback()


def test_overpriced_against_peers_and_its_own_prices(app: FastAPI, db: Database, session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    peers = [
        make_listed_product(session, shop_id, price_fen=p, colours=["红色"], sizes=["XL"])
        for p in (9_000, 10_000, 11_000)
    ]
    mine = make_listed_product(session, shop_id, price_fen=10_000, colours=["红色"], sizes=["XL"])
    _run(app, session)
    out = scores.product_scores(session, [mine.id])[mine.id]
    # Peers 9,000 / 10,000 / 11,000: median 10,000, index 100 % (良好); no earlier own price yet.
    assert (out.price_index_bp, out.own_price_index_bp, out.overpriced) == (10_000, None, False)
    assert out.price_label == "良好"

    owner = owner_principal(session, shop_id)
    with clock.travel(timedelta(days=2)):
        catalog.set_sku_price(session, owner, mine.skus[0].id, 15_000, "涨价")
        _run(app, session)
        out = scores.product_scores(session, [mine.id])[mine.id]
        # 15,000 against peers' median 10,000 (150 %) and its own 30-day median 10,000 (150 %)
        assert (out.price_index_bp, out.own_price_index_bp, out.overpriced) == (15_000, 15_000, True)
        assert out.price_label == "较差"
        stopped = standing.restriction(session, SubjectKind.PRODUCT, mine.id, Effect.DISTRIBUTION_STOPPED)
        assert stopped is not None and stopped.source_key == "overpriced" and "溢价" in stopped.reason
        assert not standing.traffic_for_products(session, {mine.id: shop_id})[mine.id].distributed

        catalog.set_sku_price(session, owner, mine.skus[0].id, 10_500, "降价")
        _run(app, session)
        out = scores.product_scores(session, [mine.id])[mine.id]
        assert out.overpriced is False and out.price_index_bp == 10_500
        assert standing.traffic_for_products(session, {mine.id: shop_id})[mine.id].distributed
        # The peers' own figures are moved by the job (their reference includes this product).
        assert scores.refresh_prices(session) >= len(peers)
