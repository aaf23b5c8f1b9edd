"""品牌授权: a merchant files an authorisation with its papers (a shop document uploaded through the
shops' checks), staff approve it; a product naming the brand waits in the brand-check queue with
the valid authorisation found, and failing the check rejects it. Bad input leaves nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.errors import AppError
from laotie.governance import brands
from laotie.governance.models_integrity import (
    BrandAuthorisation,
    BrandAuthorisationStatus,
    BrandCheck,
    BrandCheckStatus,
)
from laotie.shops import service as shops
from tests.factories.catalog import make_product, owner_principal, reviewer_principal
from tests.factories.shops import make_open_shop, pdf_bytes


def _papers(app: FastAPI, session: Session, shop_id: int, brand: str) -> int:
    doc = shops.upload(
        session,
        app.state.storage,
        owner_principal(session, shop_id),
        shop_id,
        kind="brand_authorization",
        filename="授权书.pdf",
        data=pdf_bytes(),
        brand=brand,
    )
    session.commit()
    return doc.id


def _body(document_id: int, **over: object) -> brands.BrandAuthIn:
    now = clock.now()
    values = {
        "brand": "耐克",
        "grantor_chain": ["耐克（中国）", "华东一级代理"],
        "valid_from": now - timedelta(days=30),
        "valid_until": now + timedelta(days=335),
        "document_id": document_id,
        **over,
    }
    return brands.BrandAuthIn.model_validate(values)


def test_authorised_brand_passes_and_a_fake_claim_is_rejected(
    app: FastAPI, db: object, session: Session
) -> None:
    shop_id, _, _ = make_open_shop(session)
    owner, staff = owner_principal(session, shop_id), reviewer_principal(session)
    filed = brands.submit(session, owner, shop_id, _body(_papers(app, session, shop_id, "耐克")))
    session.commit()
    assert filed.status == BrandAuthorisationStatus.PENDING and not filed.valid_now
    decided = brands.decide(session, staff, filed.id, brands.DecisionIn(approve=True))
    session.commit()
    assert decided.valid_now
    # A product naming the brand: checked, with the authorisation found.
    shoes = make_product(session, shop_id, title="耐克 Air 运动鞋")
    catalog.submit_for_review(session, owner, shoes.id)
    session.commit()
    app.state.outbox_worker.run_until_idle()
    session.rollback()
    [check] = brands.check_queue(session)
    assert (check.product_id, check.brand, check.authorisation_id) == (shoes.id, "耐克", filed.id)
    assert (
        brands.decide_check(session, staff, check.id, brands.DecisionIn(approve=True)).status
        == BrandCheckStatus.PASSED
    )
    session.commit()
    # Another brand with no papers: failing the check rejects the product in review.
    fake = make_product(session, shop_id, title="迪奥 香水 100ml")
    catalog.submit_for_review(session, owner, fake.id)
    session.commit()
    app.state.outbox_worker.run_until_idle()
    session.rollback()
    [check] = brands.check_queue(session)
    assert check.brand == "迪奥" and check.authorisation_id is None
    brands.decide_check(session, staff, check.id, brands.DecisionIn(approve=False))
    session.commit()
    assert catalog.inspect_product(session, staff, fake.id).status == "rejected"
    # A product naming no brand is not queued.
    plain = make_product(session, shop_id, title="无印手工皂")
    catalog.submit_for_review(session, owner, plain.id)
    session.commit()
    app.state.outbox_worker.run_until_idle()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(BrandCheck)) == 2


def test_expired_or_unbacked_authorisation_is_refused(app: FastAPI, db: object, session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    owner = owner_principal(session, shop_id)
    doc = _papers(app, session, shop_id, "耐克")
    now = clock.now()
    with pytest.raises(AppError) as expired:
        brands.submit(
            session,
            owner,
            shop_id,
            _body(doc, valid_from=now - timedelta(days=400), valid_until=now - timedelta(days=1)),
        )
    assert expired.value.code == "BRAND_AUTH_EXPIRED" and expired.value.status == 422
    with pytest.raises(AppError) as wrong_brand:
        brands.submit(session, owner, shop_id, _body(doc, brand="阿迪达斯"))
    assert wrong_brand.value.code == "BRAND_DOCUMENT_INVALID"
    other_shop, _, _ = make_open_shop(session)
    with pytest.raises(AppError) as not_member:
        brands.submit(session, owner, other_shop, _body(doc))
    assert not_member.value.status == 403
    session.rollback()
    assert session.scalar(select(func.count()).select_from(BrandAuthorisation)) == 0


def test_brand_authorisation_over_http(client: TestClient, app: FastAPI, session: Session) -> None:
    shop_id, _, headers = make_open_shop(session)
    doc = _papers(app, session, shop_id, "耐克")
    now = clock.now()
    body = {
        "brand": "耐克",
        "grantor_chain": ["耐克（中国）"],
        "valid_from": (now - timedelta(days=400)).isoformat(),
        "valid_until": (now - timedelta(days=1)).isoformat(),
        "document_id": doc,
    }
    url = f"/api/v1/shops/{shop_id}/brand-authorisations"
    expired = client.post(url, json=body, headers=headers)
    assert expired.status_code == 422 and expired.json()["error"]["code"] == "BRAND_AUTH_EXPIRED"
    body["valid_until"] = (now + timedelta(days=100)).isoformat()
    assert client.post(url, json=body, headers=headers).status_code == 201
    listed = client.get(url, headers=headers).json()
    assert [a["brand"] for a in listed] == ["耐克"]
