"""Penalties reach the domains that must obey them: live bans, alliance removal, no new listings,
and removed comments."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from laotie.affiliate import service as affiliate
from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.outbox import OutboxWorker
from laotie.core.storage import LocalDiskStorage
from laotie.governance import service as governance
from laotie.governance.schemas import AppealDecideIn, AppealIn, CaseDecideIn
from laotie.live import service as live
from laotie.live.schemas import SessionIn
from laotie.video import service as video
from laotie.video.models import VideoComment
from tests.factories import make_user
from tests.factories.affiliate import make_creator, offer
from tests.factories.catalog import make_product, owner_principal
from tests.factories.live import creator_anchor
from tests.factories.orders import make_on_sale
from tests.factories.shops import make_open_shop, principal_of
from tests.factories.video import post_video
from tests.integration.governance.helpers import seeded, staff


def _decide(session: Session, **case: object) -> int:
    decider, _ = staff(session)
    opened = governance.open_case(
        session, source="staff", summary="巡查发现", evidence=[], actor_id=decider.user_id, **case
    )  # type: ignore[arg-type]
    governance.decide_case(session, decider, opened.id, CaseDecideIn(violation=True, note="属实"))
    session.commit()
    return opened.id


def test_a_live_ban_keeps_the_anchor_off_air_until_it_ends(session: Session) -> None:
    seeded(session)
    anchor = creator_anchor(session)
    _decide(session, subject_kind="user", subject_id=anchor.user_id, shop_id=None, rule_code="LIV-01")
    with pytest.raises(AppError) as banned:
        live.create_session(session, anchor.principal, anchor.room_id, SessionIn(title="复播"))
    assert banned.value.code == "LIVE_BANNED"
    session.rollback()
    with clock.travel(timedelta(days=3, minutes=1)):
        out = live.create_session(session, anchor.principal, anchor.room_id, SessionIn(title="复播"))
        assert out.id


def test_alliance_removal_keeps_a_creator_from_picking_products(session: Session) -> None:
    seeded(session)
    sale = make_on_sale(session)
    offer(session, sale, 2000)
    creator = make_creator(session)
    case_id = _decide(
        session, subject_kind="user", subject_id=creator.user_id, shop_id=None, rule_code="CRT-02"
    )
    with pytest.raises(AppError) as removed:
        affiliate.add_to_showcase(session, creator.principal, sale.product_id)
    assert removed.value.code == "AFFILIATE_CREATOR_REMOVED"
    session.rollback()
    appeal = governance.file_appeal(
        session, creator.principal, case_id, AppealIn(statement="订单均为真实粉丝购买")
    )
    other, _ = staff(session)
    governance.decide_appeal(session, other, appeal.id, AppealDecideIn(upheld=True, note="核实订单真实"))
    session.commit()
    assert affiliate.add_to_showcase(session, creator.principal, sale.product_id).items


def test_twelve_points_stop_new_listings(session: Session) -> None:
    seeded(session)
    shop_id, _, _ = make_open_shop(session)
    draft = make_product(session, shop_id)
    _decide(session, subject_kind="shop", subject_id=shop_id, shop_id=shop_id, rule_code="PRC-07")
    assert governance.shop_points(session, shop_id).points == 12
    with pytest.raises(AppError) as refused:
        catalog.submit_for_review(session, owner_principal(session, shop_id), draft.id)
    assert refused.value.code == "SHOP_RESTRICTED"


def test_a_condemned_video_comment_is_hidden_after_the_decision(
    db: Database, session: Session, tmp_path: Path
) -> None:
    seeded(session)
    author, _ = staff(session)
    clip = post_video(session, LocalDiskStorage(tmp_path), author)
    commenter = principal_of(session, make_user(session)[0])
    said = video.comment(session, commenter, clip.id, "这家店太差了骂人的话")
    session.commit()
    _decide(
        session,
        subject_kind="video_comment",
        subject_id=said.id,
        shop_id=None,
        user_id=commenter.user_id,
        rule_code="LIV-07",
    )
    OutboxWorker(db).run_until_idle()
    session.expire_all()
    assert session.get_one(VideoComment, said.id).hidden
    session.commit()
