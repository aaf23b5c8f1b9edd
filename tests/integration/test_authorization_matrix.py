"""House rule 11, enforced: every route declares who may call it, and the declaration holds.

The matrix walks every route of ``create_app()`` (API and page routes alike). A route must declare
its access through ``laotie.core.auth`` (``PublicAccess``, ``AnyUser`` or ``require_roles``); the
test then calls each route anonymously and as a user holding each single role, and checks that the
auth layer answers as declared *before* any validation or lookup can leak what exists. Path
parameters get a harmless id; the body is an empty JSON object: FastAPI solves dependencies before
it reports validation errors, so a wrong role must see 403 ``FORBIDDEN`` whatever the body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.core.auth import AnyUser, Principal, Role, require_roles
from laotie.core.errors import NOT_FOUND
from laotie.orders import service as orders
from laotie.settlement import service as settlement
from tests.factories import make_user
from tests.factories.access import single_role_callers
from tests.factories.catalog import leaf_category_id, make_listed_product
from tests.factories.openapi import operations
from tests.factories.orders import OnSale, checkout_body, key, make_buyer
from tests.factories.settlement import give_available, set_account
from tests.factories.shops import application, image_bytes, make_open_shop, principal_of
from tests.integration.routes import Endpoint, audit_routes, fill_path, path_names

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
PROMOTION_BODIES: dict[str, dict[str, Any]] = {
    "coupon": {
        "name": "满199减20",
        "threshold_fen": 19900,
        "cut_fen": 2000,
        "total_quantity": 10,
        "valid_from": "2026-01-01T00:00:00+00:00",
        "valid_until": "2036-01-01T00:00:00+00:00",
    },
    "multibuy": {
        "name": "2件9折",
        "tiers": [{"pieces": 2, "percent_off_bp": 1000}],
        "starts_at": "2026-01-01T00:00:00+00:00",
        "ends_at": "2036-01-01T00:00:00+00:00",
    },
}
LOGIN_PAGE = "/login"


def call(client: TestClient, endpoint: Endpoint, headers: dict[str, str], url: str | None = None) -> Response:
    body = {"json": {}} if endpoint.method in WRITE_METHODS else {}
    return client.request(
        endpoint.method, url or fill_path(endpoint), headers=headers, follow_redirects=False, **body
    )


_PAGE_CODE = re.compile(r'data-error-code="([A-Z_]+)"')


def _code(response: Response) -> str | None:
    """The error code of an API answer, or of an error page (which keeps it in a data attribute)."""
    if response.headers.get("content-type", "").startswith("text/html"):
        found = _PAGE_CODE.search(response.text)
        return found.group(1) if found else None
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def _asks_to_log_in(endpoint: Endpoint, response: Response) -> bool:
    if response.status_code == 401:
        return endpoint.is_page or _code(response) == "NOT_AUTHENTICATED"
    # Pages send a browser to the log-in page instead.
    return (
        endpoint.is_page
        and response.status_code in (302, 303, 307)
        and LOGIN_PAGE in response.headers.get("location", "")
    )


HeadersFor = Callable[[Role | None], dict[str, str]]


def matrix_problems(client: TestClient, endpoints: list[Endpoint], headers_for: HeadersFor) -> list[str]:
    """Call each endpoint anonymously and as each single role; list every answer that breaks its access."""
    problems: list[str] = []
    for endpoint in endpoints:
        anonymous = call(client, endpoint, headers_for(None))
        if endpoint.access.kind == "public":
            if anonymous.status_code in (401, 403):
                problems.append(f"{endpoint.label}: public, but anonymous got {anonymous.status_code}")
            continue
        if not _asks_to_log_in(endpoint, anonymous):
            problems.append(
                f"{endpoint.label}: anonymous got {anonymous.status_code} {_code(anonymous)}, not a log-in request"
            )
        for role in Role:
            answer = call(client, endpoint, headers_for(role))
            allowed = endpoint.access.kind == "authenticated" or role in endpoint.access.roles
            if allowed and (answer.status_code == 401 or _code(answer) == "FORBIDDEN"):
                problems.append(f"{endpoint.label}: {role} is allowed but got {answer.status_code}")
            elif not allowed and (answer.status_code != 403 or _code(answer) != "FORBIDDEN"):
                problems.append(
                    f"{endpoint.label}: {role} is not allowed but got {answer.status_code} {_code(answer)}"
                )
    return problems


def _headers_factory(session: Session) -> HeadersFor:
    callers = single_role_callers(session)
    return lambda role: callers[role]() if role is not None else {}


def test_every_route_declares_its_access(app: FastAPI) -> None:
    endpoints, undeclared = audit_routes(app)
    assert undeclared == [], "routes without PublicAccess / AnyUser / require_roles:\n" + "\n".join(
        undeclared
    )
    assert any(e.access.kind == "roles" for e in endpoints)


def test_every_route_answers_as_it_declares(app: FastAPI, client: TestClient, session: Session) -> None:
    endpoints, _ = audit_routes(app)
    problems = matrix_problems(client, endpoints, _headers_factory(session))
    assert problems == [], "\n".join(problems)


# The matrix must catch the mistakes it exists for; prove it on an app with three bad routes.


def _admin_gate_that_checks_nothing(principal: Principal = AnyUser) -> Principal:
    return principal


_admin_gate_that_checks_nothing.__laotie_access__ = ("roles", (Role.ADMIN,))  # type: ignore[attr-defined]


def _load_thing(thing_id: int) -> int:
    raise NOT_FOUND(thing_id=thing_id)


def _bad_routes() -> APIRouter:
    probe = APIRouter(prefix="/api/v1/_probe")

    @probe.get("/undeclared")
    def undeclared() -> dict[str, str]:
        return {}

    @probe.post("/unenforced")
    def unenforced(_: Principal = Depends(_admin_gate_that_checks_nothing)) -> dict[str, str]:
        return {}

    @probe.get("/lookup-first/{thing_id}")
    def lookup_first(thing: int = Depends(_load_thing), _: Principal = require_roles(Role.ADMIN)) -> int:
        return thing

    return probe


def test_the_matrix_catches_bad_routes(app: FastAPI, client: TestClient, session: Session) -> None:
    app.include_router(_bad_routes())
    endpoints, undeclared = audit_routes(app)
    assert undeclared == ["GET /api/v1/_probe/undeclared"]
    probes = [e for e in endpoints if "/_probe/" in e.path]
    problems = matrix_problems(client, probes, _headers_factory(session))
    # A gate that forgets to check lets every non-admin role through.
    assert sum("/unenforced: " in p and "is not allowed but got 200" in p for p in problems) == len(Role) - 1
    # A lookup before the role check tells a stranger what exists (404 instead of 403).
    assert any("/lookup-first/" in p and "buyer is not allowed but got 404" in p for p in problems)
    assert not any(": admin " in p for p in problems)


# Ownership: a merchant reaches only its own shop's data, on every route under /api/v1/shops/{shop_id}.

SHOP_SCOPED = ("/api/v1/shops/{shop_id}", "/merchant/shops/{shop_id}")


def _shop_objects(
    app: FastAPI, client: TestClient, session: Session, shop_id: int, owner_id: int, owner: dict[str, str]
) -> dict[str, str]:
    """Real objects of the shop, by path-parameter name: a document, a staff member, a listed
    product with its SKUs and a picture, a buyer's order, a withdrawal and a shipping template."""
    document = client.post(
        f"/api/v1/shops/{shop_id}/documents",
        headers=owner,
        files={"file": ("licence.png", image_bytes(), "image/png")},
        data={"kind": "business_license"},
    )
    assert document.status_code == 201, document.text
    staff_id, _ = make_user(session, nickname="店员")
    phone = accounts.get_user_out(session, staff_id).phone
    member = client.post(f"/api/v1/shops/{shop_id}/members", headers=owner, json={"phone": phone})
    assert member.status_code == 201, member.text
    product = make_listed_product(session, shop_id, storage=app.state.storage, colours=["红", "黑"])
    buyer = make_buyer(session)
    line = OnSale(shop_id, owner, product.id, product.skus[0].id, product.skus[0].price_fen)
    placed = orders.checkout(session, buyer.principal, checkout_body(buyer, (line, 1)), key())
    session.commit()
    give_available(session, shop_id, 10_000)
    set_account(session, shop_id, principal_of(session, owner_id))
    withdrawal = settlement.request_withdrawal(
        session, principal_of(session, owner_id), shop_id, 1_000, key()
    )
    session.commit()
    template = client.post(
        f"/api/v1/shops/{shop_id}/shipping-templates",
        headers=owner,
        json={"name": "默认", "default": {"first_fee_fen": 800}},
    )
    assert template.status_code == 201, template.text
    return {
        "shop_id": str(shop_id),
        "template_id": str(template.json()["id"]),
        "document_id": str(document.json()["id"]),
        "user_id": str(staff_id),
        "product_id": str(product.id),
        "sku_id": str(product.skus[0].id),
        "image_id": str(product.images[0].id),
        "order_id": str(placed.orders[0].id),
        "withdrawal_id": str(withdrawal.id),
    }


def _page_forms(session: Session) -> dict[str, dict[str, Any]]:
    """Forms that pages check before the shop (pages are not in the OpenAPI document): valid ones,
    so the answer comes from the ownership check."""
    application_form = {
        k: str(v) for k, v in application(leaf_category_id(session)).model_dump().items() if v
    }
    return {
        "POST /merchant/shops/{shop_id}/resubmit": {"data": application_form},
        "POST /merchant/shops/{shop_id}/documents": {
            "data": {"kind": "business_license"},
            "files": {"file": ("licence.png", image_bytes(), "image/png")},
        },
        # Promotions: bodies whose cross-field checks pass, so the answer comes from the shop check.
        "POST /api/v1/shops/{shop_id}/coupons": {"json": PROMOTION_BODIES["coupon"]},
        "POST /api/v1/shops/{shop_id}/multibuys": {"json": PROMOTION_BODIES["multibuy"]},
    }


def test_a_merchant_cannot_reach_another_shop(app: FastAPI, client: TestClient, session: Session) -> None:
    shop_a, _, owner_a = make_open_shop(session)
    shop_b, owner_b_id, owner_b = make_open_shop(session)
    objects_b = _shop_objects(app, client, session, shop_b, owner_b_id, owner_b)
    requests = {(op.method, op.path): op for op in operations(app.openapi())}
    page_forms = _page_forms(session)
    session.commit()  # on SQLite an open transaction would hold the write lock the app needs
    endpoints, _ = audit_routes(app)
    scoped = [e for e in endpoints if e.path.startswith(SHOP_SCOPED) and e.access.kind != "public"]
    assert len(scoped) >= 5
    problems = []
    for endpoint in scoped:
        op = requests.get((endpoint.method, endpoint.path))
        body = op.minimal_request(("doc.png", image_bytes(), "image/png")) if op else {}
        body = page_forms.get(endpoint.label, body)
        unknown = path_names(endpoint) - set(objects_b) - {"action"}
        assert not unknown, f"{endpoint.label}: no object of shop B to fill {unknown} with; add one above"
        urls = [fill_path(endpoint, objects_b)]
        if len(path_names(endpoint)) > 1:
            # Shop B's objects under shop A's own path must not be reachable either.
            urls.append(fill_path(endpoint, {**objects_b, "shop_id": str(shop_a)}))
        for url in urls:
            # A well-formed request (the key is a required header where a route takes one), so that
            # what answers is the ownership check, not the missing key.
            keyed = {**owner_a, "Idempotency-Key": f"matrix-{endpoint.method}-{url}"[:100]}
            r = client.request(endpoint.method, url, headers=keyed, **body)
            if r.status_code not in (403, 404):
                problems.append(
                    f"{endpoint.method} {url}: another shop's owner got {r.status_code} {_code(r)}"
                )
        if endpoint.method == "GET":
            # The objects are real: their own shop's owner reads them.
            r = client.get(fill_path(endpoint, objects_b), headers=owner_b)
            assert r.status_code == 200, f"{endpoint.label} for its own owner: {r.status_code} {r.text}"
    assert problems == [], "\n".join(problems)
