"""The feed: candidates from follows and purchases, the traffic policy (new merchants, throttling,
a cap per shop), reasons, impressions logged with positions, the mall home."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.auth import Principal, Role
from laotie.core.db import Database
from laotie.core.outbox import OutboxWorker
from laotie.feed import service as feed
from laotie.feed.models import Impression, NewShop
from laotie.feed.recommend import EXPOSURE
from laotie.search import service as search
from laotie.shops.models import Shop
from laotie.social import service as social
from laotie.social.models import TargetKind
from laotie.standing import service as standing
from laotie.standing.schemas import Effect, SourceKind, SubjectKind
from tests.factories import make_user
from tests.factories.catalog import make_listed_product, make_listed_products
from tests.factories.shops import category_named, make_open_shop


def _drain(db: Database) -> None:
    OutboxWorker(db).run_until_idle()


def _age_shop(session: Session, shop_id: int, days: int) -> None:
    shop = session.get(Shop, shop_id)
    assert shop is not None
    shop.opened_at = clock.now() - timedelta(days=days)
    session.commit()


def _market(session: Session, db: Database) -> dict[str, int]:
    dress = category_named(session, "连衣裙")
    big, _, _ = make_open_shop(session, "大店旗舰")
    small, _, _ = make_open_shop(session, "新开小店")
    make_listed_products(session, big, 12, category_id=dress, title="爆款连衣裙", price_fen=9900)
    newbie = make_listed_product(session, small, category_id=dress, title="手工刺绣连衣裙", price_fen=12900)
    for shop_id in (big, small):
        _age_shop(session, shop_id, 200)
    _drain(db)
    EXPOSURE.clear()
    return {"big": big, "small": small, "newbie": newbie.id}


def test_cap_keeps_one_shop_from_taking_a_page(session: Session, db: Database) -> None:
    m = _market(session, db)
    dress = category_named(session, "连衣裙")
    for n in range(4):
        other, _, _ = make_open_shop(session, f"同城好店{n}")
        make_listed_products(session, other, 2, category_id=dress, title="连衣裙", price_fen=3900)
        _age_shop(session, other, 200)
    _drain(db)
    laotie = feed.feed(session, None, "recommend", limit=10, record=False)
    shops = [i.shop_id for i in laotie.items]
    assert len(shops) == 10 and shops.count(m["big"]) == 2  # 20% of a page of ten
    gmv = feed.feed(session, None, "recommend", limit=10, policy="gmv", record=False)
    # By expected GMV alone: the ¥129 dress, then nine ¥99 ones of the big shop, no cap.
    assert [i.shop_id for i in gmv.items] == [m["small"]] + [m["big"]] * 9


def test_new_merchants_get_exposure_and_promising_more(session: Session, db: Database) -> None:
    m = _market(session, db)
    _age_shop(session, m["small"], 3)
    search.index_products(session, [m["newbie"]])
    session.commit()
    page = feed.feed(session, None, "recommend", limit=10, record=False)
    item = next(i for i in page.items if i.id == m["newbie"])
    assert item.new_shop and "new_merchant" in {r.code for r in item.reasons}
    first_score = item.score
    evidence = session.get(NewShop, m["small"])  # tracked since the shop opened (ShopStatusChanged)
    assert evidence is not None and evidence.early_gmv_fen == 0
    evidence.early_gmv_fen = 500_000  # ¥5,000 in its first days: over the ¥2,000 line
    session.commit()
    again = next(
        i for i in feed.feed(session, None, "recommend", limit=10, record=False).items if i.id == m["newbie"]
    )
    assert "promising" in {r.code for r in again.reasons} and again.score > first_score
    assert again.position == 0


def test_follows_lead_and_say_why(session: Session, db: Database) -> None:
    m = _market(session, db)
    buyer_id, _ = make_user(session, Role.BUYER)
    buyer = Principal(buyer_id, frozenset({Role.BUYER}))
    social.follow(session, buyer, TargetKind.SHOP, m["small"])
    session.commit()
    page = feed.feed(session, buyer, "recommend", limit=10, record=False)
    assert page.items[0].id == m["newbie"]
    assert page.items[0].reasons[0].label == "你关注的店铺或主播"


def test_throttled_goods_sink_and_stopped_goods_vanish(session: Session, db: Database) -> None:
    m = _market(session, db)
    standing.impose(
        session,
        subject_kind=SubjectKind.SHOP,
        subject_id=m["big"],
        effect=Effect.TRAFFIC_WEIGHT,
        source_kind=SourceKind.SCORE,
        source_key="band",
        reason="体验分较差",
        value_bp=2000,
    )
    session.commit()
    _drain(db)
    page = feed.feed(session, None, "recommend", limit=10, record=False)
    assert page.items[0].id == m["newbie"]
    standing.impose(
        session,
        subject_kind=SubjectKind.SHOP,
        subject_id=m["big"],
        effect=Effect.DISTRIBUTION_STOPPED,
        source_kind=SourceKind.PENALTY,
        source_key="case:3",
        reason="售假",
        ends_at=clock.now() + timedelta(days=7),
    )
    session.commit()
    _drain(db)
    for policy in ("laotie", "gmv"):
        page = feed.feed(session, None, "recommend", limit=10, policy=policy, record=False)
        assert [i.shop_id for i in page.items] == [m["small"]]


def test_impressions_are_logged_with_positions_in_a_batch(session: Session, db: Database) -> None:
    _market(session, db)
    first = feed.feed(session, None, "recommend", limit=5)
    second = feed.feed(session, None, "recommend", limit=5, offset=5)
    assert feed.flush_impressions(session) == 10
    session.commit()
    rows = session.execute(
        select(Impression.item_id, Impression.position, Impression.surface, Impression.policy).order_by(
            Impression.id
        )
    ).all()
    assert [(r.item_id, r.position) for r in rows] == [(i.id, i.position) for i in first.items + second.items]
    assert {r.surface for r in rows} == {"home"} and {r.policy for r in rows} == {"laotie"}
    assert [r.position for r in rows] == list(range(10))
    exposure = feed.exposure_by_shop(session, clock.now() - timedelta(hours=1))
    assert sum(exposure.values()) == 10
    assert session.scalar(select(func.count()).select_from(Impression)) == 10


def test_unknown_policy_is_refused(session: Session, db: Database) -> None:
    import pytest

    from laotie.core.errors import AppError

    with pytest.raises(AppError) as refused:
        feed.feed(session, None, policy="random")
    assert refused.value.code == "UNKNOWN_POLICY"
