"""A shop taken from good to 较差 through events (real orders, real after-sales, review events as the
reviews branch emits them), its consequences appearing in ``standing`` with the score that caused
them, then lifting by themselves as the scores recover."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.scores import service as scores
from laotie.standing import service as standing
from laotie.standing.schemas import Effect, SubjectKind
from tests.factories.aftersales import Bought, delivered, paid_order
from tests.factories.orders import make_on_sale
from tests.integration.scores.helpers import (
    category_of,
    publish,
    quality_refund,
    remove,
    review_payload,
    topics,
)

HOURS = timedelta(hours=50)  # after the carrier's 签收 (49 hours after shipping)


def _traffic(session: Session, shop_id: int, product_id: int) -> tuple[int, bool, bool]:
    t = standing.traffic_for_products(session, {product_id: shop_id})[product_id]
    return t.weight_bp, t.boosted, t.advertisable


def test_a_shop_falls_to_poor_and_recovers(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    sale = make_on_sale(session, price_fen=5000)
    cat = category_of(session, sale.product_id)
    orders: list[Bought] = []
    for _ in range(10):
        bought = paid_order(client, app, db, session, sale=sale)
        delivered(session, bought)
        orders.append(bought)
    pid, sid = sale.product_id, sale.shop_id

    with clock.travel(HOURS):
        app.state.outbox_worker.run_until_idle()
        publish(session, app, [review_payload(pid, sid, cat) for _ in range(30)])
        shop = scores.shop_scores(session, [sid])[sid]
        # DSR: prior (50 × 4.6 + 150) / 80 = 4.75, shop (20 × 4.75 + 150) / 50 = 4.90
        assert shop.dsr_description_x100 == 490 and shop.band in ("excellent", "good")
        assert shop.experience is not None and shop.experience >= 85
        # rating (10 × 4.75 + 150) / 40 = 4.94 -> 0.984; 品退 0.5 / 60 -> 0.917: 49.2 + 22.9 + 25 = 97
        assert scores.product_scores(session, [pid])[pid].product_score == 97
        assert _traffic(session, sid, pid) == (12_000, True, True)  # 优秀: more traffic

        # Bad goods: three quality refunds and forty 1-star reviews.
        for bought in orders[:3]:
            quality_refund(session, app, bought)
        bad = publish(session, app, [review_payload(pid, sid, cat, (1, 1, 1)) for _ in range(40)])
        shop = scores.shop_scores(session, [sid])[sid]
        product = scores.product_scores(session, [pid])[pid]
        assert shop.band == "poor" and shop.band_label == "较差"
        assert shop.quality_return_bp == 3_000  # 3 of 10 delivered lines
        assert product.product_score is not None and product.product_score < 60
        assert _traffic(session, sid, pid) == (5_000, False, False)
        causes = {c.source_key: c.reason for c in standing.in_force(session, SubjectKind.PRODUCT, [pid])}
        assert set(causes) == {"product_score"} and "低于60分线" in causes["product_score"]
        weight = standing.in_force(session, SubjectKind.SHOP, [sid])
        assert [(c.source_key, c.value_bp) for c in weight] == [("shop_band", 5_000)]
        assert "较差" in weight[0].reason
        crossed = {(e["score"], e["direction"]) for e in topics(session, "scores.threshold_crossed")}
        assert {("experience", "below"), ("product_score", "below"), ("dsr", "below")} <= crossed
        assert ("quality_return_rate", "below") in crossed

        report = scores.shop_report(session, sid)
        assert {c.source_key for c in report.consequences} == {"shop_band", "product_score"}
        assert any(m.cause == "quality_return" for m in report.moved_by)
        assert report.cards[-1].value_text.endswith("较差")

        # The bad reviews are removed (reported and upheld): the product recovers at once.
        remove(session, app, bad, pid, sid)
        assert scores.product_scores(session, [pid])[pid].product_score >= 60  # type: ignore[operator]
        assert _traffic(session, sid, pid)[1:] == (True, True)
        assert scores.shop_scores(session, [sid])[sid].band == "fair"  # the quality returns still count
        assert _traffic(session, sid, pid)[0] == 8_500

    # A month on, the quality returns have left the 30-day window: the job moves the shop back up.
    with clock.travel(HOURS + timedelta(days=31)):
        assert scores.roll_windows(session) >= 2
        session.commit()
        app.state.outbox_worker.run_until_idle()
        shop = scores.shop_scores(session, [sid])[sid]
        assert shop.band == "excellent" and shop.quality_return_bp is None
        assert _traffic(session, sid, pid) == (12_000, True, True)
        lifted = [
            c
            for c in standing.history(session, SubjectKind.SHOP, sid)
            if c.effect is Effect.TRAFFIC_WEIGHT and c.value_bp == 5_000
        ]
        assert lifted and lifted[0].lifted_at is not None
        product_rows = standing.history(session, SubjectKind.PRODUCT, pid)
        assert product_rows and all(c.lifted_at is not None for c in product_rows)
        assert "商品分恢复" in product_rows[0].lifted_reason
        recovered = {(e["score"], e["direction"]) for e in topics(session, "scores.threshold_crossed")}
        assert {("experience", "recovered"), ("product_score", "recovered")} <= recovered
