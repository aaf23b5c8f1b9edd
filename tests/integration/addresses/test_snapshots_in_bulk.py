"""Addresses for a batch of orders in one query: only each buyer's own live address is copied."""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.addresses import service as addresses
from tests.factories import make_user
from tests.factories.addresses import BEIJING_CHAOYANG, make_address


def test_snapshots_copy_own_live_addresses_only(session: Session) -> None:
    alice, _ = make_user(session)
    bob, _ = make_user(session)
    home = make_address(session, alice)
    office = make_address(session, alice, recipient="李四", **BEIJING_CHAOYANG)
    gone = make_address(session, bob)
    addresses.delete_address(session, bob, gone.id)
    session.commit()
    wanted = [(alice, home.id), (alice, office.id), (bob, home.id), (bob, gone.id), (alice, 10**9)]

    found = addresses.snapshots(session, wanted)

    assert set(found) == {(alice, home.id), (alice, office.id)}
    for pair, snap in found.items():
        assert snap == addresses.snapshot(session, *pair)
    assert found[(alice, office.id)].city_name == "北京市" and found[(alice, office.id)].recipient == "李四"
    assert addresses.snapshots(session, []) == {}
