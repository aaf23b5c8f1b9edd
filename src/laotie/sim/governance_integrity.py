"""Demo: a counterfeit procedure part-way through its refunds, inside a crackdown campaign with its
dashboard, and a mystery-buyer inspection with one sample passed and one failed.

One demo shop (the last) turns out to sell fakes: a dozen demo buyers bought one of its products
and paid through the sandbox cashier; governance starts 雷霆计划·打假护航 for that category, starts
the counterfeit procedure in it (withdrawals frozen, shelf cleared) and the background refunds one
batch of five, so /governance/counterfeit/<id> shows a run part-way done (the embedded job finishes
it once the demo server runs). Seeded once: a second seed finds the run and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from laotie.core import clock
from laotie.core.auth import Principal
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.governance import campaigns, counterfeit, inspections
from laotie.governance.counterfeit_refund import collect_page, refund_batch
from laotie.governance.models_integrity import CounterfeitRun
from laotie.orders.schemas import Attribution
from laotie.sim.commerce import MarketShop, stocked_sku, with_products
from laotie.sim.people import DemoAccount

DEMO_ORDERS = 12
FIRST_BATCH = 5


def seed_governance_integrity(
    db: Database,
    media_dir: Path,
    shops: list[MarketShop],
    staff: Principal,
    buyer_accounts: list[DemoAccount],
) -> bool:
    from laotie.sim import audience
    from laotie.sim.cashier import Cashier

    with unit_of_work(db, read_only=True) as session:
        if session.scalar(select(CounterfeitRun.id).limit(1)) is not None or len(shops) < 2:
            return False
        fake_shop = with_products(session, shops[-1])
        checked_shop = with_products(session, shops[0])
    product = next((p for p in fake_shop.products if stocked_sku(p, DEMO_ORDERS) is not None), None)
    if product is None:
        return False
    sku = stocked_sku(product, DEMO_ORDERS)
    assert sku is not None
    buyers = audience.shoppers(db, buyer_accounts)
    cashier = Cashier(db, media_dir)
    try:
        for i in range(DEMO_ORDERS):
            buyer = buyers[i % len(buyers)]
            cashier.buy(
                buyer.principal,
                buyer.address_id,
                [(sku.id, 1, sku.price_fen)],
                Attribution(),
                f"demo-fake-{i}",
            )
        cashier.settle()
    finally:
        cashier.close()
    now = clock.now()
    with unit_of_work(db) as session:
        drive = campaigns.create(
            session,
            staff,
            campaigns.CampaignIn(
                name="雷霆计划·打假护航",
                description="集中打击假冒品牌商品：售假店铺冻结提现、商品下架，买家全额退款并假一赔三。",
                category_ids=[product.category_id],
                violation_kinds=["counterfeit", "quality"],
                starts_at=now - timedelta(days=3),
                ends_at=now + timedelta(days=27),
            ),
        )
        run = counterfeit.start(
            session,
            staff,
            shop_id=fake_shop.shop_id,
            product_ids=[product.id],
            reason="品牌方鉴定为假冒商品（演示）",
            campaign_id=drive.id,
        )
        session.commit()
    with unit_of_work(db) as session:
        while not collect_page(session, run.id):
            pass
        session.commit()
    with unit_of_work(db) as session:
        refund_batch(session, run.id, FIRST_BATCH)  # part-way: the rest is left to the job
        session.commit()
    _inspection(db, staff, checked_shop, buyers[0].principal.user_id, drive.id)
    return True


def _inspection(
    db: Database, staff: Principal, shop: MarketShop, inspector_id: int, campaign_id: int
) -> None:
    """A plan sampling two products of another shop, one passing the lab and one failing."""
    with unit_of_work(db) as session:
        plan = inspections.create_plan(
            session,
            staff,
            inspections.PlanIn(
                name="12月品控抽检",
                target_kind="shop",
                target_ids=[shop.shop_id],
                sample_size=2,
                inspector_id=inspector_id,
                campaign_id=campaign_id,
            ),
        )
        placed = inspections.sample(session, staff, plan.id, seed=7)
        verdicts = [(True, "各项指标合格"), (False, "成分与标签不符，疑似仿冒")]
        for sample, (passed, report) in zip(placed, verdicts, strict=False):
            body = inspections.ResultIn(passed=passed, lab_name="国家日用品质量检验中心", report=report)
            inspections.enter_result(session, staff, int(sample.order_id or 0), body)
        session.commit()
