"""Every page of the web UI on a 390×844 phone and a 1366×900 desktop: nothing wider than the screen.

The pages are listed from the web router itself, so a page added later is visited too (a page whose
path names an id this scene does not know fails the test, instead of being skipped). The scene is
the demo marketplace, with its first buyer's orders in every state (``sim.order_states``): buyer,
merchant and governance pages each see real content, not empty lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from rich.console import Console
from sqlalchemy import text

from laotie.core import clock
from laotie.core.money import format_yuan
from laotie.core.uow import unit_of_work
from laotie.governance.schemas import CaseStatus
from laotie.orders import service as orders
from laotie.sim.audience import creator_phone
from laotie.sim.demo import ADMIN_PHONE, buyer_phone, merchant_phone, seed_demo
from laotie.web import merchant_figures
from laotie.web.pages import router as web_router
from laotie.web.rendering import CHINA_TZ
from tests.e2e.harness import Shots, Site, new_page, submit_login
from tests.factories.shops import principal_of

PHONE = (390, 844)
DESKTOP = (1366, 900)
# Which account looks at a page, by the start of its path; everything else is the buyer's.
ROLE_BY_PREFIX = (("/merchant", "merchant"), ("/governance", "staff"), ("/creator/earnings", "creator"))
ACCOUNTS = {
    "buyer": buyer_phone(1),
    "merchant": merchant_phone(1),
    "staff": ADMIN_PHONE,
    "creator": creator_phone(1),
}
# Pages that need a query to show anything: 立即购买's checkout names the SKU.
QUERIES = {
    "/checkout": "?sku={sku_id}&qty=1&price={sku_price}",
    "/report": "?kind=product&target={product_id}",
    "/reviews/new": "?line={review_line_id}",
}
# Where a path's parameter names another kind of object than its name says elsewhere: case_id is an
# after-sales case in /aftersales/…, a governance case here.
RENAMED = {
    "/governance/cases/{case_id}": {"case_id": "violation_case_id"},
    "/merchant/violations/{case_id}": {"case_id": "violation_case_id"},
}
# Pages whose answer is a redirect or a refusal for these accounts, by design (none today).
NOT_PAGES: set[str] = set()
# What an element wider than the screen looks like, for the failure message.
WIDEST_JS = """() => {
  const w = window.innerWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 1 && r.width > 0 && getComputedStyle(el).position !== 'fixed') {
      let anc = el.parentElement, clipped = false;
      while (anc && anc !== document.body) {
        const o = getComputedStyle(anc).overflowX;
        if (o === 'auto' || o === 'scroll' || o === 'hidden') { clipped = true; break; }
        anc = anc.parentElement;
      }
      if (!clipped) out.push(el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined ? '.' + String(el.className).trim().replace(/\\s+/g, '.') : '') + ' right=' + Math.round(r.right));
    }
    if (out.length >= 6) break;
  }
  return out;
}"""


def _one(db: Any, sql: str, **params: object) -> int:
    with db.engine.connect() as conn:
        value = conn.execute(text(sql), params).scalar()
    assert value is not None, f"the demo scene lacks: {sql}"
    return int(value)


def _text(db: Any, sql: str) -> str:
    with db.engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    assert value, f"the demo scene lacks: {sql}"
    return str(value)


def _scene_ids(site: Site) -> dict[str, Any]:
    """The ids the page paths name, all of objects the accounts may see."""
    db = site.database()
    codes = [""]
    try:
        buyer = _one(db, "select id from accounts_user where phone = :p", p=buyer_phone(1))
        owner = _one(db, "select id from accounts_user where phone = :p", p=merchant_phone(1))
        shop = _one(db, "select id from shops_shop where owner_id = :o", o=owner)
        delivered = "select id from orders_order where buyer_id = :b and shop_id = :s and status = :st"
        ids = {
            "shop_id": shop,
            "product_id": _one(
                db, "select min(id) from catalog_product where shop_id = :s and status = 'listed'", s=shop
            ),
            "order_id": _one(db, delivered, b=buyer, s=shop, st="delivered"),
            "checkout_id": _one(
                db,
                "select checkout_id from orders_order where buyer_id = :b and status = 'pending_payment'",
                b=buyer,
            ),
            "case_id": _one(db, "select min(id) from aftersales_case where buyer_id = :b", b=buyer),
            "session_id": _one(
                db,
                "select s.id from live_session s join live_room r on r.id = s.room_id"
                " where r.shop_id = :s and s.status = 'live'",
                s=shop,
            ),
            "video_id": _one(db, "select min(id) from video_video where status = 'published'"),
            "creator_id": _one(db, "select min(creator_id) from affiliate_showcase_item"),
        }
        ids["category_id"] = _one(
            db, "select category_id from catalog_product where id = :p", p=ids["product_id"]
        )
        ids["sku_id"] = _one(db, "select min(id) from catalog_sku where product_id = :p", p=ids["product_id"])
        ids["sku_price"] = _one(db, "select price_fen from catalog_sku where id = :s", s=ids["sku_id"])
        # governance: the buyer's own report, a case against the merchant's shop, a rule, a campaign
        ids["report_id"] = _one(db, "select min(id) from governance_report where reporter_id = :b", b=buyer)
        ids["violation_case_id"] = _one(
            db,
            "select min(id) from governance_case where shop_id = :s and status = :v",
            s=shop,
            v=CaseStatus.VIOLATION.value,
        )
        ids["review_line_id"] = _one(
            db,
            "select min(l.id) from orders_line l join orders_order o on o.id = l.order_id where o.buyer_id = :b"
            " and o.status = 'completed' and l.id not in (select order_line_id from reviews_review)",
            b=buyer,
        )
        ids["campaign_id"] = _one(db, "select min(id) from governance_campaign")
        ids["run_id"] = _one(db, "select min(id) from governance_counterfeit_run")
        codes[0] = _text(db, "select min(code) from governance_rule")
    finally:
        db.dispose()
    return {**ids, "code": codes[0]}


def page_paths(ids: dict[str, Any]) -> list[tuple[str, str]]:
    """(account, path) for every GET page of the web router, ids filled in from the scene."""
    out = []
    for context in iter_route_contexts(web_router.routes):
        path = context.path or ""
        if "GET" not in (context.methods or ()) or path in NOT_PAGES:
            continue
        names = re.findall(r"{(\w+)}", path)
        renamed = RENAMED.get(path, {})
        values = {n: ids.get(renamed.get(n, n)) for n in names}
        unknown = [n for n, v in values.items() if v is None]
        assert not unknown, f"{path}: the phone-layout scene has no {unknown}; add them to _scene_ids"
        filled = (path + QUERIES.get(path, "")).format(**{**ids, **values})
        role = next((r for prefix, r in ROLE_BY_PREFIX if path.startswith(prefix)), "buyer")
        out.append((role, filled if filled else "/"))
    return sorted(set(out))


@pytest.fixture(scope="module")
def scene(fresh_site: Callable[[str], Site], serve: Callable[..., str]) -> Iterator[dict[str, Any]]:
    site = fresh_site("phone")
    seed_demo(site.url, shops=4, products=12, console=Console(quiet=True), media_dir=site.media)
    ids = _scene_ids(site)
    yield {"base": serve(site), "ids": ids, "site": site}


def _signed_in(browser: Any, base: str, role: str, size: tuple[int, int]) -> Any:
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = new_page(context)
    page.goto(base + "/login")
    submit_login(page, ACCOUNTS[role], "laotie123")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def _overflowing(browser: Any, base: str, paths: list[tuple[str, str]], size: tuple[int, int]) -> list[str]:
    pages = {role: _signed_in(browser, base, role, size) for role in {r for r, _ in paths}}
    problems = []
    for role, path in paths:
        page = pages[role]
        answer = page.goto(base + path, wait_until="load")
        status = answer.status if answer else 0
        if status != 200:
            problems.append(f"{role} {path}: HTTP {status}")
            continue
        page.wait_for_timeout(150)  # late images and scripts settle the layout
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width > inner:
            problems.append(f"{role} {path}: {width}px > {inner}px: {page.evaluate(WIDEST_JS)}")
    for page in pages.values():
        page.context.close()
    return problems


@pytest.mark.e2e
@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone-390", "desktop-1366"])
def test_no_page_is_wider_than_the_screen(scene: dict[str, Any], browser: Any, size: tuple[int, int]) -> None:
    paths = page_paths(scene["ids"])
    assert len(paths) >= 40, paths  # every area's pages, not a handful
    problems = _overflowing(browser, scene["base"], paths, size)
    assert not problems, "\n".join(problems)


@pytest.mark.e2e
def test_phone_screens_with_the_tab_bar(scene: dict[str, Any], browser: Any, shots: Shots) -> None:
    base, ids = scene["base"], scene["ids"]
    page = _signed_in(browser, base, "buyer", PHONE)
    tabbar = page.locator("nav.tabbar")
    assert tabbar.is_visible()
    assert [t.strip() for t in tabbar.locator(".tab-name").all_inner_texts()] == [
        "首页",
        "直播",
        "短视频",
        "购物车",
        "我的",
    ]
    page.goto(f"{base}/live/{ids['session_id']}")
    buy_bar = page.locator(".live-buybar")
    assert buy_bar.is_visible()
    box = buy_bar.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE[1]  # on screen without scrolling
    assert "关注" in page.locator("#room-follow").inner_text()  # 关注 the anchor from the room
    shots.take(page, "phone-live-room.png")
    page.goto(f"{base}/p/{ids['product_id']}")
    bar = page.locator(".info .buy").bounding_box()  # 加入购物车 / 立即购买 stay on screen
    assert bar is not None and bar["y"] + bar["height"] <= PHONE[1] and bar["y"] > PHONE[1] - 120
    shots.take(page, "phone-product.png")
    page.goto(f"{base}/shop/{ids['shop_id']}")
    assert page.locator("#shop-follow button").inner_text() in ("+ 关注", "已关注")
    page.goto(f"{base}/orders")
    shots.take(page, "phone-orders.png")
    page.context.close()
    merchant = _signed_in(browser, base, "merchant", PHONE)
    merchant.goto(f"{base}/merchant/orders")
    assert merchant.locator("table.list.cards").count() >= 1  # the table is drawn as cards
    shots.take(merchant, "phone-merchant-orders.png")
    merchant.context.close()


@pytest.mark.e2e
def test_a_declined_payment_is_told_then_paid_again(
    scene: dict[str, Any], browser: Any, shots: Shots
) -> None:
    """The buyer's unpaid demo order: 模拟余额不足 at the cashier, the order says 支付失败 and why within
    the page's polling, 重新支付 leads back to the cashier, and 模拟支付成功 makes it 待发货."""
    base, ids = scene["base"], scene["ids"]
    page = _signed_in(browser, base, "buyer", PHONE)
    page.goto(f"{base}/checkouts/{ids['checkout_id']}/cashier")
    buttons = [b.strip() for b in page.locator("form.pay-methods button").all_inner_texts()]
    assert buttons[0].startswith("模拟支付成功 ¥") and "模拟余额不足" in buttons
    assert not any("tok_" in b for b in buttons)
    shots.take(page, "phone-cashier.png")
    page.get_by_role("button", name="模拟余额不足").click()
    page.wait_for_url("**/orders/*")
    failed = page.locator("#pay-failed")
    failed.wait_for(timeout=5_000)  # the webhook arrives in about a second; the page polls every 0.6 s
    assert page.locator("#order-status h1").inner_text() == "支付失败"
    assert "余额不足" in failed.inner_text()
    shots.take(page, "phone-payment-failed.png")
    page.get_by_role("link", name="重新支付").click()
    page.wait_for_url("**/cashier")
    assert "上次支付失败" in page.locator(".pay-failed").inner_text()
    page.get_by_role("button", name=re.compile("模拟支付成功")).click()
    page.wait_for_selector("#order-status[data-status=paid]", timeout=10_000)
    assert page.locator("#order-status h1").inner_text() == "待发货"
    assert page.locator("#pay-failed").count() == 0
    page.context.close()


@pytest.mark.e2e
def test_a_flash_sale_made_in_the_console_is_bought_from_the_sheet(
    scene: dict[str, Any], browser: Any, shots: Shots
) -> None:
    """The merchant picks the cart product and its SKU from lists (no id typed), labels say what each
    field is; the buyer's 马上抢 opens a sheet with the SKU and the saving, goes to the cashier, and
    the paid order's line says 秒杀价 and how much was saved."""
    base, sid = scene["base"], scene["ids"]["session_id"]
    merchant = _signed_in(browser, base, "merchant", PHONE)
    merchant.goto(f"{base}/merchant/live/sessions/{sid}")
    form = merchant.locator("#new-flash")
    assert form.locator("input[type=number][name=sku_id]").count() == 0  # a list, not a typed id
    sku = form.locator("#flash-sku option:not([disabled])").first
    list_fen = int(sku.get_attribute("data-price") or 0)
    assert "库存" in sku.inner_text() and list_fen > 1000
    price_fen = list_fen - 1000  # ¥10 off
    form.get_by_label("秒杀价（元）").fill(f"{price_fen / 100:.2f}")
    form.get_by_label("秒杀数量（件）").fill("5")
    form.get_by_label("每人限购（件）").fill("1")
    starts = merchant.evaluate(
        "() => { const d = new Date(Date.now() + 4000), p = n => String(n).padStart(2, '0');"
        " return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`; }"
    )
    form.get_by_label("开抢时间").fill(starts)
    assert "比原价省 ¥10.00" in merchant.locator("#flash-hint").inner_text()
    shots.take(merchant, "phone-flash-console.png", full_page=True)
    form.get_by_role("button", name="创建秒杀").click()
    merchant.wait_for_function(f"document.body.innerText.includes('{price_fen / 100:.2f}')")
    merchant.context.close()

    buyer = _signed_in(browser, base, "buyer", PHONE)
    buyer.goto(f"{base}/live/{sid}")
    grab = buyer.locator(f".buy-flash[data-price='{price_fen}']")
    buyer.wait_for_function(
        f"!document.querySelector(\".buy-flash[data-price='{price_fen}']\").disabled", timeout=20_000
    )
    grab.click()
    sheet = buyer.locator("#flash-sheet")
    sheet.wait_for(state="visible")
    assert "省 ¥10.00" in sheet.locator("#fs-save").inner_text()
    assert sheet.locator("#fs-sku").inner_text().strip()
    buyer.wait_for_function("document.getElementById('fs-address').textContent.startsWith('寄到')")
    shots.take(buyer, "phone-flash-sheet.png")
    sheet.get_by_role("button", name="确认抢购，去付款").click()
    buyer.wait_for_url("**/cashier")
    buyer.get_by_role("button", name=re.compile("模拟支付成功")).click()
    buyer.wait_for_selector("#order-status[data-status=paid]", timeout=15_000)
    line = buyer.locator(".flash-line")
    assert "秒杀价" in line.inner_text() and "省 ¥10.00" in line.inner_text()
    shots.take(buyer, "phone-flash-order.png", full_page=True)
    buyer.context.close()


def _merchant_figures(site: Site, shop_id: int) -> tuple[int, int, int, int]:
    """(today's sales in fen, orders to ship, open after-sales cases, rooms on air)."""
    db = site.database()
    try:
        with unit_of_work(db) as session:
            owner = _one(db, "select owner_id from shops_shop where id = :s", s=shop_id)
            principal = principal_of(session, owner)
            figures = orders.shop_figures(session, principal, shop_id, clock.now(), CHINA_TZ)
            cases = merchant_figures.open_case_count(session, principal, shop_id)
        to_ship = _one(
            db, "select count(*) from orders_order where shop_id = :s and status = 'paid'", s=shop_id
        )
        on_air = _one(
            db,
            "select count(*) from live_session s join live_room r on r.id = s.room_id"
            " where r.shop_id = :s and s.status = 'live'",
            s=shop_id,
        )
    finally:
        db.dispose()
    return figures.today.sales_fen, to_ship, cases, on_air


@pytest.mark.e2e
@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone-390", "desktop-1366"])
def test_the_merchant_dashboard_and_funds_show_the_shops_real_figures(
    scene: dict[str, Any], browser: Any, shots: Shots, size: tuple[int, int]
) -> None:
    base, shop = scene["base"], scene["ids"]["shop_id"]
    sales_fen, to_ship, cases, on_air = _merchant_figures(scene["site"], shop)
    assert sales_fen > 0 and to_ship > 0  # the demo's orders in every state, placed today
    page = _signed_in(browser, base, "merchant", size)
    page.goto(f"{base}/merchant?shop={shop}")
    assert page.locator("#today-sales").inner_text() == format_yuan(sales_fen)
    assert page.locator("#to-ship").inner_text() == str(to_ship)
    assert page.locator("#open-cases").inner_text() == str(cases)
    assert page.locator("#on-air").inner_text() == str(on_air) != "0"  # the demo's shop is on air
    assert page.locator("#sales-chart rect").count() == 30
    today = page.locator("#sales-chart rect").last
    assert today.get_attribute("data-fen") == str(sales_fen)
    suffix = "phone" if size == PHONE else "desktop"
    shots.take(page, f"merchant-dashboard-{suffix}.png", full_page=size == PHONE)
    page.get_by_role("link", name="资金", exact=True).first.click()
    page.wait_for_url("**/funds")
    for figure in ("#available", "#pending", "#in-flight", "#withdrawn"):
        assert page.locator(figure).inner_text().startswith("¥")
    assert page.locator("#statement").is_visible() and page.locator("#withdrawals").is_visible()
    shots.take(page, f"merchant-funds-{suffix}.png", full_page=True)
    page.goto(f"{base}/merchant/orders?shop={shop}&status=paid")
    tabs = [t.strip().split(" ")[0] for t in page.locator("nav.tabs a").all_inner_texts()]
    assert tabs[:5] == ["全部", "待付款", "待发货", "已发货", "已完成"] and "售后" in tabs
    assert page.locator("nav.tabs a.on .count").inner_text() == str(to_ship)
    page.context.close()


@pytest.mark.e2e
def test_cart_stepper_and_ticks_decide_what_is_checked_out(
    scene: dict[str, Any], browser: Any, shots: Shots
) -> None:
    """Two lines in the cart: + on the first moves its quantity and the total in place, un-ticking
    the second takes it out of the total, and 去结算 checks out the first line only."""
    base, ids = scene["base"], scene["ids"]
    first = (ids["sku_id"], ids["sku_price"])
    db = scene["site"].database()
    try:
        second = (
            _one(
                db,
                "select min(id) from catalog_sku where product_id <> :p and stock > 5",
                p=ids["product_id"],
            ),
            0,
        )
        second = (second[0], _one(db, "select price_fen from catalog_sku where id = :s", s=second[0]))
    finally:
        db.dispose()
    page = _signed_in(browser, base, "buyer", PHONE)
    for sku, _ in (first, second):
        page.request.post(f"{base}/cart/items", form={"sku": str(sku), "qty": "1"})
    page.goto(f"{base}/cart")
    one = page.locator(f".cart-line[data-sku='{first[0]}']")
    two = page.locator(f".cart-line[data-sku='{second[0]}']")
    assert one.locator(".line-thumb img").count() == 1  # a picture per line
    before = one.locator("input[name=qty]").input_value()
    one.locator(".step.plus").click()
    page.wait_for_function(
        f"document.querySelector(\".cart-line[data-sku='{first[0]}']\").dataset.qty === '{int(before) + 1}'"
    )
    qty_one, qty_two = int(before) + 1, int(two.locator("input[name=qty]").input_value())
    both = first[1] * qty_one + second[1] * qty_two
    assert page.locator("#cart-total").inner_text() == format_yuan(both)
    two.locator("input[name=pick]").uncheck()
    assert page.locator("#cart-total").inner_text() == format_yuan(first[1] * qty_one)
    assert not page.locator("#pick-all").is_checked()
    shots.take(page, "phone-cart.png", full_page=True)
    page.reload()  # the + was saved, not only drawn
    assert page.locator(f".cart-line[data-sku='{first[0]}'] input[name=qty]").input_value() == str(qty_one)
    page.locator(f".cart-line[data-sku='{second[0]}'] input[name=pick]").uncheck()
    page.locator("#cart-checkout").click()
    page.wait_for_url("**/checkout?**")
    lines = page.locator("#place-form input[name=line]")
    assert lines.count() == 1 and lines.first.get_attribute("value", timeout=2000).startswith(
        f"{first[0]}:{qty_one}:"
    )
    page.context.close()
