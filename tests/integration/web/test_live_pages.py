"""The live pages render for who may see them: the room for everyone, the console and the report for
the anchor only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.live import flash_sale, on_air
from tests.factories.orders import make_buyer
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
