"""Promotions in the browser pages: the checkout breakdown naming who funds each discount, coupon
choice, the product page's offers, 我的优惠券 and the merchant's 优惠工具."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.orders.models import Order
from laotie.promotions import service as promotions
from tests.factories.orders import make_buyer, make_on_sale
from tests.factories.promotions import claim, deal, multibuy, platform_coupon, shop_coupon, subsidy
from tests.factories.web import sign_in


def test_checkout_page_shows_who_funds_each_discount_and_places_with_the_coupon(
    client: TestClient, session: Session
) -> None:
    sale = make_on_sale(session, price_fen=10000)
    buyer = make_buyer(session)
    subsidy(session, sale.sku_id, per_unit_fen=1000, budget_fen=100_000)
    multibuy(session, sale.shop_id, [(2, 1000)])
    wallet = claim(
        session, buyer.principal, shop_coupon(session, sale.shop_id, threshold_fen=10000, cut_fen=500).id
    )
    platform_coupon(session, 0, 300, budget_fen=10_000)
    session.rollback()
    sign_in(client, buyer.headers)
    product = client.get(f"/p/{sale.product_id}").text
    assert "百亿补贴" in product and "2件9折" in product
    plain = client.get(f"/checkout?sku={sale.sku_id}&qty=2&price={sale.price_fen}&chose=1").text
    assert "平台补贴" in plain and "店铺优惠" in plain
    # 20000 - subsidy 2000 - multi-buy 10% of 18000 = 1800 -> 16200
    assert 'id="checkout-total">¥162.00<' in plain
    assert "换成最优组合可再省 ¥5.00" in plain
    # Unchosen, the page applies the best coupon itself.
    best = client.get(f"/checkout?sku={sale.sku_id}&qty=2&price={sale.price_fen}").text
    assert 'id="checkout-total">¥157.00<' in best and "已为你选好最省钱的券组合" in best
    assert f'<input type="hidden" name="coupon" value="{wallet.id}">' in best
    page = client.get(f"/checkout?sku={sale.sku_id}&qty=2&price={sale.price_fen}&coupon={wallet.id}").text
    assert 'id="checkout-total">¥157.00<' in page
    assert f'name="coupon" value="{wallet.id}"' in page
    key = re.findall(r'name="idempotency_key" value="([^"]*)"', page)[0]
    placed = client.post(
        "/checkout",
        data={
            "line": f"{sale.sku_id}:2:{sale.price_fen}",
            "idempotency_key": key,
            "address_id": str(buyer.address_id),
            "pay_mode": "pay_now",
            "coupon": str(wallet.id),
        },
        follow_redirects=False,
    )
    assert placed.status_code == 303, placed.text
    session.rollback()
    order = session.query(Order).one()
    assert order.payable_fen == 15700 and order.subsidy_fen == 2000
    # The coupon is used: choosing it again shows the reason and the price without it.
    again = client.get(f"/checkout?sku={sale.sku_id}&qty=2&price={sale.price_fen}&coupon={wallet.id}").text
    assert 'id="checkout-total">¥162.00<' in again


def test_my_coupons_and_the_merchant_console(client: TestClient, session: Session) -> None:
    sale = make_on_sale(session)
    buyer = make_buyer(session)
    pc = platform_coupon(session, 0, 300, budget_fen=10_000)
    session.rollback()
    sign_in(client, buyer.headers)
    page = client.get("/me/coupons").text
    assert "平台券" in page and "还没有优惠券" in page
    r = client.post(f"/me/coupons/{pc.id}/claim", follow_redirects=False)
    assert r.status_code == 303
    assert "可使用" in client.get("/me/coupons").text
    sign_in(client, sale.owner_headers)
    console = client.get(f"/merchant/promotions?shop={sale.shop_id}").text
    assert "优惠工具" in console and "还没有优惠券" in console
    made = client.post(
        "/merchant/promotions/coupons",
        data={
            "shop": str(sale.shop_id),
            "name": "满199减20",
            "kind": "threshold_cut",
            "threshold": "199",
            "cut": "20",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    made = client.post(
        "/merchant/promotions/multibuys",
        data={"shop": str(sale.shop_id), "name": "多买多省", "tier2": "10", "tier3": "20"},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    console = client.get(f"/merchant/promotions?shop={sale.shop_id}").text
    assert "满¥199.00减¥20.00" in console and "2件9折" in console and "3件8折" in console
    bad = client.post(
        "/merchant/promotions/multibuys",
        data={"shop": str(sale.shop_id), "tier2": "30", "tier3": "10"},
        follow_redirects=False,
    )
    assert bad.status_code == 422 and "件数越多折扣应越大" in bad.text
    sign_in(client, buyer.headers)
    other = client.get(f"/merchant/promotions?shop={sale.shop_id}", follow_redirects=False)
    assert other.status_code in (303, 403, 404)


def test_order_pages_split_shop_and_platform_discounts(client: TestClient, session: Session) -> None:
    from laotie.orders import service as orders
    from tests.factories.orders import checkout_body, key

    sale = make_on_sale(session, price_fen=10000)
    buyer = make_buyer(session)
    subsidy(session, sale.sku_id, per_unit_fen=1000, budget_fen=100_000)
    wallet = claim(session, buyer.principal, shop_coupon(session, sale.shop_id, cut_fen=500).id)
    body = checkout_body(buyer, (sale, 1)).model_copy(update={"coupon_ids": [wallet.id]})
    order_id = orders.checkout(session, buyer.principal, body, key()).orders[0].id
    session.commit()
    sign_in(client, buyer.headers)
    page = client.get(f"/orders/{order_id}").text
    assert "店铺优惠" in page and "-¥5.00" in page and "平台补贴" in page and "-¥10.00" in page
    sign_in(client, sale.owner_headers)
    merchant = client.get(f"/merchant/shops/{sale.shop_id}/orders/{order_id}").text
    assert "平台补贴（平台支付给本店）" in merchant and "¥10.00" in merchant


def _claim_button(page: str, coupon_id: int) -> str:
    form = re.search(
        rf'<form class="promo-row" method="post" action="/me/coupons/{coupon_id}/claim">.*?</form>',
        page,
        re.S,
    )
    assert form, f"coupon {coupon_id} is not offered"
    button = re.search(r"<button[^>]*>[^<]*</button>", form.group(0))
    assert button
    return button.group(0)


def test_a_coupon_held_at_its_limit_shows_claimed_and_the_claim_is_still_refused(
    client: TestClient, session: Session
) -> None:
    sale = make_on_sale(session)
    buyer, other = make_buyer(session), make_buyer(session)
    two_each = platform_coupon(session, 0, 300, budget_fen=10_000, per_buyer=2)
    one_each = platform_coupon(session, 0, 500, budget_fen=10_000, per_buyer=1)
    shop_one = shop_coupon(session, sale.shop_id, cut_fen=200, per_buyer=1)
    claim(session, buyer.principal, two_each.id)
    claim(session, buyer.principal, one_each.id)
    claim(session, buyer.principal, shop_one.id)
    session.rollback()
    sign_in(client, buyer.headers)
    page = client.get("/me/coupons").text
    assert "已领取" not in _claim_button(page, two_each.id)  # one of two: another may be claimed
    assert "disabled>已领取" in _claim_button(page, one_each.id)
    assert "disabled>已领取" in client.get(f"/p/{sale.product_id}").text  # the shop's coupon, too
    assert client.post(f"/me/coupons/{two_each.id}/claim", follow_redirects=False).status_code == 303
    page = client.get("/me/coupons").text
    assert "disabled>已领取" in _claim_button(page, two_each.id)
    # The button is only a hint: the claim itself still refuses, with its code, and nothing moves.
    refused = client.post(f"/api/v1/coupons/{two_each.id}/claim", headers=buyer.headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "COUPON_LIMIT_REACHED"
    again = client.post(f"/me/coupons/{two_each.id}/claim", follow_redirects=False)
    assert again.status_code == 303 and "领取失败" in client.get("/me/coupons").text
    session.rollback()
    held = [c for c in promotions.my_coupons(session, buyer.user_id) if c.coupon.id == two_each.id]
    assert len(held) == 2 and held[0].coupon.issued_count == 2
    # Another buyer holds none: 领取 for them.
    sign_in(client, other.headers)
    fresh = client.get("/me/coupons").text
    assert "已领取" not in _claim_button(fresh, two_each.id) and "已领取" not in _claim_button(
        fresh, one_each.id
    )


def test_checkout_lists_why_coupons_do_not_fit_and_names_a_clashing_pair(
    client: TestClient, session: Session
) -> None:
    sale = make_on_sale(session, price_fen=20000)
    other = make_on_sale(session, price_fen=5000)
    buyer = make_buyer(session)
    big = claim(session, buyer.principal, shop_coupon(session, sale.shop_id, 10000, cut_fen=3000).id)
    small = claim(session, buyer.principal, shop_coupon(session, sale.shop_id, 10000, cut_fen=1000).id)
    plat = claim(session, buyer.principal, platform_coupon(session, 18000, 5000, budget_fen=100_000).id)
    claim(session, buyer.principal, shop_coupon(session, sale.shop_id, 21200, cut_fen=5000).id)
    claim(session, buyer.principal, shop_coupon(session, other.shop_id, 0, cut_fen=500).id)
    session.rollback()
    sign_in(client, buyer.headers)
    url = f"/checkout?sku={sale.sku_id}&qty=1&price={sale.price_fen}"
    page = client.get(url).text
    # Best: the small shop coupon keeps the platform coupon's threshold; 200 - 10 - 50 = 140.
    assert 'id="checkout-total">¥140.00<' in page
    assert f'name="coupon_{sale.shop_id}" value="{small.id}" checked' in page
    assert f'name="coupon_platform" value="{plat.id}" checked' in page
    unusable = page[page.index('id="coupon-unusable"') :]
    assert "差¥12可用" in unusable and "仅限" in unusable and "使用" in unusable
    # The buyer picks the big shop coupon and keeps the platform one: the page says they clash.
    clash = client.get(f"{url}&chose=1&coupon_{sale.shop_id}={big.id}&coupon_platform={plat.id}").text
    assert "与所选店铺券不能同时使用" in clash and "还差¥10才到门槛" in clash
    assert 'id="checkout-total">¥170.00<' in clash
    assert 'id="use-best"' in clash and "可再省 ¥30.00" in clash
    # Two coupons of one shop through a crafted address: the second is named, not dropped silently.
    both = client.get(f"{url}&coupon={big.id}&coupon={small.id}").text
    assert "同一店铺每单限用一张店铺券" in both and 'id="checkout-total">¥170.00<' in both


def test_a_first_order_with_a_one_yuan_deal_is_offered_only_coupons_that_still_fit(
    client: TestClient, session: Session
) -> None:
    # The 一元购 line takes no coupon, so a shop coupon measured against its list price would be
    # proposed and then refused at its own threshold: the page must sort coupons at the deal price.
    sale = make_on_sale(session, price_fen=2000)
    deal(session, sale.sku_id, price_fen=100)
    buyer = make_buyer(session)
    coupon = claim(session, buyer.principal, shop_coupon(session, sale.shop_id, 1500, cut_fen=300).id)
    session.rollback()
    sign_in(client, buyer.headers)
    page = client.get(f"/checkout?sku={sale.sku_id}&qty=1&price={sale.price_fen}").text
    assert 'id="checkout-total">¥1.00<' in page
    assert "一元购" in page and "门槛" not in page
    assert f'name="coupon_{sale.shop_id}" value="{coupon.id}" checked' not in page
    unusable = page[page.index('id="coupon-unusable"') :]
    assert "差¥15可用" in unusable
