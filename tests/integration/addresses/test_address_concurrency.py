"""Concurrent writers to one address book: still one default, still at most twenty addresses."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.addresses import service as addresses
from laotie.addresses.schemas import AddressCreate
from laotie.core.db import Database
from tests.factories import make_user
from tests.factories.addresses import address_body, make_address
from tests.factories.races import Attempt, race

WRITERS = 8


def _race(db: Database, user_id: int) -> list[str]:
    """WRITERS threads add an address at once; a CONFLICT is retried as a client would."""

    def add(i: int) -> Attempt:
        return lambda s: addresses.create_address(
            s, user_id, AddressCreate(**address_body(detail=f"文三路{i}号"))
        )

    return sorted(race(db, [add(i) for i in range(WRITERS)], retry={"CONFLICT"}))


def test_simultaneous_first_addresses_leave_one_default(db: Database, session: Session) -> None:
    user_id, _ = make_user(session)
    assert _race(db, user_id) == ["ok"] * WRITERS
    listed = addresses.list_addresses(session, user_id)
    assert len(listed) == WRITERS
    assert sum(a.is_default for a in listed) == 1


def test_simultaneous_additions_stop_at_the_limit(db: Database, session: Session) -> None:
    user_id, _ = make_user(session)
    for i in range(addresses.MAX_ADDRESSES - 2):
        make_address(session, user_id, detail=f"西溪路{i}号")
    assert _race(db, user_id) == ["ADDRESS_LIMIT"] * (WRITERS - 2) + ["ok"] * 2
    session.expire_all()
    assert len(addresses.list_addresses(session, user_id)) == addresses.MAX_ADDRESSES
