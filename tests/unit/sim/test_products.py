from __future__ import annotations

import math
import random

import pytest

from laotie.catalog.schemas import ProductCreate
from laotie.sim import images
from laotie.sim.licences import credit_code
from laotie.sim.names import LEAVES
from laotie.sim.products import plan_product


@pytest.mark.parametrize("leaf", sorted(LEAVES))
def test_every_leaf_gets_valid_believable_products(leaf: str) -> None:
    rng = random.Random(leaf)
    for serial in range(3):
        plan = plan_product(rng, leaf, "服饰内衣", serial)
        body = ProductCreate.model_validate({**plan.body, "category_id": 1})
        assert 0 < len(body.title) <= 60 and plan.short in body.title
        expected = math.prod(len(a.values) for a in body.attributes)
        assert len(body.skus) == expected
        assert len({tuple(sorted(s.attrs.items())) for s in body.skus}) == expected
        for sku in body.skus:
            assert sku.price_fen > 0 and sku.price_fen % 10 == 0
            assert sku.original_price_fen is None or sku.original_price_fen >= sku.price_fen
            assert set(sku.attrs) == {a.name for a in body.attributes}


def test_unknown_leaves_still_get_a_product() -> None:
    plan = plan_product(random.Random(1), "新类目", "其他", 1)
    assert plan.body["skus"] and plan.body["title"]


def test_credit_codes_pass_the_check_character() -> None:
    from laotie.shops.licence import validate_licence

    rng = random.Random(7)
    for entity in ("company", "individual_business") * 50:
        validate_licence(credit_code(rng, entity), entity)


def test_product_images_are_jpegs_with_the_name_drawn() -> None:
    data = images.product_image("东北木耳", "250g", "k")
    assert data[:3] == b"\xff\xd8\xff"
    assert images.product_image("东北木耳", "250g", "k") == data  # deterministic
    assert images.product_image("东北木耳", "250g", "other") != data
    assert images.has_cjk_font(), "install fonts-wqy-microhei: demo pictures would have no words"
