"""The live pages render for who may see them: the room for everyone, the console and the report for
the anchor only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.live import service as live
from laotie.live.schemas import SessionIn
from tests.factories.live import flash_sale, on_air, shop_anchor
from tests.factories.orders import make_buyer, make_on_sale
from tests.factories.web import sign_in, sign_out


def test_live_pages(client: TestClient, session: Session) -> None:
    air = on_air(session, stock=20)
    flash_sale(session, air, quantity=5, price_fen=990, in_seconds=120)
    listing = client.get("/live")
    assert listing.status_code == 200 and "今晚秒杀专场" in listing.text
    room = client.get(f"/live/{air.session_id}")
    assert room.status_code == 200
    assert "小黄车" in room.text and "秒杀" in room.text and "¥9.90" in room.text
    assert "登录</a>后可以评论" in room.text
    assert client.get("/live/999999").status_code == 404
    assert client.get("/merchant/live", follow_redirects=False).status_code in (302, 303)
    sign_in(client, air.anchor.headers)
    console = client.get("/merchant/live")
    assert console.status_code == 200 and "店播间" in console.text and "更换推流密钥" in console.text
    session_page = client.get(f"/merchant/live/sessions/{air.session_id}")
    assert session_page.status_code == 200 and "创建秒杀" in session_page.text
    assert client.post(f"/api/v1/live/sessions/{air.session_id}/end").status_code == 200
    report = client.get(f"/merchant/live/sessions/{air.session_id}/report")
    assert report.status_code == 200 and "直播复盘" in report.text and "<svg" in report.text
    sign_out(client)
    stranger = make_buyer(session)
    sign_in(client, stranger.headers)
    denied = client.get(f"/merchant/live/sessions/{air.session_id}/report")
    assert denied.status_code == 403 and "NOT_LIVE_ROOM_OWNER" in denied.text


def test_live_pages_print_beijing_time(client: TestClient, session: Session) -> None:
    """A broadcast announced for 12:00 UTC is 20:00 for the viewers and the anchor in China."""
    sale = make_on_sale(session)
    anchor = shop_anchor(session, sale)
    evening = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    out = live.create_session(
        session, anchor.principal, anchor.room_id, SessionIn(title="晚八点专场", scheduled_at=evening)
    )
    session.commit()
    with clock.travel(evening - timedelta(hours=2) - clock.now()):  # two hours before it
        room = client.get(f"/live/{out.id}").text
    assert "直播预告：12月6日 20:00 开播" in room and "12:00" not in room
    with clock.travel(evening + timedelta(minutes=5) - clock.now()):  # past the time, not on air yet
        late = client.get(f"/live/{out.id}").text
    assert "即将开始" in late and "直播预告" not in late
    sign_in(client, anchor.headers)
    console = client.get("/merchant/live").text
    assert "预告 12月6日 20:00" in console
    with clock.travel(evening - clock.now()):  # goes on air at 20:00 Beijing time, ends at once
        live.start_by_key(session, anchor.stream_key)
        live.end_session(session, anchor.principal, out.id)
        session.commit()
    report = client.get(f"/merchant/live/sessions/{out.id}/report").text
    assert "开播 2026-12-06 20:00" in report and "下播 2026-12-06 20:00" in report
