"""``DriverSelect`` gives the rows SQLAlchemy's own execute gives, typed the same, on both databases:
JSON decoded, datetimes aware, constants' IN lists bound, from a session or a bare connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from laotie.catalog.detail_reads import _DETAIL, _DETAIL_ROW, _PARTS, _PARTS_ROWS
from laotie.core.db import Database
from tests.factories.catalog import make_listed_product, make_product
from tests.factories.shops import make_open_shop


def test_rows_match_sqlalchemys_execute(db: Database, session: Session) -> None:
    shop_id, _, _ = make_open_shop(session)
    listed = make_listed_product(session, shop_id, colours=["红", "黑"], sizes=["M", "L"])
    draft = make_product(session, shop_id)
    session.commit()

    with db.engine.connect() as conn:
        expected = conn.execute(_DETAIL, {"pid": listed.id}).all()
        expected_parts = conn.execute(_PARTS, {"pid": listed.id}).all()
        _check(conn, listed.id, shop_id, draft.id, expected, expected_parts)
    _check(session, listed.id, shop_id, draft.id, expected, expected_parts)
    session.rollback()


def _check(
    reader: Session | Connection, pid: int, shop_id: int, draft_id: int, expected: Any, expected_parts: Any
) -> None:
    got = _DETAIL_ROW.rows(reader, pid=pid)
    assert [tuple(r) for r in got] == [tuple(r) for r in expected] and len(got) == 1
    row = got[0]
    assert row.id == pid and row.shop_id == shop_id
    assert isinstance(row.attributes, list) and row.attributes  # JSON, decoded
    assert isinstance(row.listed_at, datetime) and row.listed_at.tzinfo is not None

    parts = _PARTS_ROWS.rows(reader, pid=pid)
    assert [tuple(p) for p in parts] == [tuple(p) for p in expected_parts]
    skus = [p for p in parts if p.kind == 0]
    assert len(skus) == 4 and all(isinstance(p.attrs, dict) for p in skus)

    # The statement's constants (listed, shop open) still hold: a draft is not found.
    assert _DETAIL_ROW.rows(reader, pid=draft_id) == []
    assert _DETAIL_ROW.rows(reader, pid=10**12) == []
