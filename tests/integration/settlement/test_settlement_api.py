"""A shop's money over HTTP: the owner sets an account, withdraws, retries, and reads the statement."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core.db import Database
from tests.factories.settlement import give_pending, make_money_shop, make_staff, round_trip


def test_withdraw_over_http_end_to_end(db: Database, client: TestClient, session: Session) -> None:
    shop = make_money_shop(session, available_fen=20_000, account_number=None)
    give_pending(session, shop.shop_id, 5_000)
    _, staff_headers = make_staff(session, shop)
    base = f"/api/v1/shops/{shop.shop_id}"

    r = client.put(
        f"{base}/payout-account",
        json={
            "holder_name": "东北山货源头店",
            "bank_name": "中国工商银行",
            "account_number": "6222020200112233445",
        },
        headers=shop.headers,
    )
    assert (r.status_code, r.json()["account_masked"]) == (200, "**** **** **** 3445")
    assert "6222020200112233445" not in client.get(f"{base}/payout-account", headers=shop.headers).text
    assert client.get(f"{base}/payout-account", headers=staff_headers).status_code == 403

    asked = {**shop.headers, "Idempotency-Key": "wd-1"}
    r = client.post(f"{base}/withdrawals", json={"amount_fen": 8_000}, headers=shop.headers)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REQUIRED")
    r = client.post(f"{base}/withdrawals", json={"amount_fen": 80.5}, headers=asked)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "VALIDATION_ERROR")
    r = client.post(f"{base}/withdrawals", json={"amount_fen": 8_000}, headers=asked)
    assert (r.status_code, r.json()["status"]) == (201, "requested")
    withdrawal_id = r.json()["id"]
    again = client.post(f"{base}/withdrawals", json={"amount_fen": 8_000}, headers=asked)
    assert (again.status_code, again.json()["id"], again.json()["replayed"]) == (200, withdrawal_id, True)
    r = client.post(f"{base}/withdrawals", json={"amount_fen": 9_000}, headers=asked)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")
    r = client.post(
        f"{base}/withdrawals", json={"amount_fen": 1_000}, headers={**staff_headers, "Idempotency-Key": "s"}
    )
    assert (r.status_code, r.json()["error"]["code"]) == (403, "NOT_SHOP_OWNER")
    r = client.post(
        f"{base}/withdrawals", json={"amount_fen": 12_001}, headers={**asked, "Idempotency-Key": "b"}
    )
    assert (r.status_code, r.json()["error"]["code"]) == (409, "INSUFFICIENT_BALANCE")

    balance = client.get(f"{base}/balance", headers=staff_headers).json()
    assert {k: balance[k] for k in ("pending_fen", "available_fen", "in_flight_fen", "withdrawn_fen")} == {
        "pending_fen": 5_000,
        "available_fen": 12_000,
        "in_flight_fen": 8_000,
        "withdrawn_fen": 0,
    }

    round_trip(db, client, session)

    detail = client.get(f"{base}/withdrawals/{withdrawal_id}", headers=shop.headers).json()
    assert detail["status"] == "paid" and "account_number" not in detail
    assert [e["kind"] for e in detail["events"]] == ["requested", "payout_sent", "paid"]
    listed = client.get(f"{base}/withdrawals", params={"status": "paid"}, headers=staff_headers).json()
    assert ([w["id"] for w in listed["items"]], listed["total"]) == ([withdrawal_id], 1)
    balance = client.get(f"{base}/balance", params={"limit": 2}, headers=shop.headers).json()
    assert (balance["in_flight_fen"], balance["withdrawn_fen"], balance["available_fen"]) == (
        0,
        8_000,
        12_000,
    )
    statement = balance["statement"]
    assert statement["total"] == 3
    assert [(line["account"], line["amount_fen"], line["kind"]) for line in statement["items"]] == [
        ("shop_available", -8_000, "withdrawal"),
        ("shop_pending", 5_000, "test_pending"),
    ]
    assert statement["items"][0]["reference_id"] == str(withdrawal_id)
    older = client.get(f"{base}/balance", params={"limit": 2, "offset": 2}, headers=shop.headers).json()
    assert [line["amount_fen"] for line in older["statement"]["items"]] == [20_000]


def test_outsiders_see_nothing(client: TestClient, session: Session) -> None:
    mine = make_money_shop(session)
    theirs = make_money_shop(session)
    base = f"/api/v1/shops/{mine.shop_id}"
    r = client.post(
        f"{base}/withdrawals", json={"amount_fen": 1_000}, headers={**mine.headers, "Idempotency-Key": "k"}
    )
    withdrawal_id = r.json()["id"]
    for path in ("/balance", "/withdrawals", f"/withdrawals/{withdrawal_id}", "/payout-account"):
        assert client.get(base + path, headers=theirs.headers).status_code == 403, path
        assert client.get(base + path).status_code == 401, path
    r = client.get(f"/api/v1/shops/{theirs.shop_id}/withdrawals/{withdrawal_id}", headers=theirs.headers)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "WITHDRAWAL_NOT_FOUND")
    r = client.post(
        f"{base}/withdrawals", json={"amount_fen": 1_000}, headers={**theirs.headers, "Idempotency-Key": "k"}
    )
    assert r.status_code == 403
    assert client.get("/api/v1/shops/999999/balance", headers=mine.headers).status_code == 404
