"""Follows and fans: follow/unfollow a shop or an anchor, counts, refusals that change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.pagination import PageParams
from laotie.social import service as social
from laotie.social.models import TargetKind
from tests.factories import make_user
from tests.factories.races import race
from tests.factories.shops import apply_for_shop, make_open_shop, principal_of
from tests.factories.social import social_counts


def test_follow_a_shop_and_an_anchor_then_unfollow(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session, name="东北山货铺")
    anchor_id, _ = make_user(session, nickname="山货老王")
    fan_id, _ = make_user(session)
    fan = principal_of(session, fan_id)
    out = social.follow(session, fan, TargetKind.SHOP, shop_id)
    assert out.target_name == "东北山货铺"
    assert social.follow(session, fan, TargetKind.USER, anchor_id).target_name == "山货老王"
    session.commit()
    assert social.fan_count(session, TargetKind.SHOP, shop_id) == 1
    assert social.fan_count(session, TargetKind.USER, anchor_id) == 1
    mine = social.my_follows(session, fan, PageParams())
    assert [(f.target_kind, f.target_id) for f in mine.items] == [
        (TargetKind.USER, anchor_id),
        (TargetKind.SHOP, shop_id),
    ]
    assert social.unfollow(session, fan, TargetKind.SHOP, shop_id) is True
    assert social.unfollow(session, fan, TargetKind.SHOP, shop_id) is False  # idempotent
    session.commit()
    assert social.fan_count(session, TargetKind.SHOP, shop_id) == 0
    assert social.fans(session, TargetKind.USER, anchor_id, fan).following is True


def test_refusals_change_nothing(session: Session) -> None:
    shop_id, owner_id, _ = make_open_shop(session)
    pending_shop, _, _ = apply_for_shop(session)  # not open: buyers cannot see it
    fan_id, _ = make_user(session)
    fan = principal_of(session, fan_id)
    social.follow(session, fan, TargetKind.USER, owner_id)
    session.commit()
    before = social_counts(session)
    cases = [
        (fan, TargetKind.USER, fan_id, "FOLLOW_SELF"),
        (principal_of(session, owner_id), TargetKind.SHOP, shop_id, "FOLLOW_SELF"),
        (fan, TargetKind.USER, owner_id, "ALREADY_FOLLOWING"),
        (fan, TargetKind.USER, 987654, "FOLLOW_TARGET_NOT_FOUND"),
        (fan, TargetKind.SHOP, pending_shop, "FOLLOW_TARGET_NOT_FOUND"),
    ]
    for who, kind, target, code in cases:
        with pytest.raises(AppError) as caught:
            social.follow(session, who, kind, target)
        assert caught.value.code == code
        session.rollback()
    assert social_counts(session) == before


def test_new_followers_between_counts_a_window(session: Session) -> None:
    anchor_id, _ = make_user(session)
    start = clock.now()
    early, _ = make_user(session)
    social.follow(session, principal_of(session, early), TargetKind.USER, anchor_id)
    session.commit()
    with clock.travel(timedelta(hours=2)):
        late, _ = make_user(session)
        social.follow(session, principal_of(session, late), TargetKind.USER, anchor_id)
        session.commit()
    end = start + timedelta(hours=1)
    assert social.new_followers_between(session, "user", anchor_id, start, end) == 1
    assert social.new_followers_between(session, "user", anchor_id, start, end + timedelta(hours=2)) == 2
    assert social.new_followers_between(session, "shop", anchor_id, start, end) == 0


def test_followers_of_pages_through_anchor_and_shop_fans_once_each(session: Session) -> None:
    shop_id, anchor_id, _ = make_open_shop(session)
    fans = [make_user(session)[0] for _ in range(5)]
    for i, fan_id in enumerate(fans):
        fan = principal_of(session, fan_id)
        social.follow(session, fan, TargetKind.USER, anchor_id)
        if i % 2 == 0:
            social.follow(session, fan, TargetKind.SHOP, shop_id)
    session.commit()
    targets = [("user", anchor_id), ("shop", shop_id)]
    first = social.followers_of(session, targets, 0, 3)
    rest = social.followers_of(session, targets, first[-1], 3)
    assert first + rest == sorted(fans)


def test_simultaneous_duplicate_follows_make_one(db: Database, session: Session) -> None:
    anchor_id, _ = make_user(session)
    fan_id, _ = make_user(session)
    fan = principal_of(session, fan_id)
    session.commit()
    outcomes = race(db, [lambda s: social.follow(s, fan, TargetKind.USER, anchor_id)] * 6)
    assert sorted(outcomes) == ["ALREADY_FOLLOWING"] * 5 + ["ok"]
    session.rollback()
    assert social.fan_count(session, TargetKind.USER, anchor_id) == 1


def test_follow_api(client: TestClient, session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    _, headers = make_user(session)
    r = client.post(f"/api/v1/social/follows/shop/{shop_id}", headers=headers)
    assert r.status_code == 201, r.text
    again = client.post(f"/api/v1/social/follows/shop/{shop_id}", headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "ALREADY_FOLLOWING"
    fans = client.get(f"/api/v1/social/fans/shop/{shop_id}", headers=headers).json()
    assert fans["fans"] == 1 and fans["following"] is True
    assert client.get(f"/api/v1/social/fans/shop/{shop_id}").json()["following"] is False
    assert client.get("/api/v1/social/follows", headers=headers).json()["total"] == 1
    assert client.delete(f"/api/v1/social/follows/shop/{shop_id}", headers=headers).status_code == 204
    assert client.delete(f"/api/v1/social/follows/shop/{shop_id}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/social/fans/shop/{shop_id}").json()["fans"] == 0
