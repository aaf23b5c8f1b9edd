"""Search in real Chromium: type pinyin in the header, pick a suggestion, narrow the results with a
facet, open a product; the product page keeps the search for the order (sq=)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pypinyin import lazy_pinyin
from rich.console import Console

from laotie.sim.demo import seed_demo
from tests.e2e.harness import Shots, Site, browser_context, new_page, wait_until_indexed


@pytest.fixture(scope="module")
def demo(fresh_site: Callable[[str], Site], serve: Callable[..., str]) -> Iterator[str]:
    site = fresh_site("search")
    seed_demo(
        site.url,
        shops=4,
        products=16,
        console=Console(quiet=True),
        media_dir=site.media,
        live_commerce=False,
        governance=False,  # its traffic cut would hide a shop's products once the server's worker applies it
    )
    base = serve(site)
    wait_until_indexed(base, 16)
    yield base


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


@pytest.mark.e2e
def test_search_with_a_suggestion_a_facet_then_a_product(demo: str, browser: Any, shots: Shots) -> None:
    first = _get(f"{demo}/api/v1/search/products?limit=1")["items"][0]
    leaf = _get(f"{demo}/api/v1/products/{first['id']}")["category_path"][-1]  # e.g. 毛衣
    typed = "".join(lazy_pinyin(leaf))[:4]
    page = new_page(browser_context(browser))
    page.goto(demo + "/")
    box = page.get_by_role("searchbox", name="搜索商品")
    box.click()
    box.type(typed, delay=60)
    option = page.locator("#suggest-list li", has_text=leaf).first
    option.wait_for(state="visible")
    shots.take(page, "search-suggest.png", for_docs=True)
    option.click()
    page.wait_for_url("**/search?q=*")
    assert page.locator("h1").first.inner_text().startswith(f"“{leaf}”")
    results = page.locator("#results a.card")
    assert results.count() >= 1
    facet = page.locator("#facet-categories a.chip").first
    facet_label = facet.inner_text().split()[0]
    facet.click()
    page.wait_for_url("**cat=*")
    assert facet_label in page.locator(".crumbs").inner_text()  # the results are now of that category
    shots.take(page, "search-results.png", full_page=True, for_docs=True)
    card = page.locator("#results a.card").first
    title = card.locator(".card-title").inner_text()
    card.click()
    page.wait_for_url("**/p/*")
    assert "sq=" in page.url
    assert page.locator("h1").inner_text() == title
