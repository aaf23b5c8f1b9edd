"""What simulated buyers say and what the simulated staff do with it, on a world small enough to
follow: a buyer reports a fake and is upheld, a false counterfeit report is rejected, the case
against the fake seller is decided a violation and starts the counterfeit procedure in the staff
member's name (``governance.case_decided`` carries its decider); reviews are written and read back."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import select

from laotie.core.db import Database
from laotie.core.pagination import PageParams
from laotie.core.uow import unit_of_work
from laotie.governance import service as governance
from laotie.governance.models_integrity import CounterfeitRun
from laotie.governance.schemas import ReportIn, ReportStatus, TargetKind
from laotie.orders import service as orders
from laotie.orders.models import Channel
from laotie.orders.schemas import Attribution
from laotie.reviews import service as reviews
from laotie.sim.cashier import Cashier, at
from laotie.sim.market import voice
from laotie.sim.market.agents import BuyerAgent, MerchantAgent
from laotie.sim.market.run import light_passwords
from laotie.sim.market.state import Sim
from laotie.sim.market.upkeep import settle
from laotie.sim.market.world import World, add_buyers, markets, moment, open_merchant, staff


def test_reports_reviews_and_the_staff(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voice, "REPORT_FAKE", 1.0)
    monkeypatch.setattr(voice, "REVIEW_RETURNED", 1.0)
    with unit_of_work(db, read_only=True) as session:
        found = markets(session)
    merchants = [
        MerchantAgent(0, "honest", 0, 1.0, 0.0, -60, lives=False, products=1),
        MerchantAgent(1, "faker", 0, 0.6, 1.0, -60, lives=False, products=1),
    ]
    buyers = [BuyerAgent(i, [0], 1_000_000, 1.0, 0.0, 1.0, 0.0) for i in range(2)]
    world = World(db, staff(db), found, merchants, buyers, [])
    sim = Sim(world, "laotie", 1, random.Random(1), Cashier(db, tmp_path))
    try:
        with light_passwords():
            for m in merchants:
                open_merchant(world, m, -60, 1)
            add_buyers(world, 1)
        honest, fake = world.shop_products(0)[0], world.shop_products(1)[0]
        b0, b1 = (world.principals[b.user_id] for b in buyers)
        ids = []
        for n, (who, b, t) in enumerate([(b0, buyers[0], fake), (b1, buyers[1], honest)]):
            with at(moment(1, 10 + n)):
                ids += sim.cashier.buy(
                    who,
                    b.address_id,
                    [(t.sku_id, 1, t.price_fen)],
                    Attribution(channel=Channel.SHELF),
                    f"v-{n}",
                )
        settle(sim, moment(1, 12))
        with at(moment(2, 9)), unit_of_work(db) as session:
            for order_id, t in zip(ids, [fake, honest], strict=True):
                owner = world.principals[merchants[t.merchant].user_id]
                orders.fulfilment.ship(session, owner, t.shop_id, order_id, "中通快递", f"ZT{order_id:010d}")
                orders.fulfilment.mark_delivered(session, order_id)
            session.commit()
        with at(moment(3, 10)), unit_of_work(db) as session:
            voice.review(session, sim, b0, ids[0], fake, True)  # one star for the fake
            voice.report_fake(session, sim, b0, ids[0], fake)
            voice.report_fake(session, sim, b1, ids[1], honest)  # kept: an honest shop is not reported …
            false_claim = ReportIn(  # … but a buyer may claim it anyway
                target_kind=TargetKind.PRODUCT,
                target_id=honest.product_id,
                rule_code="CTF-01",
                order_id=ids[1],
            )
            governance.submit_report(session, b1, false_claim)
            session.commit()
        with at(moment(3, 21)), unit_of_work(db) as session:
            voice.work_queues(session, sim)
            session.commit()
        settle(sim, moment(3, 22))
        with unit_of_work(db, read_only=True) as session:
            decided = governance.report_queue(
                session, PageParams(limit=10, offset=0), ReportStatus.UPHELD
            ).items
            rejected = governance.report_queue(
                session, PageParams(limit=10, offset=0), ReportStatus.REJECTED
            ).items
            runs = [
                tuple(r) for r in session.execute(select(CounterfeitRun.shop_id, CounterfeitRun.product_ids))
            ]
            written = reviews.product_reviews(session, fake.product_id, PageParams(limit=10, offset=0)).items
    finally:
        sim.cashier.close()
    assert [r.product_id for r in decided] == [fake.product_id]
    assert [r.product_id for r in rejected] == [honest.product_id]
    assert sim.tally.reports == 1 and sim.tally.reports_upheld == 1 and sim.tally.penalised_cases == 1
    assert runs == [(fake.shop_id, [fake.product_id])]  # started in the deciding staff member's name
    assert sim.tally.reviews == 1 and [w.product_stars for w in written] in ([1], [2])
