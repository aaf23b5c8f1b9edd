from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core.auth import Role
from laotie.shops import service as shops
from tests.factories import make_user
from tests.factories.catalog import make_product, owner_principal
from tests.factories.shops import apply_for_shop, make_open_shop
from tests.factories.web import sign_in


def test_review_queues_and_approving_a_product_lists_it(client: TestClient, session: Session) -> None:
    pending_id, _, _ = apply_for_shop(session, name="待审小店")
    shop_id, _, _ = make_open_shop(session)
    product = make_product(session, shop_id, title="待审核的蜂蜜")
    catalog.submit_for_review(session, owner_principal(session, shop_id), product.id)
    session.commit()
    _, headers = make_user(session, Role.GOVERNANCE)
    sign_in(client, headers)

    page = client.get("/governance").text
    assert "开店申请 1" in page and "待审小店" in page and "商品审核 1" in page
    page = client.get("/governance?tab=products").text
    assert "待审核的蜂蜜" in page
    assert "待审核的蜂蜜" not in client.get("/").text

    r = client.post(f"/governance/products/{product.id}/approve", follow_redirects=False)
    assert r.status_code == 303
    assert "商品已通过审核并上架" in client.get(r.headers["location"]).text
    client.app.state.outbox_worker.run_until_idle()  # the home feed reads the search index, fed by events
    assert "待审核的蜂蜜" in client.get("/").text

    r = client.post(f"/governance/shops/{pending_id}/approve", follow_redirects=False)
    assert r.status_code == 303
    assert shops.get_shop(session, pending_id).status.value == "open"


def test_rejections_need_a_reason_and_reach_the_merchant(client: TestClient, session: Session) -> None:
    pending_id, _, owner_headers = apply_for_shop(session, name="资料不全小店")
    _, headers = make_user(session, Role.ADMIN)
    sign_in(client, headers)
    r = client.post(f"/governance/shops/{pending_id}/reject", data={"reason": "  "})
    assert r.status_code == 422 and "请填写原因" in r.text
    assert shops.get_shop(session, pending_id).review_state.value == "pending"
    session.rollback()  # end the read so SQLite's write lock is free for the next request
    r = client.post(
        f"/governance/shops/{pending_id}/reject",
        data={"reason": "经营者姓名与执照不符"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    detail = client.get(f"/governance/shops/{pending_id}").text
    assert "已驳回" in detail and "经营者姓名与执照不符" in detail
    sign_in(client, owner_headers)
    assert "经营者姓名与执照不符" in client.get("/merchant").text


def test_product_review_page_and_ban(client: TestClient, session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    product = make_product(session, shop_id, title="可疑商品", colours=["红"])
    _, headers = make_user(session, Role.GOVERNANCE)
    sign_in(client, headers)
    page = client.get(f"/governance/products/{product.id}").text
    assert "可疑商品" in page and "封禁" in page and "¥99.00" in page
    r = client.post(
        f"/governance/products/{product.id}/ban", data={"reason": "疑似售假"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert (
        catalog.get_product(session, owner_principal(session, shop_id), product.id).status.value == "banned"
    )
