"""Paying before routing (``core.fast_routes``: ``orders.router.FAST_PAY``, the sandbox cashier's
``FAST_CONFIRM``) answers exactly what the routes answer, and declines what it may not answer.

A query string sends a request to its route (the fast path takes none; these routes ignore it), so
each answer of the fast path is compared with the route's answer to the same request: the same
status, bytes and headers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from laotie.core import fast_routes
from laotie.orders import service as orders
from tests.factories.orders import Buyer, checkout_body, key, make_buyer, make_on_sale

HEADERS = ("content-type", "content-length")
ROUTED = "?via=route"


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths the fast path answered itself."""
    seen: list[str] = []
    real_answer, real_error = fast_routes.FastCall.answer, fast_routes.FastCall.answer_error

    async def answer(call: fast_routes.FastCall, status: int, body: bytes) -> bool:
        seen.append(call.scope["path"])
        return await real_answer(call, status, body)

    async def answer_error(call: fast_routes.FastCall, exc: Any) -> bool:
        seen.append(call.scope["path"])
        return await real_error(call, exc)

    monkeypatch.setattr(fast_routes.FastCall, "answer", answer)
    monkeypatch.setattr(fast_routes.FastCall, "answer_error", answer_error)
    yield seen


def _same(fast: Response, routed: Response) -> None:
    assert (fast.status_code, fast.content) == (routed.status_code, routed.content)
    for name in HEADERS:
        assert fast.headers.get(name) == routed.headers.get(name), name


def _placed(session: Session, buyer: Buyer) -> int:
    sale = make_on_sale(session, price_fen=1290)
    placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (sale, 2)), key())
    session.commit()
    return placed.checkout_id


def _pay(
    client: TestClient, buyer: Buyer, checkout_id: int, k: str, query: str = "", **extra: str
) -> Response:
    headers = {**buyer.headers, "Idempotency-Key": k, **extra}
    return client.post(f"/api/v1/checkouts/{checkout_id}/pay{query}", headers=headers)


def test_a_pay_answers_what_the_route_answers(
    client: TestClient, session: Session, answered: list[str]
) -> None:
    buyer, other = make_buyer(session), make_buyer(session)
    first, second = _placed(session, buyer), _placed(session, buyer)
    k = key()
    started = _pay(client, buyer, first, k)
    assert started.status_code == 200 and answered == [f"/api/v1/checkouts/{first}/pay"]
    routed = _pay(client, buyer, second, key(), ROUTED)
    assert routed.status_code == 200 and len(answered) == 1
    assert started.json().keys() == routed.json().keys()
    for name in HEADERS[:1]:
        assert started.headers.get(name) == routed.headers.get(name)
    # A retry with the key: the same intent, by either path.
    _same(_pay(client, buyer, first, k), _pay(client, buyer, first, k, ROUTED))
    # Refusals: another key while the intent is open; someone else's checkout; in English.
    _same(_pay(client, buyer, first, key()), _pay(client, buyer, first, key(), ROUTED))
    _same(_pay(client, other, first, key()), _pay(client, other, first, key(), ROUTED))
    english = {"Accept-Language": "en"}
    _same(_pay(client, other, first, key(), **english), _pay(client, other, first, key(), ROUTED, **english))
    _same(_pay(client, buyer, 10**12, key()), _pay(client, buyer, 10**12, key(), ROUTED))
    assert len(answered) == 6


def test_a_pay_it_may_not_answer_goes_to_the_route(
    client: TestClient, session: Session, answered: list[str]
) -> None:
    buyer = make_buyer(session)
    checkout_id = _placed(session, buyer)
    no_token = client.post(f"/api/v1/checkouts/{checkout_id}/pay", headers={"Idempotency-Key": key()})
    assert no_token.status_code == 401
    bad_token = {"Authorization": "Bearer nope", "Idempotency-Key": key()}
    assert client.post(f"/api/v1/checkouts/{checkout_id}/pay", headers=bad_token).status_code == 401
    assert client.post(f"/api/v1/checkouts/{checkout_id}/pay", headers=buyer.headers).status_code == 422
    too_long = _pay(client, buyer, checkout_id, "k" * 101)
    assert too_long.status_code == 422
    assert _pay(client, buyer, 0, key()).status_code == 422
    assert _pay(client, buyer, 2**63, key()).status_code == 422
    assert _pay(client, buyer, checkout_id, key(), "", **{"Idempotency-Key": ""}).status_code == 422
    assert answered == []
    # Only then is it paid, by the fast path.
    assert _pay(client, buyer, checkout_id, key()).status_code == 200 and len(answered) == 1


def _confirm(client: TestClient, intent: dict[str, Any], query: str = "", **body: Any) -> Response:
    wanted = {"client_secret": intent["client_secret"], "payment_method": "tok_ok", **body}
    return client.post(intent["next_action_url"] + query, json=wanted)


def test_a_confirmation_answers_what_the_route_answers(
    client: TestClient, session: Session, answered: list[str]
) -> None:
    buyer = make_buyer(session)
    a, b = (_pay(client, buyer, _placed(session, buyer), key()).json() for _ in range(2))
    answered.clear()
    fast, routed = _confirm(client, a), _confirm(client, b, ROUTED)
    assert fast.status_code == routed.status_code == 202 and len(answered) == 1
    assert fast.content.replace(a["provider_ref"].encode(), b"REF").replace(
        fast.json()["expires_at"].encode(), b"T"
    ) == routed.content.replace(b["provider_ref"].encode(), b"REF").replace(
        routed.json()["expires_at"].encode(), b"T"
    )
    assert fast.headers["content-type"] == routed.headers["content-type"]
    # A second tap, a wrong secret: the same refusals.
    _same(_confirm(client, a), _confirm(client, a, ROUTED))
    _same(_confirm(client, b, client_secret="wrong"), _confirm(client, b, ROUTED, client_secret="wrong"))
    assert len(answered) == 3


def test_a_confirmation_it_may_not_answer_goes_to_the_route_with_its_body(
    client: TestClient, session: Session, answered: list[str]
) -> None:
    buyer = make_buyer(session)
    intent = _pay(client, buyer, _placed(session, buyer), key()).json()
    answered.clear()
    url = intent["next_action_url"]
    for body in (
        {"client_secret": intent["client_secret"]},
        {"client_secret": "", "payment_method": "tok_ok"},
    ):
        _same(client.post(url, json=body), client.post(url + ROUTED, json=body))
    for raw in (b"[1]", b"{not json", b""):
        sent = {"content": raw, "headers": {"Content-Type": "application/json"}}
        _same(client.post(url, **sent), client.post(url + ROUTED, **sent))  # type: ignore[arg-type]
    form = client.post(url, data={"client_secret": intent["client_secret"], "payment_method": "tok_ok"})
    assert form.status_code == 422 and answered == []
    # A NUL in the body is refused while the fast path reads it, with the route's answer.
    nul = b'{"client_secret": "a\\u0000", "payment_method": "tok_ok"}'
    sent = {"content": nul, "headers": {"Content-Type": "application/json"}}
    _same(client.post(url, **sent), client.post(url + ROUTED, **sent))  # type: ignore[arg-type]
    assert client.post(url, **sent).status_code == 422 and len(answered) == 2  # type: ignore[arg-type]
    assert _confirm(client, intent).status_code == 202 and len(answered) == 3
