"""Events in, scores out: reviews (as the reviews branch emits them), delivered orders and quality
returns (through the real order and after-sales services), each moving exactly the scores it
touches, explained by a movement naming its cause, kept as daily history, and read through the API."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.scores import service as scores
from laotie.scores.models import Daily, FactInput, History, Movement
from tests.factories.aftersales import delivered, paid_order
from tests.factories.orders import make_on_sale
from tests.integration.scores.helpers import (
    category_of,
    publish,
    quality_refund,
    remove,
    review_payload,
    topics,
)


def test_dsr_waits_for_five_reviews_leans_to_the_category_and_forgets_a_removed_one(
    app: FastAPI, db: Database, session: Session
) -> None:
    sale = make_on_sale(session)
    cat = category_of(session, sale.product_id)
    ids = publish(session, app, [review_payload(sale.product_id, sale.shop_id, cat) for _ in range(4)])
    shop = scores.shop_scores(session, [sale.shop_id])[sale.shop_id]
    assert shop.dsr_description_x100 is None and shop.reviews == 4  # 暂无评分, not 5.0
    assert scores.stars_text(shop.dsr_service_x100) == "暂无评分"

    ids += publish(session, app, [review_payload(sale.product_id, sale.shop_id, cat, (4, 5, 3))])
    shop = scores.shop_scores(session, [sale.shop_id])[sale.shop_id]
    # The category holds these same 5 reviews: prior (50 × 4.6 + 24) / 55 = 4.6182
    prior = (50 * 4.6 + 24) / 55
    assert shop.category_avg_x100 == round(100 * prior)
    assert shop.dsr_description_x100 == round(100 * (20 * prior + 24) / 25)  # 4.65
    assert shop.dsr_service_x100 == round(100 * (20 * prior + 25) / 25)
    assert shop.dsr_logistics_x100 == round(100 * (20 * prior + 23) / 25)
    product = scores.product_scores(session, [sale.product_id])[sale.product_id]
    assert product.rating_avg_x100 == 480 and product.reviews == 5 and product.product_score is not None

    # What moved it: the fifth review, named, with before and after.
    moved = session.scalars(
        select(Movement).where(Movement.subject_kind == "shop", Movement.cause_id == ids[-1])
    ).one()
    assert moved.cause == "review" and moved.changes["dsr_description_x100"][0] is None
    assert session.scalar(select(func.count()).select_from(History).where(History.subject_id == sale.shop_id))
    assert {"shop_id": sale.shop_id} in topics(session, "scores.shop_changed")

    remove(session, app, [ids[0]], sale.product_id, sale.shop_id)
    shop = scores.shop_scores(session, [sale.shop_id])[sale.shop_id]
    assert shop.reviews == 4 and shop.dsr_description_x100 is None
    # A redelivered review changes nothing (its id is kept).
    publish(session, app, [review_payload(sale.product_id, sale.shop_id, cat, review_id=ids[1])])
    assert scores.shop_scores(session, [sale.shop_id])[sale.shop_id].reviews == 4
    day = session.scalars(select(Daily).where(Daily.subject_kind == "product")).one()
    assert (day.reviews, day.description_sum) == (4, 19)


def test_unknown_subjects_read_as_no_score(session: Session) -> None:
    out = scores.product_scores(session, [2**63 - 1])
    assert out[2**63 - 1].product_score is None and out[2**63 - 1].shop_id is None
    assert scores.shop_scores(session, [7])[7].band_label == "暂无评分"


def test_a_quality_refund_counts_against_product_and_shop(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=5000)
    delivered(session, bought)  # signed for 49 hours from now
    with clock.travel(timedelta(hours=50)):
        app.state.outbox_worker.run_until_idle()
        session.rollback()
        line = session.scalars(
            select(Daily).where(Daily.subject_kind == "product", Daily.subject_id == bought.sale.product_id)
        ).one()
        assert line.delivered == 1 and line.quality_returns == 0
        case_id = quality_refund(session, app, bought)
        product = scores.product_scores(session, [bought.sale.product_id])[bought.sale.product_id]
    session.expire_all()
    rows = session.scalars(
        select(Daily).where(Daily.subject_id.in_([bought.sale.product_id, bought.sale.shop_id]))
    )
    assert {(r.subject_kind, r.quality_returns) for r in rows} >= {("product", 1), ("shop", 1)}
    kept = session.scalars(select(FactInput).where(FactInput.kind == "quality_return")).one()
    assert kept.ref.startswith(f"case:{case_id}:line:") and kept.product_id == bought.sale.product_id
    # Nothing shown moved yet (too few data), so no movement is recorded for it.
    assert not session.scalars(select(Movement).where(Movement.cause == "quality_return")).all()
    # One delivered line is too few for a 品退率 (暂无), and too little evidence for a product score.
    assert product.quality_return_bp is None and product.product_score is None
    answers = session.scalar(select(func.sum(Daily.answered)).where(Daily.subject_kind == "shop"))
    assert answers == 1  # the merchant's answer timed the after-sales speed
