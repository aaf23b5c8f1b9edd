"""The merchant console with real orders: the dashboard's figures and 30-day chart, the 资金 pages
(balances, statement, payout account, withdrawal), the order tabs and the carrier's number format."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.aftersales.models import CaseKind, CaseReason
from laotie.core import clock
from laotie.core.db import Database
from laotie.core.money import format_yuan
from laotie.core.pagination import PageParams
from laotie.orders import service as orders
from laotie.settlement import service as settlement
from laotie.web.rendering import CHINA_TZ, order_number
from tests.factories.aftersales import completed, delivered, open_case, paid_order
from tests.factories.orders import checkout_body, key, make_buyer, make_on_sale
from tests.factories.settlement import GOOD_ACCOUNT, give_available
from tests.factories.web import sign_in


def test_dashboard_funds_and_order_tabs_from_real_orders(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    sale = make_on_sale(session, price_fen=5000)
    waiting = paid_order(client, app, db, session, sale=sale)
    done = paid_order(client, app, db, session, sale=sale, quantity=2)
    returned = paid_order(client, app, db, session, sale=sale)
    completed(session, done)
    delivered(session, returned)
    with clock.travel(timedelta(days=3)):
        open_case(session, returned, CaseKind.RETURN, CaseReason.NO_REASON, quantity=1)
    unpaid_buyer = make_buyer(session)
    orders.checkout(session, unpaid_buyer.principal, checkout_body(unpaid_buyer, (sale, 1)), key())
    session.commit()
    owner = waiting.owner
    sold = [orders.order_view(session, b.order_id) for b in (waiting, done, returned)]
    today_fen = sum(o.payable_fen for o in sold)
    figures = orders.shop_figures(session, owner, sale.shop_id, clock.now(), CHINA_TZ)
    assert figures.by_status == {"paid": 1, "completed": 1, "delivered": 1, "pending_payment": 1}
    assert len(figures.days) == 30 and figures.today.sales_fen == today_fen and figures.today.orders == 3
    assert sum(d.sales_fen for d in figures.days[:-1]) == 0
    session.rollback()
    sign_in(client, sale.owner_headers)

    home = client.get(f"/merchant?shop={sale.shop_id}").text
    assert f'id="today-sales">{format_yuan(today_fen)}<' in home
    assert 'id="to-ship">1<' in home and 'id="open-cases">1<' in home and 'id="on-air">0<' in home
    assert f'data-fen="{today_fen}"' in home and "<svg" in home and "近30天销售额" in home
    assert home.count("<rect") == 30

    tabs = client.get(f"/merchant/orders?shop={sale.shop_id}&status=shipped").text
    for name in ("待付款", "待发货", "已发货", "已完成", "售后"):
        assert f">{name}" in tabs
    shown = re.findall(r'/merchant/shops/\d+/orders/(\d+)"', tabs)
    assert shown == [str(returned.order_id)]  # 已发货 holds the delivered order too
    assert 'id="tab-aftersales">售后 <span class="count">1</span>' in tabs

    # After-sales pages show the order number people know, not the bare id.
    number = order_number(orders.order_view(session, returned.order_id))
    queue = client.get(f"/merchant/aftersales?shop={sale.shop_id}").text
    assert f">{number}</a>" in queue and f">{returned.order_id}</a>" not in queue
    case_id = int(re.findall(r'href="/aftersales/(\d+)"', queue)[0])
    assert f'订单 <span class="mono">{number}</span>' in client.get(f"/aftersales/{case_id}").text

    balance = settlement.shop_balance(session, owner, sale.shop_id, PageParams(limit=5))
    assert balance.pending_fen > 0
    funds = client.get(f"/merchant/shops/{sale.shop_id}/funds").text
    assert f'id="pending">{format_yuan(balance.pending_fen)}<' in funds
    assert "确认收货，货款进入待结算" in funds
    assert order_number(orders.order_view(session, done.order_id)) in funds
    assert "设置收款账户" in funds and "请先设置收款账户" in funds

    give_available(session, sale.shop_id, 50_000)
    session.commit()
    saved = client.post(
        f"/merchant/shops/{sale.shop_id}/funds/account",
        data={"holder_name": "测试小店", "bank_name": "中国工商银行", "account_number": GOOD_ACCOUNT},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    funds = client.get(f"/merchant/shops/{sale.shop_id}/funds").text
    assert f'id="available">{format_yuan(50_000)}<' in funds and GOOD_ACCOUNT[-4:] in funds
    idem = re.findall(r'name="idempotency_key" value="([^"]+)"', funds)[0]
    for _ in range(2):  # a double submit withdraws once
        r = client.post(
            f"/merchant/shops/{sale.shop_id}/funds/withdraw",
            data={"amount": "120.50", "idempotency_key": idem},
            follow_redirects=False,
        )
        assert r.status_code == 303
    funds = client.get(f"/merchant/shops/{sale.shop_id}/funds").text
    assert f'id="available">{format_yuan(50_000 - 12050)}<' in funds
    assert f'id="in-flight">{format_yuan(12050)}<' in funds
    assert funds.count("¥120.50") >= 2 and "提现" in funds
    too_much = client.post(
        f"/merchant/shops/{sale.shop_id}/funds/withdraw",
        data={"amount": "99999", "idempotency_key": "other"},
        follow_redirects=False,
    )
    assert too_much.status_code == 303
    session.rollback()
    assert settlement.shop_balance(session, owner, sale.shop_id, PageParams(limit=1)).available_fen == 37_950

    # Another user is kept out of the shop's money.
    stranger = make_buyer(session)
    session.rollback()
    sign_in(client, stranger.headers)
    assert client.get(f"/merchant/shops/{sale.shop_id}/funds").status_code in (403, 404)


def test_the_tracking_number_must_match_the_carrier(
    client: TestClient, app: FastAPI, db: Database, session: Session
) -> None:
    bought = paid_order(client, app, db, session, price_fen=3000)
    session.rollback()
    sign_in(client, bought.sale.owner_headers)
    url = f"/merchant/shops/{bought.sale.shop_id}/orders/{bought.order_id}"
    page = client.get(url).text
    assert "顺丰速运（如 SF1234567890123）" in page
    wrong = client.post(f"{url}/ship", data={"carrier": "顺丰速运", "tracking_no": "ZT1234567890"})
    assert wrong.status_code == 422
    assert "顺丰速运运单号格式不正确" in wrong.text and "形如 SF1234567890123" in wrong.text
    assert orders.order_view(session, bought.order_id).status == "paid"
    session.rollback()  # a SQLite read holds the write lock until it ends
    right = client.post(
        f"{url}/ship", data={"carrier": "顺丰速运", "tracking_no": "sf1234567890123"}, follow_redirects=False
    )
    assert right.status_code == 303
    session.rollback()
    assert orders.order_view(session, bought.order_id).status == "shipped"
