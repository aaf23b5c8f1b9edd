"""The shipping line on a product page: the quote checkout would charge, with the shop's templates
kept per process for the shop facts' bound (``pages_buyer.SHOP_FACTS_TTL``) and which template a
product ships under read with the page (the read cache's bound)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.catalog.http_cache import cache_for
from laotie.core.db import Database
from laotie.core.uow import unit_of_work
from laotie.logistics import service as logistics
from laotie.logistics.schemas import ProductShippingIn, TemplateIn
from laotie.web import pages_buyer
from tests.factories.logistics import STANDARD, make_template, owner_of, ship_under
from tests.factories.orders import make_on_sale

TTL = 0.4  # the pages' bound in these tests (the default is 1 s; the rule is the same)
FACTS = 1.2  # the shop facts' bound in these tests (10 s in a server)
FEE = re.compile(r'id="shipping-fee">([^<]*)<')


@pytest.fixture
def other_process(db: Database, app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """A second engine on the same database: its commits are not seen by this process's write watch,
    exactly as a write in another ``laotie serve`` worker would not be."""
    cache_for(db).ttl = TTL
    monkeypatch.setattr(pages_buyer, "SHOP_FACTS_TTL", FACTS)
    other = Database(db.url, pool_size=2)
    yield other
    other.dispose()
    cache_for(db).ttl = 1.0


def _fee(client: TestClient, product_id: int, region: str | None = None) -> str:
    page = client.get(f"/p/{product_id}" + (f"?region={region}" if region else ""))
    assert page.status_code == 200
    found = FEE.search(page.text)
    assert found is not None
    return found.group(1)


def _body(**overrides: Any) -> TemplateIn:
    return TemplateIn.model_validate({**STANDARD, **overrides})


def _until(client: TestClient, product_id: int, label: str, since: float, bound: float) -> None:
    """The page shows ``label`` no later than ``bound`` after ``since`` (a request asked in time may
    answer late on a busy machine, so the ask is what counts)."""
    while True:
        asked = time.monotonic()
        if _fee(client, product_id) == label:
            return
        assert asked - since <= bound + 0.05, f"the page still showed {_fee(client, product_id)!r}"
        time.sleep(0.02)


def test_the_page_quotes_what_checkout_would(client: TestClient, session: Session) -> None:
    sale = make_on_sale(session, price_fen=3000)
    free = make_on_sale(session, price_fen=3000, shop_id=sale.shop_id)  # no template: 包邮
    none = make_on_sale(session, price_fen=3000)  # a shop without templates
    template = make_template(session, sale.shop_id)
    ship_under(session, sale, template.id, weight_g=300)
    for product_id in (sale.product_id, free.product_id, none.product_id):
        for region in (None, "440000", "650000", "540000", "710000", "110105"):
            quote = logistics.product_quote(session, product_id, region or "330000")
            assert _fee(client, product_id, region) == quote.label, (product_id, region)
    assert (
        _fee(client, sale.product_id) == "运费 ¥8.00"
        and _fee(client, sale.product_id, "440000") == "运费 ¥5.00"
    )
    assert _fee(client, sale.product_id, "710000") == "该地区不配送"
    assert _fee(client, free.product_id) == "包邮" and _fee(client, none.product_id) == "包邮"


def test_a_template_changed_here_shows_at_once(client: TestClient, session: Session) -> None:
    sale = make_on_sale(session, price_fen=3000)
    template = make_template(session, sale.shop_id)
    ship_under(session, sale, template.id)
    assert _fee(client, sale.product_id) == "运费 ¥8.00"
    owner = owner_of(session, sale.shop_id)
    logistics.update_template(
        session, owner, sale.shop_id, template.id, _body(default={"first_fee_fen": 600, "extra_fee_fen": 0})
    )
    session.commit()  # this process's write watch empties its caches at once
    assert _fee(client, sale.product_id) == "运费 ¥6.00"


def test_templates_changed_elsewhere_show_within_the_shop_facts_bound(
    client: TestClient, session: Session, other_process: Database
) -> None:
    sale = make_on_sale(session, price_fen=3000)
    template = make_template(session, sale.shop_id)
    ship_under(session, sale, template.id)
    assert _fee(client, sale.product_id) == "运费 ¥8.00"
    with unit_of_work(other_process) as s:  # the fee, changed in another process
        body = _body(default={"first_fee_fen": 500, "extra_fee_fen": 0})
        logistics.update_template(s, owner_of(s, sale.shop_id), sale.shop_id, template.id, body)
        s.commit()
    _until(client, sale.product_id, "运费 ¥5.00", time.monotonic(), FACTS)

    # a shop kept as having no template: its first template reaches the page within the same bound
    bare = make_on_sale(session, price_fen=3000)
    assert _fee(client, bare.product_id) == "包邮"
    with unit_of_work(other_process) as s:
        owner = owner_of(s, bare.shop_id)
        made = logistics.create_template(s, owner, bare.shop_id, _body())
        logistics.set_product_shipping(
            s, owner, bare.shop_id, bare.product_id, ProductShippingIn(template_id=made.id, weight_g=0)
        )
        s.commit()
    _until(client, bare.product_id, "运费 ¥8.00", time.monotonic(), FACTS)


def test_which_template_a_product_ships_under_is_read_with_the_page(
    client: TestClient, session: Session, other_process: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Moving a product to another template takes the page's own bound, not the shop facts': a
    template newer than the kept copy is read afresh."""
    monkeypatch.setattr(pages_buyer, "SHOP_FACTS_TTL", 60.0)
    sale = make_on_sale(session, price_fen=3000)
    template = make_template(session, sale.shop_id)
    ship_under(session, sale, template.id)
    assert _fee(client, sale.product_id) == "运费 ¥8.00"
    with unit_of_work(other_process) as s:
        owner = owner_of(s, sale.shop_id)
        cheap = logistics.create_template(
            s, owner, sale.shop_id, _body(name="小件", default={"first_fee_fen": 300, "extra_fee_fen": 0})
        )
        logistics.set_product_shipping(
            s, owner, sale.shop_id, sale.product_id, ProductShippingIn(template_id=cheap.id, weight_g=0)
        )
        s.commit()
    _until(client, sale.product_id, "运费 ¥3.00", time.monotonic(), TTL)
    with unit_of_work(other_process) as s:  # and back to a template the kept copy has
        s_owner = owner_of(s, sale.shop_id)
        body = ProductShippingIn(template_id=template.id, weight_g=0)
        logistics.set_product_shipping(s, s_owner, sale.shop_id, sale.product_id, body)
        s.commit()
    _until(client, sale.product_id, "运费 ¥8.00", time.monotonic(), TTL)
