"""Each product keeps copies of its category's ancestors at levels 1 and 2 (``catalog_product.
category_l1_id`` / ``category_l2_id``), the shelf's filter for a branch (issue 15, growth). These
tests fail when a write leaves the copies stale or when a branch's shelf shows other products."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from laotie.catalog import filing
from laotie.catalog import service as catalog
from laotie.catalog.listing import category_filter
from laotie.catalog.models import Product
from laotie.catalog.schemas import ProductUpdate
from laotie.categories import service as categories
from laotie.categories.schemas import CategoryCreate
from laotie.core.db import Database, make_engine
from laotie.core.pagination import PageParams
from laotie.core.uow import unit_of_work
from laotie.migrations import alembic_config, upgrade
from tests.conftest import DB_PREFIX, postgres_url_for
from tests.factories.catalog import make_listed_product, owner_principal, reviewer_principal
from tests.factories.shops import make_open_shop

PAGE = PageParams(limit=100)


def _copies(session: Session, product_id: int) -> tuple[int | None, int | None]:
    row = session.execute(
        select(Product.category_l1_id, Product.category_l2_id).where(Product.id == product_id)
    ).one()
    return row[0], row[1]


def _shelf(session: Session, client: TestClient, category_id: int) -> set[int]:
    """The branch's products, by the services' shelf and by the public JSON shelf; both must agree."""
    by_service = {c.id for c in catalog.list_listed(session, PAGE, category_id=category_id).items}
    answer = client.get("/api/v1/products", params={"category_id": category_id, "limit": 100})
    assert answer.status_code == 200, answer.text
    by_route = {c["id"] for c in answer.json()["items"]}
    assert by_service == by_route
    return by_route


def _new(session: Session, name: str, parent_id: int | None = None) -> int:
    out = categories.create_category(
        session, CategoryCreate(parent_id=parent_id, name=f"{name}{uuid.uuid4().hex[:6]}")
    )
    session.commit()
    return out.id


def test_a_product_keeps_its_ancestors_when_created_and_when_moved(
    session: Session, client: TestClient
) -> None:
    shop_id, _, _ = make_open_shop(session)
    tree = categories.tree(session)
    clothes, food = tree[0], next(n for n in tree if n.name == "食品饮料")
    women, fruit = clothes.children[0], food.children[0]
    dress, apple = women.children[0].id, fruit.children[0].id
    product = make_listed_product(session, shop_id, category_id=dress)
    assert _copies(session, product.id) == (clothes.id, women.id)
    assert product.id in _shelf(session, client, clothes.id) and product.id in _shelf(
        session, client, women.id
    )

    catalog.update_product(
        session, owner_principal(session, shop_id), product.id, ProductUpdate(category_id=apple)
    )
    catalog.approve(session, reviewer_principal(session), product.id)  # a moved product is reviewed again
    session.commit()
    assert _copies(session, product.id) == (food.id, fruit.id)
    assert filing.stale_products(session) == []
    # The move shows on the shelf (the route's cached pages last at most a second; these are new keys).
    assert product.id not in {c.id for c in catalog.list_listed(session, PAGE, category_id=clothes.id).items}
    assert product.id in _shelf(session, client, food.id) and product.id in _shelf(session, client, fruit.id)
    assert product.id in _shelf(session, client, apple)


def test_every_branch_shows_exactly_its_products(session: Session, client: TestClient) -> None:
    """A tree of four levels: a branch at level 1 or 2 filters on a copy, a deeper one on its leaves."""
    top = _new(session, "测试一级")
    mid = _new(session, "二级", top)
    shallow_leaf = _new(session, "二级叶", top)  # a leaf at level 2
    deep = _new(session, "三级", mid)
    leaf3 = _new(session, "三级叶", mid)
    leaf4 = _new(session, "四级叶", deep)
    shop_id, _, _ = make_open_shop(session)
    at = {
        leaf: make_listed_product(session, shop_id, category_id=leaf).id
        for leaf in (shallow_leaf, leaf3, leaf4)
    }
    other = make_listed_product(session, shop_id).id  # in the default tree

    assert _copies(session, at[shallow_leaf]) == (top, shallow_leaf)
    assert _copies(session, at[leaf3]) == (top, mid)
    assert _copies(session, at[leaf4]) == (top, mid)
    assert filing.stale_products(session) == []
    kinds = {c: category_filter(session, c)[0] for c in (top, mid, deep, leaf4, shallow_leaf)}  # type: ignore[index]
    assert kinds == {top: "l1", mid: "l2", deep: "branch", leaf4: "leaf", shallow_leaf: "leaf"}

    for category in (top, mid, shallow_leaf, deep, leaf3, leaf4):
        expected = {p for leaf, p in at.items() if leaf in categories.descendant_ids(session, category)}
        assert _shelf(session, client, category) == expected, category
    assert other not in _shelf(session, client, top)


def test_stale_copies_are_found_and_refiled(session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    good = make_listed_product(session, shop_id)
    bad = make_listed_product(session, shop_id)
    right = _copies(session, bad.id)
    session.execute(
        update(Product).where(Product.id == bad.id).values(category_l1_id=None, category_l2_id=right[0])
    )
    session.commit()
    assert filing.stale_products(session) == [bad.id]
    catalog.refile_products(session)
    session.commit()
    assert filing.stale_products(session) == []
    assert _copies(session, bad.id) == right and _copies(session, good.id) == right


@pytest.fixture(params=["sqlite", "postgres"])
def migrated_url(request: pytest.FixtureRequest, tmp_path: Path, worker_id: str) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'filing.db'}"
    return postgres_url_for(f"{DB_PREFIX}_filing_{worker_id}")


def test_the_migration_backfills_the_copies(migrated_url: str) -> None:
    from alembic import command

    upgrade(migrated_url)
    db = Database(migrated_url, pool_size=2)
    try:
        with unit_of_work(db) as session:
            categories.seed_default_tree(session)
            session.commit()
            shop_id, _, _ = make_open_shop(session)
            ids = [
                make_listed_product(session, shop_id, category_id=c).id
                for c in categories.leaf_ids(session)[:3]
            ]
            expected = {i: _copies(session, i) for i in ids}
    finally:
        db.dispose()
    command.downgrade(alembic_config(migrated_url), "15c00000000r")  # drops the copies
    upgrade(migrated_url)  # adds them again, filled from the tree
    engine = make_engine(migrated_url)
    try:
        with Session(engine) as session:
            assert {i: _copies(session, i) for i in ids} == expected
            assert all(v[0] is not None and v[1] is not None for v in expected.values())
            assert filing.stale_products(session) == []
    finally:
        engine.dispose()
