"""Issue 9 item 8 over HTTP: evidence photos refuse picture bombs before decoding and are limited per
person per hour."""

from __future__ import annotations

from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session

from laotie.settings import get_settings
from tests.factories import make_user
from tests.factories.catalog import image_bytes


def _post(client: TestClient, headers: dict[str, str], data: bytes) -> tuple[int, str]:
    r = client.post(
        "/api/v1/aftersales/evidence", headers=headers, files={"file": ("p.png", data, "image/png")}
    )
    return r.status_code, r.json().get("error", {}).get("code", "")


def test_a_picture_bomb_is_refused_with_a_stable_code(client: TestClient, session: Session) -> None:
    _, headers = make_user(session)
    out = BytesIO()
    Image.new("1", (8000, 5000)).save(out, "PNG")  # 40 MP in a few KB
    assert _post(client, headers, out.getvalue()) == (422, "IMAGE_TOO_MANY_PIXELS")


def test_evidence_uploads_are_limited_per_person_per_hour(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "aftersales_evidence_per_hour", 3)
    _, buyer = make_user(session)
    _, other = make_user(session)
    photo = image_bytes(80, 60, "PNG")
    assert [_post(client, buyer, photo)[0] for _ in range(3)] == [201, 201, 201]
    assert _post(client, buyer, photo) == (429, "RATE_LIMITED")
    assert _post(client, other, photo)[0] == 201  # someone else's budget is their own
