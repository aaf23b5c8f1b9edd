"""Each process's search replica rereads rows stamped since the newest stamp it saw, so a writer
that stamped first must not commit after one that stamped later: writers of the index take turns
(``search.models.change_stamp``). Here a slow writer holds its change while a second one tries to
write: the second waits, and a search in between and after sees both changes."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.outbox import OutboxWorker
from laotie.core.uow import unit_of_work
from laotie.search import replica
from laotie.search import service as search
from laotie.search.models import DocKind, SearchDoc, change_stamp
from laotie.search.schemas import Filters
from tests.factories.catalog import make_listed_product
from tests.factories.shops import category_named, make_open_shop


def _prices(db: Database, shop_id: int) -> dict[int, int]:
    with unit_of_work(db, read_only=True) as session:
        hits = search.browse(session, Filters(shop_id=shop_id)).items
    return {h.id: h.min_price_fen for h in hits}


def _reprice(session: Session, product_id: int, price_fen: int) -> None:
    session.execute(
        update(SearchDoc)
        .where(SearchDoc.kind == DocKind.PRODUCT, SearchDoc.ref_id == product_id)
        .values(price_fen=price_fen, indexed_at=change_stamp(session))
    )


def test_a_slow_writer_is_not_hidden_by_a_later_one(
    session: Session, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No margin for out-of-order commits: only the writers' turns keep the replica exact.
    monkeypatch.setattr(replica, "SAFETY", timedelta(0))
    shop, _, _ = make_open_shop(session, "轮流小店")
    dress = category_named(session, "连衣裙")
    first = make_listed_product(session, shop, category_id=dress, title="碎花连衣裙", price_fen=10000)
    second = make_listed_product(session, shop, category_id=dress, title="雪纺长裙", price_fen=20000)
    OutboxWorker(db).run_until_idle()
    assert _prices(db, shop) == {first.id: 10000, second.id: 20000}  # the replica is loaded

    committed = threading.Event()
    with unit_of_work(db) as slow:
        _reprice(slow, first.id, 10100)  # stamped now, committed a moment later

        def later_writer() -> None:
            with unit_of_work(db) as fast:
                _reprice(fast, second.id, 20100)
                fast.commit()
            committed.set()

        writer = threading.Thread(target=later_writer)
        writer.start()
        time.sleep(0.5)
        assert not committed.is_set(), "the later writer waits for the slow one's turn to end"
        assert _prices(db, shop) == {first.id: 10000, second.id: 20000}
        slow.commit()
    writer.join(10)
    assert committed.is_set()
    assert _prices(db, shop) == {first.id: 10100, second.id: 20100}
