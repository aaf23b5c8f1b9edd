"""Concurrent writers to one address book: still one default, still at most twenty addresses."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from laotie.addresses import service as addresses
from laotie.addresses.schemas import AddressCreate
from laotie.core.db import Database
from laotie.core.errors import AppError
from laotie.core.uow import unit_of_work
from tests.factories import make_user
from tests.factories.addresses import address_body, make_address

WRITERS = 8


def _race(db: Database, user_id: int) -> list[str]:
    """WRITERS threads add an address at once; a CONFLICT is retried as a client would."""
    barrier = threading.Barrier(WRITERS)
    outcomes: list[str] = []

    def add(i: int) -> None:
        barrier.wait()
        for _ in range(20):
            with unit_of_work(db) as s:
                try:
                    addresses.create_address(s, user_id, AddressCreate(**address_body(detail=f"文三路{i}号")))
                    s.commit()
                    outcomes.append("created")
                    return
                except AppError as exc:
                    if exc.code != "CONFLICT":
                        outcomes.append(exc.code)
                        return
        outcomes.append("gave up")

    threads = [threading.Thread(target=add, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(outcomes)


def test_simultaneous_first_addresses_leave_one_default(db: Database, session: Session) -> None:
    user_id, _ = make_user(session)
    assert _race(db, user_id) == ["created"] * WRITERS
    listed = addresses.list_addresses(session, user_id)
    assert len(listed) == WRITERS
    assert sum(a.is_default for a in listed) == 1


def test_simultaneous_additions_stop_at_the_limit(db: Database, session: Session) -> None:
    user_id, _ = make_user(session)
    for i in range(addresses.MAX_ADDRESSES - 2):
        make_address(session, user_id, detail=f"西溪路{i}号")
    assert _race(db, user_id) == ["ADDRESS_LIMIT"] * (WRITERS - 2) + ["created"] * 2
    session.expire_all()
    assert len(addresses.list_addresses(session, user_id)) == addresses.MAX_ADDRESSES
