"""The demo's governance: the rulebook, open reports, a decided case whose appeal succeeded, one
waiting for its appeal to be decided, and a shop under a traffic cut (先涨后降). Everything goes
through the governance services as staff, buyers and merchants would; run again, it changes nothing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core.auth import Principal, Role
from laotie.core.db import Database
from laotie.core.pagination import PageParams
from laotie.core.uow import unit_of_work
from laotie.governance import service as governance
from laotie.governance.schemas import (
    AppealDecideIn,
    AppealIn,
    CaseDecideIn,
    CaseStatus,
    RatingIn,
    ReportDecideIn,
    ReportIn,
    TargetKind,
)
from laotie.shops import service as shops
from laotie.shops.schemas import ShopPrivateOut
from laotie.sim.people import ensure_user, principal_of

GOVERNANCE_PHONE = "13900000002"  # 治理小二, made by sim.demo
SECOND_REVIEWER_PHONE = "13900000003"  # an appeal goes to someone other than the case's decider
BUYER_PHONES = [f"1360000{i:04d}" for i in range(1, 6)]


def _owner(session: Session, staff: Principal, shop_id: int) -> Principal:
    view = shops.shop_view(session, shop_id, staff)  # staff see the private view, with the owner
    assert isinstance(view, ShopPrivateOut)
    return principal_of(session, view.owner_id)


def seed_governance(db: Database) -> bool:
    """Returns whether anything was added (False when the demo already has its reports)."""
    with unit_of_work(db) as session:
        governance.seed_rules(session)
        session.commit()
        if (
            governance.report_queue(session, PageParams(limit=1)).total
            or governance.case_queue(session, PageParams(limit=1), CaseStatus.VIOLATION).total
        ):
            return False
        first = principal_of(session, ensure_user(session, GOVERNANCE_PHONE, "治理小二", (Role.GOVERNANCE,)))
        second = principal_of(
            session, ensure_user(session, SECOND_REVIEWER_PHONE, "治理小三", (Role.GOVERNANCE,))
        )
        buyers = [
            principal_of(session, ensure_user(session, p, f"买家{p[-2:]}", (Role.BUYER,)))
            for p in BUYER_PHONES
        ]
        cards = catalog.list_listed(session, PageParams(limit=60)).items
        by_shop: dict[int, list[int]] = {}
        for card in cards:
            by_shop.setdefault(card.shop_id, []).append(card.id)
        shop_ids = sorted(by_shop)
        if len(shop_ids) < 3:
            session.commit()
            return False
        cut_shop, appeal_shop, waiting_shop = shop_ids[0], shop_ids[1], shop_ids[2]

        # Open reports, left for the console's queue (one of them past its answer time would need a clock).
        open_reports = [
            ReportIn(
                target_kind=TargetKind.PRODUCT,
                target_id=by_shop[shop_ids[-1]][0],
                rule_code="LST-04",
                description="标题堆了很多无关的热搜词",
            ),
            ReportIn(
                target_kind=TargetKind.SHOP,
                target_id=shop_ids[-1],
                rule_code="SHP-01",
                description="付款四天了还没发货，客服不回复",
            ),
            ReportIn(
                target_kind=TargetKind.PRODUCT,
                target_id=by_shop[waiting_shop][-1],
                rule_code="PRC-01",
                description="详情页写着“三天祛斑”，用了一周没效果",
                links=["https://example.cn/screenshot/1024"],
            ),
        ]
        for i, body in enumerate(open_reports):
            governance.submit_report(session, buyers[i % len(buyers)], body)

        # 先涨后降: a report upheld, the case decided, the shop's traffic cut for 15 days.
        report = governance.submit_report(
            session,
            buyers[3],
            ReportIn(
                target_kind=TargetKind.SHOP,
                target_id=cut_shop,
                rule_code="PRC-02",
                description="双11前把价格从59调到99，再打“5折”卖49.5",
                links=["https://example.cn/price-history/88"],
            ),
        )
        decided = governance.decide_report(
            session, first, report.id, ReportDecideIn(upheld=True, note="价格记录显示活动前7天提价，属实")
        )
        governance.decide_case(
            session,
            first,
            decided.case_id or 0,
            CaseDecideIn(violation=True, note="活动前提价后打折，依规停止流量分发15天"),
        )
        governance.rate(session, buyers[3], report.id, RatingIn(stars=5, comment="处理很快"))

        # 极限用语: decided, appealed with evidence, the appeal upheld by another reviewer: reversed.
        product_id = by_shop[appeal_shop][0]
        case = governance.open_case(
            session,
            source="staff",
            subject_kind="product",
            subject_id=product_id,
            shop_id=appeal_shop,
            rule_code="LST-05",
            summary="商品详情使用“全网第一”等绝对化用语",
            evidence=["巡查截图：详情页首屏“全网销量第一”"],
            actor_id=first.user_id,
        )
        governance.decide_case(
            session, first, case.id, CaseDecideIn(violation=True, note="详情页含绝对化用语")
        )
        appeal = governance.file_appeal(
            session,
            _owner(session, first, appeal_shop),
            case.id,
            AppealIn(
                statement="“销量第一”出自第三方榜单，附榜单链接与授权，且已修改详情页",
                links=["https://example.cn/rank/2026"],
            ),
        )
        governance.decide_appeal(
            session,
            second,
            appeal.id,
            AppealDecideIn(upheld=True, note="有第三方榜单佐证，撤销处罚并恢复上架"),
        )

        # 延迟发货 decided, the merchant's appeal waiting for a second reviewer.
        waiting = governance.open_case(
            session,
            source="staff",
            subject_kind="shop",
            subject_id=waiting_shop,
            shop_id=waiting_shop,
            rule_code="SHP-02",
            summary="3笔订单上传的物流单号无揽收记录",
            evidence=["物流轨迹：揽收后72小时无更新"],
            actor_id=first.user_id,
        )
        governance.decide_case(
            session, first, waiting.id, CaseDecideIn(violation=True, note="物流单号无效，按虚假发货处理")
        )
        governance.file_appeal(
            session,
            _owner(session, first, waiting_shop),
            waiting.id,
            AppealIn(statement="快递网点系统故障导致轨迹延迟上传，附网点证明"),
        )
        session.commit()
    return True
