"""冻结提现: a governance penalty on a shop's money, with a reason, in the shop's trail, and announced."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core.errors import AppError
from laotie.core.events import OutboxEvent
from laotie.shops import service as shops
from tests.factories.settlement import make_money_shop
from tests.factories.shops import make_reviewer

BASE = "/api/v1/governance/shops"


def _announced(session: Session) -> list[tuple[str, str]]:
    rows = session.scalars(
        select(OutboxEvent).where(OutboxEvent.topic.like("ShopWithdrawals%")).order_by(OutboxEvent.id)
    ).all()
    return [(r.topic, r.payload["reason"]) for r in rows]


def test_freeze_and_unfreeze_each_leave_a_trail_and_an_event(session: Session) -> None:
    shop = make_money_shop(session)
    staff, _ = make_reviewer(session)
    assert not shops.withdrawals_frozen(session, shop.shop_id)
    frozen = shops.freeze_withdrawals(session, shop.shop_id, staff, " 涉嫌虚假发货 ")
    assert (frozen.withdrawals_frozen_reason, frozen.status) == ("涉嫌虚假发货", "open")  # still sells
    assert frozen.withdrawals_frozen_at is not None and shops.withdrawals_frozen(session, shop.shop_id)
    with pytest.raises(AppError) as twice:
        shops.freeze_withdrawals(session, shop.shop_id, staff, "again")
    assert twice.value.code == "WITHDRAWALS_ALREADY_FROZEN"
    lifted = shops.unfreeze_withdrawals(session, shop.shop_id, staff, "已整改")
    assert (lifted.withdrawals_frozen_at, lifted.withdrawals_frozen_reason) == (None, "")
    with pytest.raises(AppError) as not_frozen:
        shops.unfreeze_withdrawals(session, shop.shop_id, staff, "again")
    assert not_frozen.value.code == "WITHDRAWALS_NOT_FROZEN"
    session.commit()
    trail = [(e.kind, e.reason, e.actor_id) for e in shops.events(session, shop.shop_id)][-2:]
    assert trail == [
        ("withdrawals_frozen", "涉嫌虚假发货", staff.user_id),
        ("withdrawals_unfrozen", "已整改", staff.user_id),
    ]
    assert _announced(session) == [
        ("ShopWithdrawalsFrozen", "涉嫌虚假发货"),
        ("ShopWithdrawalsUnfrozen", "已整改"),
    ]


def test_a_reason_is_required(session: Session) -> None:
    shop = make_money_shop(session)
    staff, _ = make_reviewer(session)
    with pytest.raises(AppError) as refused:
        shops.freeze_withdrawals(session, shop.shop_id, staff, "  ")
    assert refused.value.code == "REASON_REQUIRED"
    assert not shops.withdrawals_frozen(session, shop.shop_id)


def test_a_frozen_shop_cannot_withdraw_even_without_a_withdrawal_freeze(session: Session) -> None:
    shop = make_money_shop(session)
    staff, _ = make_reviewer(session)
    shops.freeze(session, shop.shop_id, staff, "涉嫌售假")
    assert shops.withdrawals_frozen(session, shop.shop_id)
    shops.unfreeze(session, shop.shop_id, staff, "申诉成立")
    assert not shops.withdrawals_frozen(session, shop.shop_id)


def test_governance_freezes_withdrawals_over_http(client: TestClient, session: Session) -> None:
    shop = make_money_shop(session)
    _, staff = make_reviewer(session)
    url = f"{BASE}/{shop.shop_id}/freeze-withdrawals"
    assert client.post(url, json={"reason": "x"}, headers=shop.headers).status_code == 403
    assert client.post(url, json={"reason": "x"}).status_code == 401
    r = client.post(url, json={"reason": ""}, headers=staff)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "REASON_REQUIRED")
    r = client.post(url, json={"reason": "涉嫌刷单"}, headers=staff)
    assert r.status_code == 200 and r.json()["withdrawals_frozen_reason"] == "涉嫌刷单"
    assert client.post(url, json={"reason": "again"}, headers=staff).status_code == 409
    # The merchant sees why its money is held, and cannot withdraw meanwhile.
    mine = client.get(f"/api/v1/shops/{shop.shop_id}", headers=shop.headers).json()
    assert mine["withdrawals_frozen_reason"] == "涉嫌刷单"
    r = client.post(
        f"/api/v1/shops/{shop.shop_id}/withdrawals",
        json={"amount_fen": 1000},
        headers={**shop.headers, "Idempotency-Key": "wd-1"},
    )
    assert (r.status_code, r.json()["error"]["code"]) == (403, "WITHDRAWALS_FROZEN")
    balance = client.get(f"/api/v1/shops/{shop.shop_id}/balance", headers=shop.headers).json()
    assert (balance["withdrawals_frozen"], balance["available_fen"]) == (True, 10_000)

    r = client.post(f"{BASE}/{shop.shop_id}/unfreeze-withdrawals", json={"reason": "申诉成立"}, headers=staff)
    assert r.status_code == 200 and r.json()["withdrawals_frozen_at"] is None
    events = client.get(f"/api/v1/shops/{shop.shop_id}/events", headers=shop.headers).json()
    assert [(e["kind"], e["reason"]) for e in events][-2:] == [
        ("withdrawals_frozen", "涉嫌刷单"),
        ("withdrawals_unfrozen", "申诉成立"),
    ]
